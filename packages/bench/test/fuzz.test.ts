/**
 * Fuzzing in the test suite: every decoder property of src/FuzzProperties.ts,
 * a few thousand runs each (long runs: `npm run fuzz -- --runs 1000000`).
 */
import * as fc from "fast-check"
import { describe, it } from "vitest"
import { properties } from "../src/FuzzProperties.ts"

const RUNS = 2_500

describe("fuzz", () => {
  for (const { name, property } of properties) {
    it(name, () => {
      fc.assert(property, { numRuns: RUNS })
    })
  }
})
