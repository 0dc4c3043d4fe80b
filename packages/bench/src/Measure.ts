/**
 * Measurement primitives of the benchmark harness: summaries over
 * repetitions (median and spread), quantiles, and the timer.
 *
 * Timing uses `performance.now()` (read through `Effect.sync`), not
 * `Clock`: it is monotonic and sub-millisecond, which handshake and
 * broadcast latencies need, and the harness never runs under `TestClock`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"

/**
 * A monotonic timestamp in milliseconds (`performance.now()`).
 *
 * @since 0.1.0
 */
export const now: Effect.Effect<number> = Effect.sync(() => performance.now())

/**
 * A figure measured over several repetitions.
 *
 * @since 0.1.0
 */
export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly runs: number
}

/**
 * The `q`-quantile (0..1) of ascending `sorted` values, nearest rank; 0 for none.
 *
 * @since 0.1.0
 */
export const quantile = (sorted: ReadonlyArray<number>, q: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!

/**
 * Median, minimum and maximum of repeated measurements (the median of an
 * even count is the mean of the middle two).
 *
 * @since 0.1.0
 */
export const summarize = (values: ReadonlyArray<number>): Summary => {
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  if (n === 0) return { median: 0, min: 0, max: 0, runs: 0 }
  const mid = Math.floor(n / 2)
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted[n - 1]!, runs: n }
}

/**
 * The spread of a summary: (max - min) / median, as a fraction (0 for one run).
 *
 * @since 0.1.0
 */
export const spread = (s: Summary): number => (s.median === 0 ? 0 : (s.max - s.min) / s.median)

/**
 * `a / b`, or 0 when `b` is 0.
 *
 * @since 0.1.0
 */
export const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b)

/**
 * Rounds to `digits` decimal places (for JSON output).
 *
 * @since 0.1.0
 */
export const round = (x: number, digits = 0): number => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/**
 * Runs `repeats` rounds of the baseline then each protocol, interleaved so
 * that drift of the machine affects every series alike; returns the
 * baseline's results and each protocol's, in run order.
 *
 * @since 0.1.0
 */
export const interleaved = <P, T, E, R>(
  repeats: number,
  protocols: ReadonlyArray<P>,
  baseline: (rep: number) => Effect.Effect<T, E, R>,
  trial: (protocol: P, rep: number) => Effect.Effect<T, E, R>
): Effect.Effect<{ readonly baseline: ReadonlyArray<T>; readonly trials: ReadonlyMap<P, ReadonlyArray<T>> }, E, R> =>
  Effect.gen(function* () {
    const base: Array<T> = []
    const trials = new Map<P, Array<T>>(protocols.map((p) => [p, []]))
    for (let rep = 0; rep < repeats; rep++) {
      base.push(yield* baseline(rep))
      for (const protocol of protocols) trials.get(protocol)!.push(yield* trial(protocol, rep))
    }
    return { baseline: base, trials }
  })
