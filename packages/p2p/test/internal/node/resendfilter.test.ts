import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as ResendFilter from "../../../src/internal/node/ResendFilter.ts"

const { fingerprint } = ResendFilter

/** `bytes` as a view at `offset` inside a larger buffer (received payloads are views). */
const viewAt = (bytes: Uint8Array, offset: number): Uint8Array => {
  const backing = new Uint8Array(offset + bytes.length + 3).fill(0xa5)
  backing.set(bytes, offset)
  return backing.subarray(offset, offset + bytes.length)
}

describe("fingerprint", () => {
  it("is a deterministic integer in [0, 2^53), whatever the view's offset in its buffer", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 7 }), (bytes, offset) => {
        const f = fingerprint(bytes)
        expect(Number.isSafeInteger(f) && f >= 0).toBe(true)
        expect(fingerprint(Uint8Array.from(bytes))).toBe(f)
        expect(fingerprint(viewAt(bytes, offset))).toBe(f)
      })
    )
  })

  it("changes when any single bit of the payload changes, or when a byte is appended", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), (bytes, at) => {
        const bit = at % (bytes.length * 8)
        const flipped = Uint8Array.from(bytes)
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        expect(fingerprint(flipped)).not.toBe(fingerprint(bytes))
        const longer = new Uint8Array(bytes.length + 1)
        longer.set(bytes)
        expect(fingerprint(longer)).not.toBe(fingerprint(bytes))
      })
    )
  })

  it("tells apart payloads that differ only in length (trailing zeros) or in one middle byte", () => {
    const seen = new Set<number>()
    for (let n = 0; n <= 2048; n++) seen.add(fingerprint(new Uint8Array(n)))
    expect(seen.size).toBe(2049)
    const base = new Uint8Array(65_536)
    const middle = new Set<number>()
    for (let v = 0; v < 256; v++) {
      base[32_768] = v
      middle.add(fingerprint(base))
    }
    expect(middle.size).toBe(256)
  })

  it("has no collision among 200,000 similar payloads (a counter in a fixed 100-byte message)", () => {
    const payload = new Uint8Array(100).fill(7)
    const view = new DataView(payload.buffer)
    const seen = new Set<number>()
    for (let i = 0; i < 200_000; i++) {
      view.setUint32(50, i, true)
      seen.add(fingerprint(payload))
    }
    expect(seen.size).toBe(200_000)
  })

  it("spreads similar payloads evenly over its low and high bits", () => {
    const buckets = 64
    const low = new Array<number>(buckets).fill(0)
    const high = new Array<number>(buckets).fill(0)
    const payload = new Uint8Array(32)
    const n = 64_000
    for (let i = 0; i < n; i++) {
      payload[0] = i & 255
      payload[1] = (i >> 8) & 255
      const f = fingerprint(payload)
      low[f % buckets]!++
      high[Math.floor(f / 2 ** 47) % buckets]!++
    }
    // chi-square with 63 degrees of freedom: about 63 ± 11 for a uniform spread; 130 is far in the tail
    const chi = (counts: Array<number>) => counts.reduce((s, c) => s + (c - n / buckets) ** 2 / (n / buckets), 0)
    expect(chi(low)).toBeLessThan(130)
    expect(chi(high)).toBeLessThan(130)
  })
})

describe("ResendFilter", () => {
  it("remembers a payload the peer sent for between (buckets - 1) and buckets intervals", () => {
    const filter = new ResendFilter.ResendFilter(3, 1000, 0)
    const key = fingerprint(new TextEncoder().encode("gossip"))
    const other = fingerprint(new TextEncoder().encode("other"))
    filter.add(key, 500)
    expect(filter.has(key, 500)).toBe(true)
    expect(filter.has(other, 500)).toBe(false)
    expect(filter.has(key, 2999)).toBe(true)
    expect(filter.has(key, 3000)).toBe(false)
  })

  it("forgets everything after a long silence", () => {
    const filter = new ResendFilter.ResendFilter(3, 1000, 0)
    filter.add(1, 0)
    expect(filter.has(1, 1_000_000)).toBe(false)
  })
})
