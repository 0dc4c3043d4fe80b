/**
 * Broken and hostile input: truncation, size limits, bad varints and lengths,
 * bad type ids and definitions, malformed values. Every case ends in the right
 * Failure (or NeedMore), never an exception, never a large allocation.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Gob from "../src/index.ts"
import { sampleArb, typeOf } from "./arbitraries.ts"
import { defsOf, message, messages, reason, run, structDef, T, value } from "./craft.ts"
import { concat, unhex, V9Msg, V10Msg } from "./support.ts"

describe("truncated streams", () => {
  it("every prefix yields exactly the complete values, then NeedMore — never a Failure", () => {
    fc.assert(
      fc.property(sampleArb(3, 3), ({ spec, values }) => {
        const type = typeOf(spec)
        const enc = new Gob.Encoder()
        const bytes = concat(...values.map((v) => enc.encode(type, v)))
        const ends = messages(bytes)
          .filter((m) => m.id > 0)
          .map((m) => m.end)
        expect(ends.length).toBe(values.length)
        const step = Math.max(1, Math.floor(bytes.length / 150))
        for (let i = 0; i < bytes.length; i += step) {
          const dec = new Gob.Decoder()
          dec.push(bytes.subarray(0, i))
          let n = 0
          for (;;) {
            const r = dec.decode(type)
            expect(r._tag).not.toBe("Failure")
            if (r._tag === "NeedMore") break
            n++
          }
          expect(n).toBe(ends.filter((e) => e <= i).length)
        }
      }),
      { numRuns: 150 }
    )
  })
})

describe("message length limits", () => {
  const memory = () => process.memoryUsage().arrayBuffers

  it("a 1 GiB length claim fails with TooLarge at once, from the 9-byte prefix alone, without allocating", () => {
    const before = memory()
    const prefix = unhex("f80000000040000000")
    expect(prefix.length).toBe(9)
    const { dec, result } = run([prefix], V9Msg)
    expect(result._tag === "Failure" && result.error.reason).toBe("TooLarge")
    expect(result._tag === "Failure" && result.error.size).toBe(2 ** 30)
    expect(dec.buffered).toBe(0)
    expect(memory() - before).toBeLessThan(8 * 1024 * 1024)
    // The 5-byte minimal form too, and a claim beyond 2^53.
    expect(reason([unhex("fc40000000")], V9Msg)).toBe("TooLarge")
    expect(reason([unhex("f8ffffffffffffffff")], V9Msg)).toBe("TooLarge")
  })

  it("a prefix arriving in pieces is checked once complete", () => {
    const dec = new Gob.Decoder({ maxMessageSize: 1000 })
    dec.push(unhex("fe03"))
    expect(dec.decode(V9Msg)).toEqual({ _tag: "NeedMore" })
    dec.push(unhex("e9"))
    const r = dec.decode(V9Msg)
    expect(r._tag === "Failure" && [r.error.reason, r.error.size]).toEqual(["TooLarge", 1001])
  })

  it("a message at the limit is accepted, and only arrived bytes are buffered", () => {
    const before = memory()
    const dec = new Gob.Decoder()
    dec.push(unhex("fc08000000")) // exactly 128 MiB announced
    expect(dec.decode(V9Msg)).toEqual({ _tag: "NeedMore" })
    dec.push(new Uint8Array(10))
    expect(dec.decode(V9Msg)).toEqual({ _tag: "NeedMore" })
    expect(dec.buffered).toBe(10)
    expect(memory() - before).toBeLessThan(8 * 1024 * 1024)
    expect(reason([unhex("fc08000001")], V9Msg)).toBe("TooLarge")
  })

  it("zero-length messages are Malformed", () => {
    expect(reason([unhex("00")], V9Msg)).toBe("Malformed")
  })
})

describe("bad varints and lengths", () => {
  it("a varint announcing more than 8 bytes overflows (length prefix and inside a message)", () => {
    expect(reason([unhex("f7")], V9Msg)).toBe("Overflow")
    expect(reason([unhex("80")], V9Msg)).toBe("Overflow")
    const def = defsOf(new Gob.Encoder().encode(T, { A: 1 }))
    expect(
      reason(
        [
          def,
          value(65, (w) => {
            w.uint(1)
            w.byte(0xf7)
          })
        ],
        T
      )
    ).toBe("Overflow")
    expect(reason([def, unhex("03ff8280")], T)).toBe("Overflow")
  })

  it("lengths that Go reads as negative are NegativeLength", () => {
    const S = Gob.struct("S", { S: Gob.string })
    const def = defsOf(new Gob.Encoder().encode(S, { S: "x" }))
    const bad = value(65, (w) => {
      w.uint(1)
      w.bigUint(2n ** 63n)
      w.string("abc")
    })
    expect(reason([def, bad], S)).toBe("NegativeLength")
  })

  it("lengths and counts beyond the message are Truncated (never allocated)", () => {
    const samples: Array<[Gob.Type<unknown>, unknown]> = [
      [Gob.string, "abc"],
      [Gob.bytes, new Uint8Array(3)],
      [Gob.slice(Gob.int), [1, 2, 3]],
      [Gob.map(Gob.int, Gob.int), new Map([[1, 2]])]
    ]
    for (const [type, v] of samples) {
      const good = new Gob.Encoder().encode(type, v)
      const all = messages(good)
      const last = all[all.length - 1]!
      const bad = value(last.id, (w) => {
        w.uint(0) // singleton field delta
        w.uint(2 ** 40)
        w.byte(1)
      })
      const before = process.memoryUsage().arrayBuffers
      expect(reason([good.subarray(0, last.start), bad], type)).toBe("Truncated")
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024)
    }
  })
})

describe("type ids and definitions", () => {
  it("a value of an undefined or invalid type id is BadTypeId", () => {
    expect(reason([value(70, (w) => w.uint(0))], T)).toBe("BadTypeId")
    expect(reason([value(0, (w) => w.uint(0))], T)).toBe("BadTypeId")
    expect(reason([value(10, (w) => w.uint(0))], T)).toBe("BadTypeId") // reserved
    expect(reason([value(2 ** 31, (w) => w.uint(0))], T)).toBe("BadTypeId")
  })

  it("a definition referring to an undefined type fails with BadTypeId when it is needed", () => {
    const def = structDef(65, "T", [
      ["A", 2],
      ["X", 99]
    ])
    const withX = value(65, (w) => {
      w.uint(2)
      w.uint(0)
    })
    const withoutX = value(65, (w) => {
      w.uint(1)
      w.int(5)
      w.uint(0)
    })
    expect(run([def, withoutX], T).result).toEqual({ _tag: "Value", value: { A: 5 } })
    expect(reason([def, withX], T)).toBe("BadTypeId") // X is skipped: its type is needed
    expect(reason([def, withoutX], Gob.struct("T", { A: Gob.int, X: Gob.int }))).toBe("BadTypeId")
    expect(reason([structDef(65, "T", [["A", -3]])], T)).toBe("BadTypeId")
  })

  it("the wrong wire type is TypeMismatch", () => {
    expect(reason([new Gob.Encoder().encode(Gob.string, "x")], Gob.int)).toBe("TypeMismatch")
    expect(reason([new Gob.Encoder().encode(V10Msg, { Type: 1, Payload: new Uint8Array(1) })], Gob.bytes)).toBe(
      "TypeMismatch"
    )
  })

  it("a second definition of an id, or of a predefined id, is DuplicateType", () => {
    const def = structDef(65, "T", [["A", 2]])
    expect(reason([def, def], T)).toBe("DuplicateType")
    expect(reason([structDef(16, "wireType", [["A", 2]])], T)).toBe("DuplicateType")
    expect(reason([structDef(63, "X", [["A", 2]])], T)).toBe("DuplicateType")
    // 64 is Go's first user id: accepted.
    const v64 = value(64, (w) => {
      w.uint(1)
      w.int(3)
      w.uint(0)
    })
    expect(run([structDef(64, "T", [["A", 2]]), v64], T).result).toEqual({ _tag: "Value", value: { A: 3 } })
  })

  it("invalid definitions are Malformed", () => {
    const empty = message((w) => {
      w.int(-65)
      w.uint(0)
    })
    expect(reason([empty], T)).toBe("Malformed")
    const two = message((w) => {
      w.int(-65)
      for (const d of [2, 1]) {
        w.uint(d) // SliceT, then StructT
        w.uint(1)
        w.uint(2)
        w.int(65)
        w.uint(0)
        if (d === 2) {
          w.uint(1)
          w.int(2)
        }
        w.uint(0)
      }
      w.uint(0)
    })
    expect(reason([two], T)).toBe("Malformed")
    expect(reason([structDef(65, "T", [["", 2]])], T)).toBe("Malformed")
    const extra = concat(structDef(65, "T", [["A", 2]]))
    extra[0] = extra[0]! + 1
    expect(reason([extra, new Uint8Array([0])], T)).toBe("Malformed")
  })

  it("more than maxTypes definitions is TooLarge", () => {
    const defs = [65, 66, 67].map((id) => structDef(id, "T", [["A", 2]]))
    expect(reason(defs, T, { maxTypes: 2 })).toBe("TooLarge")
    expect(reason(defs, T, { maxTypes: 3 })).toBe("NeedMore")
  })
})

describe("malformed values", () => {
  const def = structDef(65, "T", [["A", 2]])

  it("extra data after a value is Malformed", () => {
    const v = value(65, (w) => {
      w.uint(1)
      w.int(1)
      w.uint(0)
      w.uint(7)
    })
    expect(reason([def, v], T)).toBe("Malformed")
    expect(
      reason(
        [
          value(2, (w) => {
            w.uint(0)
            w.int(1)
            w.uint(0)
          })
        ],
        Gob.int
      )
    ).toBe("Malformed")
  })

  it("a field delta beyond the struct's fields is Malformed", () => {
    expect(
      reason(
        [
          def,
          value(65, (w) => {
            w.uint(2)
            w.int(1)
            w.uint(0)
          })
        ],
        T
      )
    ).toBe("Malformed")
    expect(
      reason(
        [
          def,
          value(65, (w) => {
            w.uint(2 ** 40)
            w.uint(0)
          })
        ],
        T
      )
    ).toBe("Malformed")
  })

  it("a non-zero delta before a singleton is Malformed", () => {
    expect(
      reason(
        [
          value(2, (w) => {
            w.uint(1)
            w.int(1)
          })
        ],
        Gob.int
      )
    ).toBe("Malformed")
  })

  it("an array whose count differs from its type's length is Malformed", () => {
    const enc = new Gob.Encoder()
    const good = enc.encode(Gob.array(Gob.int, 2), [1, 2])
    const defs = defsOf(good)
    const bad = value(65, (w) => {
      w.uint(0)
      w.uint(3)
      w.int(1)
      w.int(2)
      w.int(3)
    })
    expect(run([good], Gob.array(Gob.int, 2)).result).toEqual({ _tag: "Value", value: [1, 2] })
    expect(reason([defs, bad], Gob.array(Gob.int, 2))).toBe("Malformed")
  })

  it("a struct may end at the end of its message without a terminator (as Go accepts)", () => {
    expect(
      run(
        [
          def,
          value(65, (w) => {
            w.uint(1)
            w.int(4)
          })
        ],
        T
      ).result
    ).toEqual({ _tag: "Value", value: { A: 4 } })
  })

  it("a message ending inside a value is Truncated", () => {
    expect(reason([def, value(65, (w) => w.uint(1))], T)).toBe("Truncated")
    expect(
      reason(
        [
          value(6, (w) => {
            w.uint(0)
            w.uint(5)
            w.byte(65)
          })
        ],
        Gob.string
      )
    ).toBe("Truncated")
  })
})

describe("after a failure", () => {
  it("the decoder stays failed with the same failure and drops input", () => {
    const { dec, result } = run([unhex("00")], T)
    expect(result._tag).toBe("Failure")
    dec.push(new Gob.Encoder().encode(T, { A: 1 }))
    expect(dec.buffered).toBe(0)
    expect(dec.decode(T)).toBe(result)
    expect(dec.decode(V9Msg)).toBe(result)
  })
})
