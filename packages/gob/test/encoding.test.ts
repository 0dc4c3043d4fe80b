/**
 * The encoding itself: Go's documented examples, primitive edge values, type
 * id assignment and definition order, run-time coercions, buffer ownership.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Gob from "../src/index.ts"
import { Reader, readInt, readUint } from "../src/Wire.ts"
import { concat, hex, unhex } from "./support.ts"

const one = <A>(type: Gob.Type<A>, value: A): string => hex(new Gob.Encoder().encode(type, value))
const roundTrip = <A>(type: Gob.Type<A>, value: A): unknown => {
  const r = Gob.decodeAll(type, new Gob.Encoder().encode(type, value))
  if (r._tag !== "Value") throw new Error(r.error.message)
  return r.value[0]
}

/** The type ids of the messages of a stream (negative for definitions). */
const ids = (bytes: Uint8Array): Array<number> => {
  const r = new Reader()
  r.reset(bytes, 0, bytes.length, false)
  const out: Array<number> = []
  while (r.pos < r.end) {
    const len = readUint(r)
    const end = r.pos + len
    out.push(readInt(r))
    r.pos = end
  }
  return out
}

describe("Go's documented encodings (encoding/gob doc.go)", () => {
  it("Point{22, 33}", () => {
    const Point = Gob.struct("Point", { X: Gob.int, Y: Gob.int })
    expect(one(Point, { X: 22, Y: 33 })).toBe(
      "1fff8103010105506f696e7401ff820001020101580104000101590104000000" + "07ff82012c014200"
    )
  })

  it("primitive values as top-level singletons (id, 0 delta, value)", () => {
    expect(one(Gob.uint, 0)).toBe("03060000")
    expect(one(Gob.uint, 7)).toBe("03060007")
    expect(one(Gob.uint, 256)).toBe("050600fe0100")
    expect(one(Gob.int, -129)).toBe("050400fe0101")
    expect(one(Gob.float, 17)).toBe("050800fe3140")
    expect(one(Gob.bool, true)).toBe("03020001")
    expect(one(Gob.bool, false)).toBe("03020000")
    expect(one(Gob.string, "hi")).toBe("050c00026869")
    expect(one(Gob.bytes, new Uint8Array([1, 2]))).toBe("050a00020102")
    expect(one(Gob.uint64, 2n ** 64n - 1n)).toBe("0b0600f8ffffffffffffffff")
    expect(one(Gob.int64, -(2n ** 63n))).toBe("0b0400f8ffffffffffffffff")
    expect(one(Gob.int64, 2n ** 63n - 1n)).toBe("0b0400f8fffffffffffffffe")
  })
})

describe("primitive edge values", () => {
  it("ints and uints across the safe range", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.maxSafeNat(), (i, u) => {
        expect(roundTrip(Gob.int, i)).toBe(i)
        expect(roundTrip(Gob.uint, u)).toBe(u)
        expect(roundTrip(Gob.int64, BigInt(i))).toBe(BigInt(i))
      })
    )
    for (const x of [
      0,
      1,
      -1,
      63,
      64,
      -64,
      -65,
      127,
      128,
      255,
      256,
      2 ** 31,
      -(2 ** 31),
      2 ** 32,
      2 ** 53 - 1,
      -(2 ** 53 - 1)
    ]) {
      expect(roundTrip(Gob.int, x)).toBe(x)
      expect(roundTrip(Gob.uint, Math.abs(x))).toBe(Math.abs(x))
    }
  })

  it("64-bit bigints, including the extremes", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (i, u) => {
          expect(roundTrip(Gob.int64, i)).toBe(i)
          expect(roundTrip(Gob.uint64, u)).toBe(u)
        }
      )
    )
  })

  it("floats bit for bit (top level keeps -0; NaN, infinities, subnormals)", () => {
    fc.assert(
      fc.property(fc.double(), (f) => {
        expect(Object.is(roundTrip(Gob.float, f), f)).toBe(true)
      })
    )
    for (const f of [-0, Number.NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, 2, 0.5, -1.5]) {
      expect(Object.is(roundTrip(Gob.float, f), f)).toBe(true)
    }
    expect(one(Gob.float, 2)).toBe("03080040")
  })

  it("a -0 float struct field is omitted like Go (f == 0), and decodes as +0", () => {
    const S = Gob.struct("S", { F: Gob.float })
    expect(one(S, { F: -0 })).toBe(one(S, { F: 0 }))
    expect(Object.is((roundTrip(S, { F: -0 }) as { F: number }).F, 0)).toBe(true)
  })

  it("strings: UTF-8, a leading BOM kept, lone surrogates and invalid UTF-8 replaced", () => {
    for (const s of ["", "a", "é", "日本語", "😀", "\uFEFFx", "x".repeat(100), "ü".repeat(40)]) {
      expect(roundTrip(Gob.string, s)).toBe(s)
    }
    expect(roundTrip(Gob.string, "a\uD800b")).toBe("a\uFFFDb")
    expect(one(Gob.string, "\uD800")).toBe("060c0003efbfbd")
    const invalid = unhex("060c0003ff41c3")
    expect(Gob.decodeAll(Gob.string, invalid)).toEqual({ _tag: "Value", value: ["\uFFFDA\uFFFD"] })
  })
})

