/**
 * Round-trip properties over random descriptors and values: one Encoder, one
 * Decoder, several values per stream, fed whole, byte by byte, split at every
 * boundary and at random boundaries.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Gob from "../src/index.ts"
import { expectedOf, sampleArb, type Spec, specArb, split, typeOf, valueArb } from "./arbitraries.ts"
import { concat, V10Msg } from "./support.ts"

const encodeStream = (type: Gob.Type<unknown>, values: ReadonlyArray<unknown>): Uint8Array => {
  const enc = new Gob.Encoder()
  return concat(...values.map((v) => enc.encode(type, v)))
}

/** Feeds chunks, decoding after each push; returns every value (fails on Failure or leftovers). */
const decodeChunks = (type: Gob.Type<unknown>, chunks: ReadonlyArray<Uint8Array>, count: number): Array<unknown> => {
  const dec = new Gob.Decoder()
  const out: Array<unknown> = []
  for (const chunk of chunks) {
    dec.push(chunk)
    for (;;) {
      const r = dec.decode(type)
      if (r._tag === "Failure") throw new Error(`unexpected failure: ${r.error.reason}: ${r.error.message}`)
      if (r._tag === "NeedMore") break
      out.push(r.value)
      if (out.length > count) throw new Error("more values than encoded")
    }
  }
  expect(dec.buffered).toBe(0)
  return out
}

const expectedValues = (spec: Spec, values: ReadonlyArray<unknown>) => values.map((v) => expectedOf(spec, v))

