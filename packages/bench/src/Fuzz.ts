/**
 * Long fuzz runs (`npm run fuzz -- --runs 1000000 [--seed N] [--only text]`):
 * every property of `FuzzProperties`, `runs` runs each, in slices so
 * progress is printed; stops at the first counterexample, printing its seed
 * and path to replay it, and exits 1. Not a test: the suite runs the same
 * properties a few thousand times (`test/fuzz.test.ts`).
 *
 * @since 0.1.0
 */
import { Clock, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import * as fc from "fast-check"
import { properties } from "./FuzzProperties.ts"

const SLICE = 50_000

/**
 * Runs the properties whose name contains `only` (all if undefined), `runs`
 * runs each from `baseSeed`; true if no counterexample was found.
 *
 * @since 0.1.0
 */
export const check = (runs: number, baseSeed: number, only: string | undefined): boolean => {
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
  return !failed
}

/**
 * The `fuzz` subcommand.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "fuzz",
  {
    runs: Flag.Int("runs").pipe(Flag.withDescription("Runs of each property (default 100000)"), Flag.withDefault(100_000)),
    seed: Flag.Int("seed").pipe(Flag.withDescription("Base seed (default: from the clock)"), Flag.optional),
    only: Flag.String("only").pipe(
      Flag.withDescription("Only the properties whose name contains this text"),
      Flag.optional
    )
  },
  (f) =>
    Effect.gen(function* () {
      const seed = Option.isSome(f.seed) ? f.seed.value : (yield* Clock.currentTimeMillis) % 2 ** 31
      const ok = yield* Effect.sync(() => check(f.runs, seed, Option.getOrUndefined(f.only)))
      if (!ok) yield* Effect.sync(() => process.exit(1))
    })
).pipe(Command.withDescription("Long fuzz runs of every decoder property, stopping at the first counterexample"))
