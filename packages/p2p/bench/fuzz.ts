/**
 * Long fuzz runs (`npm run fuzz -- --runs 1000000 [--seed N] [--only text]`):
 * every property of test/fuzz/properties.ts, `runs` runs each, in slices so
 * progress is printed; stops at the first counterexample, printing its seed
 * and path to replay it. Not a test: the suite runs the same properties a few
 * thousand times (test/fuzz.test.ts).
 */
import * as fc from "fast-check"
import { properties } from "../test/fuzz/properties.ts"

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? undefined : process.argv[i + 1]
}

const runs = Number(arg("runs") ?? 100_000)
const baseSeed = Number(arg("seed") ?? Date.now() % 2 ** 31)
const only = arg("only")
const SLICE = 50_000

let failed = false
const started = performance.now()
for (const [index, { name, property }] of properties.entries()) {
  if (only !== undefined && !name.includes(only)) continue
  const t0 = performance.now()
  let done = 0
  let slice = 0
  while (done < runs && !failed) {
    const n = Math.min(SLICE, runs - done)
    const seed = (baseSeed + index * 1_000_003 + slice * 7919) % 2 ** 31
    const details = fc.check(property, { numRuns: n, seed })
    if (details.failed) {
      failed = true
      process.stdout.write(
        `\nFAIL ${name}\n  seed ${seed}, path ${details.counterexamplePath}\n  counterexample ${fc.stringify(details.counterexample)}\n  ${String(details.errorInstance)}\n`
      )
      break
    }
    done += n
    slice++
    if (process.stdout.isTTY) process.stdout.write(`\r${name}: ${done}/${runs}`)
  }
  if (failed) break
  process.stdout.write(
    `${process.stdout.isTTY ? "\r" : ""}${name}: ${done} runs, no failure (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`
  )
}
process.stdout.write(
  `${failed ? "found a failure" : "no failure"}; base seed ${baseSeed}; ${((performance.now() - started) / 1000).toFixed(1)} s\n`
)
process.exitCode = failed ? 1 : 0