describe("type ids and definitions", () => {
  it("a struct gets its id before its fields' types; a slice after its element; sent pre-order", () => {
    const B = Gob.struct("B", { N: Gob.int })
    const C = Gob.struct("C", { S: Gob.string })
    const A = Gob.struct("A", { B, L: Gob.slice(C), M: Gob.map(Gob.string, C) })
    const typeIds = new Gob.TypeIds()
    const bytes = new Gob.Encoder({ typeIds }).encode(A, { B: { N: 1 }, L: [], M: new Map() })
    expect([A, B, C, Gob.slice(C), Gob.map(Gob.string, C)].map((t) => typeIds.idOf(t))).toEqual([65, 66, 67, 68, 69])
    expect(ids(bytes)).toEqual([-65, -66, -68, -67, -69, 65])
  })

  it("composite descriptors are canonical", () => {
    expect(Gob.slice(Gob.int)).toBe(Gob.slice(Gob.int))
    expect(Gob.array(Gob.int, 3)).toBe(Gob.array(Gob.int, 3))
    expect(Gob.array(Gob.int, 3)).not.toBe(Gob.array(Gob.int, 4))
    expect(Gob.map(Gob.string, Gob.bytes)).toBe(Gob.map(Gob.string, Gob.bytes))
    expect(Gob.struct("S", {})).not.toBe(Gob.struct("S", {}))
    expect(Gob.map(Gob.string, Gob.slice(Gob.int)).goName).toBe("map[string][]int")
  })

  it("definitions of slices, arrays and maps, with Go's names", () => {
    // Top level: unnamed composite types have an empty name.
    expect(one(Gob.slice(Gob.int), [1, 2])).toBe("0cff81020102ff82000104000006ff8200020204")
    expect(one(Gob.array(Gob.uint, 2), [1, 2])).toBe("0eff81010102ff820001060104000006ff8200020102")
    expect(one(Gob.map(Gob.string, Gob.int), new Map([["a", 1]]))).toBe(
      "0eff81040102ff8200010c0104000007ff820001016102"
    )
    // As a struct field, a composite type is named in Go syntax.
    const S = Gob.struct("S", { L: Gob.slice(Gob.string) })
    expect(hex(new Gob.Encoder().encode(S, { L: ["x"] }))).toContain(hex(new TextEncoder().encode("[]string")))
  })

  it("each definition is sent once per encoder; encoders sharing TypeIds keep ids stable", () => {
    const S = Gob.struct("S", { A: Gob.int })
    const typeIds = new Gob.TypeIds(100)
    const e1 = new Gob.Encoder({ typeIds })
    expect(ids(e1.encode(S, { A: 1 }))).toEqual([-100, 100])
    expect(ids(e1.encode(S, { A: 2 }))).toEqual([100])
    const e2 = new Gob.Encoder({ typeIds })
    expect(ids(e2.encode(S, { A: 3 }))).toEqual([-100, 100])
    expect(new Gob.TypeIds(3).register(S)).toBe(65) // below Go's first user id: the default
  })

  it("basic types need no definition", () => {
    expect(ids(new Gob.Encoder().encode(Gob.bytes, new Uint8Array(1)))).toEqual([5])
    expect(new Gob.TypeIds().register(Gob.string)).toBe(6)
  })
})

