/**
 * Struct field matching by name, zero values for missing fields, type
 * compatibility and the exactName option.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Gob from "../src/index.ts"
import { expectedOf, type Spec, specArb, typeOf, valueArb } from "./arbitraries.ts"
import { V9Header, V9Msg, V10Msg } from "./support.ts"

const decodeOne = <A>(bytes: Uint8Array, type: Gob.Type<A>, options?: Gob.DecodeOptions): Gob.DecodeResult<A> => {
  const dec = new Gob.Decoder()
  dec.push(bytes)
  return dec.decode(type, options)
}

const reasonOf = (r: Gob.DecodeResult<unknown>): string => (r._tag === "Failure" ? r.error.reason : r._tag)

/** The value a decoder gives a local field the remote type does not have. */
const zeroExpected = (s: Spec): unknown => {
  switch (s.k) {
    case "bool":
      return false
    case "int":
    case "uint":
    case "float":
      return 0
    case "int64":
    case "uint64":
      return 0n
    case "string":
      return ""
    case "bytes":
      return new Uint8Array(0)
    case "slice":
      return []
    case "array":
      return Array.from({ length: s.n }, () => zeroExpected(s.e))
    case "map":
      return new Map()
    case "struct":
      return Object.fromEntries(s.fields.map((f) => [f.name, zeroExpected(f.spec)]))
  }
}

describe("field matching", () => {
  it("skips remote fields the local struct lacks (any wire type) and zeroes local fields the remote lacks", () => {
    const fieldsArb = fc.uniqueArray(
      fc.record({ name: fc.constantFrom("A", "B", "C", "D", "E", "F"), spec: specArb(3) }),
      {
        selector: (f) => f.name,
        minLength: 1,
        maxLength: 6
      }
    )
    const sample = fieldsArb.chain((fields) => {
      const remote: Spec = { k: "struct", fields }
      return fc.record({
        fields: fc.constant(fields),
        keep: fc.array(fc.boolean(), { minLength: fields.length, maxLength: fields.length }),
        extra: fc.array(fc.record({ name: fc.constantFrom("X", "Y", "Z"), spec: specArb(2) }), { maxLength: 2 }),
        values: fc.array(valueArb(remote), { minLength: 1, maxLength: 3 })
      })
    })
    fc.assert(
      fc.property(sample, ({ fields, keep, extra, values }) => {
        const remoteSpec: Spec = { k: "struct", fields }
        const kept = fields.filter((_, i) => keep[i])
        const extras = extra.filter((x, i) => extra.findIndex((y) => y.name === x.name) === i)
        // Local field order differs from the remote's: matching is by name.
        const localFields = [...extras, ...kept.reverse()]
        if (kept.length === 0) localFields.push({ name: fields[0]!.name, spec: fields[0]!.spec })
        const localSpec: Spec = { k: "struct", fields: localFields }
        const remote = typeOf(remoteSpec)
        const local = typeOf(localSpec)
        const enc = new Gob.Encoder()
        const dec = new Gob.Decoder()
        for (const v of values) {
          dec.push(enc.encode(remote, v))
          const full = expectedOf(remoteSpec, v) as Record<string, unknown>
          const expected = Object.fromEntries(
            localFields.map((f) => [f.name, f.name in full ? full[f.name] : zeroExpected(f.spec)])
          )
          expect(dec.decode(local)).toEqual({ _tag: "Value", value: expected })
        }
      }),
      { numRuns: 300 }
    )
  })

  it("gives every kind of missing field its zero value", () => {
    const Inner = Gob.struct("Inner", { N: Gob.int, S: Gob.slice(Gob.string) })
    const Local = Gob.struct("T", {
      A: Gob.int,
      B: Gob.bool,
      I: Gob.int,
      U: Gob.uint,
      I64: Gob.int64,
      U64: Gob.uint64,
      F: Gob.float,
      S: Gob.string,
      By: Gob.bytes,
      Sl: Gob.slice(Gob.int),
      Ar: Gob.array(Gob.uint, 3),
      M: Gob.map(Gob.string, Gob.int),
      St: Inner
    })
    const Remote = Gob.struct("T", { A: Gob.int })
    const r = decodeOne(new Gob.Encoder().encode(Remote, { A: 7 }), Local)
    expect(r).toEqual({
      _tag: "Value",
      value: {
        A: 7,
        B: false,
        I: 0,
        U: 0,
        I64: 0n,
        U64: 0n,
        F: 0,
        S: "",
        By: new Uint8Array(0),
        Sl: [],
        Ar: [0, 0, 0],
        M: new Map(),
        St: { N: 0, S: [] }
      }
    })
    // Fresh mutable zero values per message.
    const dec = new Gob.Decoder()
    const enc = new Gob.Encoder()
    dec.push(enc.encode(Remote, { A: 1 }))
    dec.push(enc.encode(Remote, { A: 2 }))
    const a = dec.decode(Local)
    const b = dec.decode(Local)
    if (a._tag !== "Value" || b._tag !== "Value") throw new Error("expected values")
    expect(a.value.M).not.toBe(b.value.M)
    expect(a.value.St).not.toBe(b.value.St)
    expect(a.value.Ar).not.toBe(b.value.Ar)
  })

  it("omitted zero fields decode as zero (V10Msg Type 0 is absent on the wire)", () => {
    const bytes = new Gob.Encoder().encode(V10Msg, { Type: 0, Payload: new Uint8Array(0) })
    expect(bytes[bytes.length - 1]).toBe(0)
    expect(decodeOne(bytes, V10Msg)).toEqual({ _tag: "Value", value: { Type: 0, Payload: new Uint8Array(0) } })
  })

  it("fails when no field names are in common (Go's rule)", () => {
    const A = Gob.struct("T", { X: Gob.int })
    const B = Gob.struct("T", { Y: Gob.int })
    expect(reasonOf(decodeOne(new Gob.Encoder().encode(A, { X: 1 }), B))).toBe("TypeMismatch")
    // A local struct with no fields accepts anything, as in Go.
    expect(decodeOne(new Gob.Encoder().encode(A, { X: 1 }), Gob.struct("T", {}))).toEqual({ _tag: "Value", value: {} })
  })
})

