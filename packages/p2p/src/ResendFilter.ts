/**
 * Remembers which application payloads a peer sent us, so we do not send them
 * back to it (Go: `PeerHashCache`, enabled by `PeerResendFilter`). Payloads are
 * kept as SHA-1 digests in `buckets` time buckets of `interval` each: a digest
 * is remembered for between (buckets - 1) and buckets intervals.
 *
 * Rotation is lazy (on use, from the Clock time passed in), so the filter
 * needs no timer of its own.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"

/**
 * The SHA-1 digest of a payload as a string key.
 *
 * @since 0.1.0
 */
export const digest = (payload: Uint8Array): string => createHash("sha1").update(payload).digest("base64")

/**
 * @since 0.1.0
 */
export class ResendFilter {
  private readonly buckets: Array<Set<string>>
  private readonly interval: number
  private epoch: number

  /** `interval` in milliseconds; `now` from the Clock. */
  constructor(buckets: number, interval: number, now: number) {
    this.buckets = Array.from({ length: Math.max(1, buckets) }, () => new Set<string>())
    this.interval = Math.max(1, interval)
    this.epoch = Math.floor(now / this.interval)
  }

  /** Records a digest the peer sent us. */
  add(key: string, now: number): void {
    this.rotate(now)
    this.buckets[0]!.add(key)
  }

  /** Whether the peer sent us this digest recently. */
  has(key: string, now: number): boolean {
    this.rotate(now)
    for (const bucket of this.buckets) if (bucket.has(key)) return true
    return false
  }

  private rotate(now: number): void {
    const epoch = Math.floor(now / this.interval)
    const steps = Math.min(epoch - this.epoch, this.buckets.length)
    for (let i = 0; i < steps; i++) {
      this.buckets.pop()
      this.buckets.unshift(new Set())
    }
    if (epoch > this.epoch) this.epoch = epoch
  }
}