describe("encoder run-time coercions (encoding never fails)", () => {
  it("numbers convert like Go conversions", () => {
    expect(roundTrip(Gob.int, 1.7)).toBe(1)
    expect(roundTrip(Gob.int, -1.7)).toBe(-1)
    expect(roundTrip(Gob.int, Number.NaN)).toBe(0)
    expect(roundTrip(Gob.int, Infinity)).toBe(0)
    expect(one(Gob.uint, -1)).toBe(one(Gob.uint64, 2n ** 64n - 1n))
    expect(one(Gob.uint, 2 ** 64)).toBe(one(Gob.uint, 0))
    expect(one(Gob.int, 2 ** 63)).toBe(one(Gob.int64, -(2n ** 63n)))
    expect(one(Gob.int, 2 ** 60)).toBe(one(Gob.int64, 2n ** 60n))
    expect(one(Gob.uint, 2 ** 60)).toBe(one(Gob.uint64, 2n ** 60n))
    expect(one(Gob.int64, 2n ** 64n + 5n)).toBe(one(Gob.int64, 5n))
    expect(one(Gob.int64, 5 as unknown as bigint)).toBe(one(Gob.int64, 5n))
  })

  it("arrays are padded or cut to their length; values of the wrong kind are zero", () => {
    const A = Gob.array(Gob.int, 3)
    expect(roundTrip(A, [1])).toEqual([1, 0, 0])
    expect(roundTrip(A, [1, 2, 3, 4])).toEqual([1, 2, 3])
    const S = Gob.struct("S", { A: Gob.int, B: Gob.string, C: Gob.slice(Gob.int), D: Gob.map(Gob.int, Gob.int) })
    const weird = { A: "x", B: 5, C: null, D: [] } as unknown as Gob.TypeOf<typeof S>
    expect(one(S, weird)).toBe(one(S, { A: 0, B: "", C: [], D: new Map() }))
    expect(roundTrip(S, undefined as unknown as Gob.TypeOf<typeof S>)).toEqual({ A: 0, B: "", C: [], D: new Map() })
    expect(roundTrip(Gob.slice(Gob.uint), new Uint16Array([1, 2]) as unknown as ReadonlyArray<number>)).toEqual([1, 2])
  })
})

describe("buffers", () => {
  it("each encode returns a fresh array; the scratch buffer is reused safely", () => {
    const enc = new Gob.Encoder()
    const S = Gob.struct("S", { B: Gob.bytes })
    const a = enc.encode(S, { B: new Uint8Array(10_000).fill(1) })
    const copy = a.slice()
    const b = enc.encode(S, { B: new Uint8Array(5).fill(2) })
    expect(a).toEqual(copy)
    expect(a.buffer).not.toBe(b.buffer)
  })

  it("decoded bytes never alias a pushed chunk", () => {
    const S = Gob.struct("S", { B: Gob.bytes })
    const bytes = new Gob.Encoder().encode(S, { B: new Uint8Array([1, 2, 3]) })
    for (const chunks of [[bytes], [bytes.slice(0, -4), bytes.slice(-4)]]) {
      const dec = new Gob.Decoder()
      const pushed = chunks.map((c) => c.slice())
      for (const c of pushed) dec.push(c)
      const r = dec.decode(S)
      if (r._tag !== "Value") throw new Error("expected a value")
      for (const c of pushed) c.fill(0xee)
      expect(r.value.B).toEqual(new Uint8Array([1, 2, 3]))
    }
  })

  it("encodeAll and decodeAll", () => {
    const S = Gob.struct("S", { A: Gob.int })
    const bytes = Gob.encodeAll(S, [{ A: 1 }, { A: 2 }])
    expect(Gob.decodeAll(S, bytes)).toEqual({ _tag: "Value", value: [{ A: 1 }, { A: 2 }] })
    const cut = Gob.decodeAll(S, bytes.subarray(0, bytes.length - 1))
    expect(cut._tag === "Failure" && cut.error.reason).toBe("Truncated")
    const prefixOnly = Gob.decodeAll(S, concat(bytes, unhex("05")))
    expect(prefixOnly._tag === "Failure" && prefixOnly.error.reason).toBe("Truncated")
    expect(Gob.decodeAll(S, new Uint8Array(0))).toEqual({ _tag: "Value", value: [] })
  })
})