describe("exactName", () => {
  const header = {
    Network: 1,
    Version: 9,
    Type: 6,
    Length: 1,
    TargetPeer: "",
    Crc32: 2,
    PartNo: 0,
    PartsTotal: 0,
    NodeID: 3n,
    PeerAddress: "",
    PeerPort: "8108",
    AppHash: "",
    AppType: ""
  }
  const v9Bytes = new Gob.Encoder().encode(V9Msg, { Header: header, Payload: new Uint8Array([9]) })

  it("Go's lenient match accepts a V9Msg as a V10Msg (Payload matches by name)", () => {
    expect(decodeOne(v9Bytes, V10Msg)).toEqual({ _tag: "Value", value: { Type: 0, Payload: new Uint8Array([9]) } })
  })

  it("exactName rejects a V9Msg where a V10Msg is expected", () => {
    const r = decodeOne(v9Bytes, V10Msg, { exactName: true })
    expect(reasonOf(r)).toBe("TypeMismatch")
    expect(r._tag === "Failure" && r.error.message).toContain("V9Msg")
  })

  it("exactName accepts the right names and checks nested structs too", () => {
    expect(decodeOne(v9Bytes, V9Msg, { exactName: true })).toEqual({
      _tag: "Value",
      value: { Header: header, Payload: new Uint8Array([9]) }
    })
    const Renamed = Gob.struct("V9Msg", {
      Header: Gob.struct("OtherHeader", { Network: Gob.uint }),
      Payload: Gob.bytes
    })
    expect(reasonOf(decodeOne(v9Bytes, Renamed))).toBe("Value")
    expect(reasonOf(decodeOne(v9Bytes, Renamed, { exactName: true }))).toBe("TypeMismatch")
  })

  it("the same decoder can decode with and without exactName", () => {
    const enc = new Gob.Encoder()
    const dec = new Gob.Decoder()
    dec.push(enc.encode(V9Msg, { Header: header, Payload: new Uint8Array([1]) }))
    dec.push(enc.encode(V9Msg, { Header: header, Payload: new Uint8Array([2]) }))
    expect(reasonOf(dec.decode(V10Msg))).toBe("Value")
    expect(reasonOf(dec.decode(V9Msg, { exactName: true }))).toBe("Value")
    expect(V9Header.kind).toBe("struct")
  })
})

