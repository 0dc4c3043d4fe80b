import { assert, describe, it } from "@effect/vitest"
import { RateLimit } from "../../../src/internal/log/RateLimit.ts"

describe("RateLimit", () => {
  it("a burst, then perSecond lines; suppressed lines are reported with the next line or as a summary", () => {
    const limit = new RateLimit<"k">(3, 2)
    const emitted = Array.from({ length: 10 }, () => limit.take("k", 0).emit).filter(Boolean).length
    assert.strictEqual(emitted, 3)
    assert.deepStrictEqual(limit.take("k", 499), { emit: false })
    // half a second later: one token; the line carries the 8 suppressed before it
    assert.deepStrictEqual(limit.take("k", 500), { emit: true, suppressed: 8 })
    assert.deepStrictEqual(limit.take("k", 500), { emit: false })
    assert.deepStrictEqual(limit.summaries(600), [])
    assert.deepStrictEqual(limit.summaries(1_000), [["k", 1]])
    assert.deepStrictEqual(limit.summaries(2_000), [])
  })
})
