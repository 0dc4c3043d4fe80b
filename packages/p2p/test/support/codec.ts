/** Helpers shared by the codec tests. */
import * as fc from "fast-check"
import { type Parcel, ParcelType, type Wire } from "@catp2p/p2p"

/** Valid parcels of every type with non-empty payloads. */
export const parcelArb: fc.Arbitrary<Parcel.Parcel> = fc.record({
  type: fc.constantFrom(...([0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const)),
  address: fc.constant(""),
  payload: fc.uint8Array({ minLength: 1, maxLength: 200 })
})

/**
 * Ways to split `bytes` across reads: every single split point (for small
 * inputs), one byte per read, everything in one read, and random cuts.
 */
export const chunkings = (bytes: Uint8Array, seed: number): Array<Array<Uint8Array>> => {
  const out: Array<Array<Uint8Array>> = [[bytes]]
  if (bytes.length <= 600) {
    for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)])
    out.push(Array.from(bytes, (b) => new Uint8Array([b])))
  }
  let s = seed + 1
  const cuts: Array<Uint8Array> = []
  let at = 0
  while (at < bytes.length) {
    s = (s * 1103515245 + 12345) % 2 ** 31
    const n = 1 + (s % 97)
    cuts.push(bytes.subarray(at, at + n))
    at += n
  }
  out.push(cuts)
  return out
}

/** Decodes what is buffered, then pushes chunks one at a time, decoding every parcel available after each. */
export const drainParcels = (rx: Wire.Protocol.Protocol, chunks: ReadonlyArray<Uint8Array>): Array<Parcel.Parcel> => {
  const got: Array<Parcel.Parcel> = []
  const decodeAvailable = () => {
    for (;;) {
      const r = rx.decodeParcel()
      if (r._tag === "NeedMore") return
      if (r._tag === "Failure") throw new Error(`decode failed: ${r.error.message}`)
      got.push(r.value)
    }
  }
  decodeAvailable()
  for (const c of chunks) {
    rx.push(c)
    decodeAvailable()
  }
  return got
}

export const isApp = ParcelType.isApplication

/** The chunks joined into one array. */
export const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}
