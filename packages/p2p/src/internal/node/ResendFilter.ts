/**
 * Remembers which application payloads a peer sent us, so we do not send them
 * back to it (Go: `PeerHashCache`, enabled by `PeerResendFilter`). Payloads are
 * kept as 53-bit fingerprints ({@link fingerprint}) in `buckets` time buckets
 * of `interval` each: a fingerprint is remembered for between (buckets - 1)
 * and buckets intervals.
 *
 * Go keys its cache with a SHA-1 of the payload. A cryptographic hash buys
 * nothing here: the filter only ever *skips* sending a payload to the one
 * peer that sent us something with the same fingerprint, so a collision
 * (honest or crafted) costs at most one redundant-looking resend that does
 * not happen — to the peer that sent the colliding payload; the payload still
 * reaches the rest of the network through the other peers. It never delivers,
 * drops or forwards anything else. Every received payload is fingerprinted,
 * so the cost matters: SHA-1 through `node:crypto` (a native hash object per
 * payload) took about 30 % of a receiver's CPU at 1 KiB; this loop takes a
 * few percent.
 *
 * Rotation is lazy (on use, from the Clock time passed in), so the filter
 * needs no timer of its own.
 *
 * @since 0.1.0
 */

/**
 * A payload's fingerprint: a non-negative integer below 2^53.
 *
 * @since 0.1.0
 */
export type Fingerprint = number

/**
 * A 53-bit non-cryptographic fingerprint of `payload`: two 32-bit
 * MurmurHash3-style lanes over its 4-byte words (little-endian), seeded with
 * its length, each finished with an avalanche mix. Well distributed (every
 * input bit affects every output bit), not collision-resistant against an
 * adversary, which the resend filter does not need (see the module notes).
 *
 * @since 0.1.0
 */
export const fingerprint = (payload: Uint8Array): Fingerprint => {
  const n = payload.length
  const view = new DataView(payload.buffer, payload.byteOffset, n)
  let h1 = 0x9747b28c ^ n
  let h2 = 0x85ebca6b ^ Math.imul(n, 0x27d4eb2f)
  const words = n & ~3
  let i = 0
  for (; i < words; i += 4) {
    let k = Math.imul(view.getInt32(i, true), 0xcc9e2d51)
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593)
    h1 ^= k
    h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0
    h2 = Math.imul(h2 ^ k, 0x2c1b3c6d)
    h2 = (h2 << 17) | (h2 >>> 15)
  }
  if (i < n) {
    let k = 0
    for (let shift = 0; i < n; i++, shift += 8) k |= payload[i]! << shift
    k = Math.imul(k, 0xcc9e2d51)
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593)
    h1 ^= k
    h2 = Math.imul(h2 ^ k, 0x2c1b3c6d)
  }
  // finish: fold the lanes into each other, then avalanche each (murmur3 fmix32, and a second mixer)
  h1 ^= h2 >>> 7
  h1 ^= h1 >>> 16
  h1 = Math.imul(h1, 0x85ebca6b)
  h1 ^= h1 >>> 13
  h1 = Math.imul(h1, 0xc2b2ae35)
  h1 ^= h1 >>> 16
  h2 ^= h1
  h2 ^= h2 >>> 16
  h2 = Math.imul(h2, 0x7feb352d)
  h2 ^= h2 >>> 15
  h2 = Math.imul(h2, 0x846ca68b)
  h2 ^= h2 >>> 16
  return (h2 >>> 11) * 0x1_0000_0000 + (h1 >>> 0)
}

/**
 * @since 0.1.0
 */
export class ResendFilter {
  private readonly buckets: Array<Set<Fingerprint>>
  private readonly interval: number
  private epoch: number

  /** `interval` in milliseconds; `now` from the Clock. */
  constructor(buckets: number, interval: number, now: number) {
    this.buckets = Array.from({ length: Math.max(1, buckets) }, () => new Set<Fingerprint>())
    this.interval = Math.max(1, interval)
    this.epoch = Math.floor(now / this.interval)
  }

  /** Records the fingerprint of a payload the peer sent us. */
  add(key: Fingerprint, now: number): void {
    this.rotate(now)
    this.buckets[0]!.add(key)
  }

  /** Whether the peer sent us a payload with this fingerprint recently. */
  has(key: Fingerprint, now: number): boolean {
    this.rotate(now)
    for (const bucket of this.buckets) if (bucket.has(key)) return true
    return false
  }

  private rotate(now: number): void {
    const epoch = Math.floor(now / this.interval)
    if (epoch === this.epoch) return
    const steps = Math.min(epoch - this.epoch, this.buckets.length)
    for (let i = 0; i < steps; i++) {
      this.buckets.pop()
      this.buckets.unshift(new Set())
    }
    if (epoch > this.epoch) this.epoch = epoch
  }
}
