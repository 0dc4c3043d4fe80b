/**
 * A token bucket per kind of log line, so that an attack (a thousand failed
 * handshakes a second) cannot flood the operator's log: each kind may emit
 * a burst of `burst` lines, then `perSecond` lines a second; the lines over
 * that are counted, and reported as one summary line ("suppressed K similar
 * lines") before the next line of that kind, or at the next `summaries`
 * once the kind has tokens again. Pure and clock-free: the caller passes the
 * Clock time, so it runs under `TestClock`.
 *
 * @since 0.1.0
 */

/** One kind's bucket. */
interface Bucket {
  tokens: number
  updated: number
  suppressed: number
}

/**
 * What `take` decided: emit the line (after a summary of `suppressed` lines
 * when that is above 0), or drop it.
 *
 * @since 0.1.0
 */
export type Decision = { readonly emit: true; readonly suppressed: number } | { readonly emit: false }

const DROP: Decision = { emit: false }
const EMIT: Decision = { emit: true, suppressed: 0 }

/**
 * @since 0.1.0
 */
export class RateLimit<K extends string> {
  private readonly buckets = new Map<K, Bucket>()

  readonly burst: number
  readonly perSecond: number

  constructor(burst: number, perSecond: number) {
    this.burst = burst
    this.perSecond = perSecond
  }

  private refill(kind: K, now: number): Bucket {
    let b = this.buckets.get(kind)
    if (b === undefined) {
      b = { tokens: this.burst, updated: now, suppressed: 0 }
      this.buckets.set(kind, b)
      return b
    }
    if (now > b.updated) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.updated) / 1000) * this.perSecond)
      b.updated = now
    }
    return b
  }

  /** Whether a line of `kind` may be emitted at `now` (Clock ms); counts it as suppressed if not. */
  take(kind: K, now: number): Decision {
    const b = this.refill(kind, now)
    if (b.tokens < 1) {
      b.suppressed++
      return DROP
    }
    b.tokens--
    if (b.suppressed === 0) return EMIT
    const suppressed = b.suppressed
    b.suppressed = 0
    return { emit: true, suppressed }
  }

  /** The kinds with suppressed lines that may now report them (each summary takes a token), and how many. */
  summaries(now: number): Array<readonly [K, number]> {
    const out: Array<readonly [K, number]> = []
    for (const kind of this.buckets.keys()) {
      const b = this.refill(kind, now)
      if (b.suppressed === 0 || b.tokens < 1) continue
      b.tokens--
      out.push([kind, b.suppressed])
      b.suppressed = 0
    }
    return out
  }
}