describe("round trip", () => {
  it("random shapes and values, whole stream in one chunk", () => {
    fc.assert(
      fc.property(sampleArb(4, 5), ({ spec, values }) => {
        const type = typeOf(spec)
        const bytes = encodeStream(type, values)
        expect(decodeChunks(type, [bytes], values.length)).toEqual(expectedValues(spec, values))
        expect(Gob.decodeAll(type, bytes)).toEqual({ _tag: "Value", value: expectedValues(spec, values) })
      }),
      { numRuns: 400 }
    )
  })

  it("encodeMany gives the bytes of consecutive encode calls, type definitions included once", () => {
    fc.assert(
      fc.property(sampleArb(4, 5), fc.nat({ max: 5 }), ({ spec, values }, split) => {
        const type = typeOf(spec)
        const at = Math.min(split, values.length)
        const enc = new Gob.Encoder()
        const bytes = concat(enc.encodeMany(type, values.slice(0, at)), enc.encodeMany(type, values.slice(at)))
        expect(bytes).toEqual(encodeStream(type, values))
        expect(new Gob.Encoder().encodeMany(type, [])).toEqual(new Uint8Array(0))
      }),
      { numRuns: 300 }
    )
  })

  it("encodeManyChunks: the bytes of encodeMany, with byte slices from the threshold on as chunks by reference", () => {
    const Msg = Gob.struct("Msg", { Type: Gob.uint, Payload: Gob.bytes, Name: Gob.string })
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ Type: fc.nat({ max: 300 }), Payload: fc.uint8Array({ maxLength: 80 }), Name: fc.string() }),
          { maxLength: 6 }
        ),
        fc.nat({ max: 3 }),
        fc.integer({ min: 1, max: 90 }),
        (values, split, min) => {
          const at = Math.min(split, values.length)
          const enc = new Gob.Encoder()
          const chunks = [
            ...enc.encodeManyChunks(Msg, values.slice(0, at), min),
            ...enc.encodeManyChunks(Msg, values.slice(at), min)
          ]
          expect(concat(...chunks)).toEqual(encodeStream(Msg, values))
          for (const v of values) expect(chunks.includes(v.Payload)).toBe(v.Payload.length >= min)
          // the references are forgotten: a later encode copies the payload again
          const twin = new Gob.Encoder()
          twin.encodeMany(Msg, values)
          expect(enc.encodeMany(Msg, values)).toEqual(twin.encodeMany(Msg, values))
        }
      ),
      { numRuns: 300 }
    )
  })

  it("small streams split at every byte boundary, and fed byte by byte", () => {
    fc.assert(
      fc.property(sampleArb(3, 3), ({ spec, values }) => {
        const type = typeOf(spec)
        const bytes = encodeStream(type, values)
        fc.pre(bytes.length <= 300)
        const expected = expectedValues(spec, values)
        for (let i = 0; i <= bytes.length; i++) {
          expect(decodeChunks(type, [bytes.subarray(0, i), bytes.subarray(i)], values.length)).toEqual(expected)
        }
        const bytewise = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1))
        expect(decodeChunks(type, bytewise, values.length)).toEqual(expected)
      }),
      { numRuns: 60 }
    )
  })

  it("streams split at random boundaries", () => {
    fc.assert(
      fc.property(sampleArb(4, 5), fc.array(fc.nat(), { maxLength: 12 }), ({ spec, values }, cuts) => {
        const type = typeOf(spec)
        const bytes = encodeStream(type, values)
        expect(decodeChunks(type, split(bytes, cuts), values.length)).toEqual(expectedValues(spec, values))
      }),
      { numRuns: 300 }
    )
  })

  it("several types interleaved on one stream", () => {
    const pair = specArb(3).chain((spec) => fc.tuple(fc.constant(spec), valueArb(spec)))
    fc.assert(
      fc.property(
        fc.array(pair, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(20), { maxLength: 10 }),
        (pairs, order) => {
          const typed = pairs.map(([spec, value]) => ({ spec, value, type: typeOf(spec) }))
          const seq = [...typed, ...order.map((i) => typed[i % typed.length]!)]
          const enc = new Gob.Encoder()
          const bytes = concat(...seq.map((x) => enc.encode(x.type, x.value)))
          const dec = new Gob.Decoder()
          dec.push(bytes)
          for (const x of seq) {
            expect(dec.decode(x.type)).toEqual({ _tag: "Value", value: expectedOf(x.spec, x.value) })
          }
          expect(dec.decode(seq[0]!.type)).toEqual({ _tag: "NeedMore" })
          expect(dec.buffered).toBe(0)
        }
      ),
      { numRuns: 200 }
    )
  })

  it("re-encoding a decoded value gives the same bytes", () => {
    fc.assert(
      fc.property(sampleArb(4, 3), ({ spec, values }) => {
        const type = typeOf(spec)
        const bytes = encodeStream(type, values)
        const decoded = Gob.decodeAll(type, bytes)
        if (decoded._tag !== "Value") throw new Error(decoded.error.message)
        expect(encodeStream(type, decoded.value)).toEqual(bytes)
      }),
      { numRuns: 200 }
    )
  })
})

describe("holding a large message for its caller", () => {
  it("holdAbove answers NeedMore before a large value (after its type definitions), nextLength tells its size", () => {
    const enc = new Gob.Encoder()
    const big = new Uint8Array(100_000).fill(7)
    const bytes = enc.encode(V10Msg, { Type: 6, Payload: big })
    const dec = new Gob.Decoder()
    expect(dec.nextLength).toBe(-1)
    dec.push(bytes)
    // the type definitions are consumed; the value message waits
    expect(dec.decode(V10Msg, { holdAbove: 65_536 })._tag).toBe("NeedMore")
    expect(dec.pending).toBeGreaterThan(100_000)
    expect(dec.nextLength).toBe(dec.pending)
    const started = dec.started
    const r = dec.decode(V10Msg)
    expect(r._tag).toBe("Value")
    if (r._tag === "Value") expect(r.value.Payload).toEqual(big)
    expect(dec.pending).toBe(-1)
    expect(dec.started).toBe(started)
    expect(dec.buffered).toBe(0)
    // a small message is not held
    dec.push(enc.encode(V10Msg, { Type: 6, Payload: new Uint8Array([1]) }))
    expect(dec.nextLength).toBeGreaterThan(0)
    expect(dec.decode(V10Msg, { holdAbove: 65_536 })._tag).toBe("Value")
  })
})