describe("type compatibility", () => {
  const cases: Array<[string, Gob.Type<unknown>, unknown, Gob.Type<unknown>]> = [
    ["int into uint", Gob.int, 5, Gob.uint],
    ["uint into int", Gob.uint, 5, Gob.int],
    ["int into float", Gob.int, 5, Gob.float],
    ["string into bytes", Gob.string, "x", Gob.bytes],
    ["bytes into string", Gob.bytes, new Uint8Array([1]), Gob.string],
    ["bytes into []uint", Gob.bytes, new Uint8Array([1]), Gob.slice(Gob.uint)],
    ["[]uint into bytes", Gob.slice(Gob.uint), [1], Gob.bytes],
    ["bool into int", Gob.bool, true, Gob.int],
    ["slice into array", Gob.slice(Gob.int), [1], Gob.array(Gob.int, 1)],
    ["array into slice", Gob.array(Gob.int, 1), [1], Gob.slice(Gob.int)],
    ["array length", Gob.array(Gob.int, 2), [1, 2], Gob.array(Gob.int, 3)],
    ["map key", Gob.map(Gob.string, Gob.int), new Map([["a", 1]]), Gob.map(Gob.int, Gob.int)],
    ["map elem", Gob.map(Gob.string, Gob.int), new Map([["a", 1]]), Gob.map(Gob.string, Gob.string)],
    ["slice elem", Gob.slice(Gob.int), [1], Gob.slice(Gob.string)],
    ["struct into int", Gob.struct("T", { A: Gob.int }), { A: 1 }, Gob.int],
    ["int into struct", Gob.int, 1, Gob.struct("T", { A: Gob.int })],
    ["struct field", Gob.struct("T", { A: Gob.int }), { A: 1 }, Gob.struct("T", { A: Gob.string })]
  ]
  for (const [name, remote, value, local] of cases) {
    it(`rejects ${name} with TypeMismatch`, () => {
      expect(reasonOf(decodeOne(new Gob.Encoder().encode(remote, value), local))).toBe("TypeMismatch")
    })
  }

  it("int and int64, uint and uint64 share the wire", () => {
    const enc = new Gob.Encoder()
    const dec = new Gob.Decoder()
    dec.push(enc.encode(Gob.int, -5))
    dec.push(enc.encode(Gob.uint64, 2n ** 53n - 1n))
    dec.push(enc.encode(Gob.int64, -(2n ** 53n) + 1n))
    expect(dec.decode(Gob.int64)).toEqual({ _tag: "Value", value: -5n })
    expect(dec.decode(Gob.uint)).toEqual({ _tag: "Value", value: 2 ** 53 - 1 })
    expect(dec.decode(Gob.int)).toEqual({ _tag: "Value", value: -(2 ** 53) + 1 })
  })

  it("fails with Overflow when an int64 does not fit a number", () => {
    for (const v of [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)]) {
      expect(reasonOf(decodeOne(new Gob.Encoder().encode(Gob.int64, v), Gob.int))).toBe("Overflow")
    }
    expect(reasonOf(decodeOne(new Gob.Encoder().encode(Gob.uint64, 2n ** 53n), Gob.uint))).toBe("Overflow")
  })
})
