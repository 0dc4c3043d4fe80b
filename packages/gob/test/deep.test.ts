/**
 * Nesting limits (recursive and deeply nested types, deep descriptors) and
 * the Go features this package does not support.
 */
import { describe, expect, it } from "vitest"
import * as Gob from "../src/index.ts"
import { externalDef, reason, run, sliceDef, structDef, T, value } from "./craft.ts"

describe("nesting depth", () => {
  // type R struct { Kids []R }: R = 65, []R = 66.
  const defs = [
    structDef(65, "R", [
      ["Kids", 66],
      ["N", 2]
    ]),
    sliceDef(66, 65)
  ]
  const nested = (depth: number) =>
    value(65, (w) => {
      for (let i = 1; i < depth; i++) {
        w.uint(1) // Kids
        w.uint(1) // one element
      }
      w.uint(2) // N (field 1) on the innermost
      w.int(7)
      for (let i = 0; i < depth; i++) w.uint(0)
    })
  const R = Gob.struct("R", { N: Gob.int })
  const R2 = Gob.struct("R", { N: Gob.int, Kids: Gob.slice(Gob.struct("R", { N: Gob.int })) })

  it("a self-referential type nested deeper than maxDepth is TooDeep", () => {
    expect(run([...defs, nested(1)], R).result).toEqual({ _tag: "Value", value: { N: 7 } })
    expect(run([...defs, nested(30)], R).result._tag).toBe("Value")
    expect(run([...defs, nested(2)], R2).result).toEqual({ _tag: "Value", value: { N: 0, Kids: [{ N: 7 }] } })
    expect(reason([...defs, nested(200)], R)).toBe("TooDeep")
    expect(reason([...defs, nested(200)], R2)).toBe("TooDeep")
    expect(reason([...defs, nested(200)], R, { maxDepth: 500 })).toBe("Value")
    expect(reason([...defs, nested(40)], R, { maxDepth: 10 })).toBe("TooDeep")
  })

  it("nesting that exhausts the call stack is TooDeep, not an exception", () => {
    expect(reason([...defs, nested(200_000)], R, { maxDepth: 1e9 })).toBe("TooDeep")
  })

  it("a chain of definitions nested deeper than maxDepth is TooDeep", () => {
    // W { Deep []([]...[]int) } with 100 slice levels; the local W skips Deep.
    const chain = Array.from({ length: 100 }, (_, i) => sliceDef(66 + i, i === 99 ? 2 : 67 + i))
    const w = structDef(65, "W", [
      ["Deep", 66],
      ["A", 2]
    ])
    const v = value(65, (wr) => {
      wr.uint(1)
      for (let i = 0; i < 100; i++) wr.uint(1)
      wr.int(1)
      wr.uint(1)
      wr.int(9)
      wr.uint(0)
    })
    const W = Gob.struct("W", { A: Gob.int })
    expect(reason([w, ...chain, v], W)).toBe("TooDeep")
    expect(run([w, ...chain, v], W, { maxDepth: 200 }).result).toEqual({ _tag: "Value", value: { A: 9 } })
  })

  it("a local descriptor deeper than maxDepth is TooDeep", () => {
    let t: Gob.Type<unknown> = Gob.int
    for (let i = 0; i < 70; i++) t = Gob.slice(t)
    const bytes = new Gob.Encoder().encode(t, [])
    expect(reason([bytes], t)).toBe("TooDeep")
    expect(run([bytes], t, { maxDepth: 70 }).result).toEqual({ _tag: "Value", value: [] })
  })
})

describe("unsupported Go features", () => {
  // type T struct { A int; I interface{} }
  const def = structDef(65, "T", [
    ["A", 2],
    ["I", 8]
  ])
  const nilI = value(65, (w) => {
    w.uint(1)
    w.int(1)
    w.uint(0)
  })
  const explicitNil = value(65, (w) => {
    w.uint(1)
    w.int(1)
    w.uint(1)
    w.uint(0)
    w.uint(0)
  })
  const nonNil = value(65, (w) => {
    w.uint(1)
    w.int(1)
    w.uint(1)
    w.string("main.X")
    w.int(2)
    w.uint(2)
    w.uint(0)
    w.int(3)
    w.uint(0)
  })

  it("interface fields: nil ones are skipped, non-nil ones and local matches are Unsupported", () => {
    expect(run([def, nilI], T).result).toEqual({ _tag: "Value", value: { A: 1 } })
    expect(run([def, explicitNil], T).result).toEqual({ _tag: "Value", value: { A: 1 } })
    expect(reason([def, nonNil], T)).toBe("Unsupported")
    const { result } = run([def, nilI], Gob.struct("T", { A: Gob.int, I: Gob.string }))
    expect(result._tag === "Failure" && [result.error.reason, result.error.message]).toEqual([
      "Unsupported",
      expect.stringContaining("interface")
    ])
    expect(
      reason(
        [
          value(8, (w) => {
            w.uint(0)
            w.uint(0)
          })
        ],
        Gob.string
      )
    ).toBe("Unsupported")
  })

  it("GobEncoder/BinaryMarshaler/TextMarshaler types are skipped, or Unsupported when matched", () => {
    for (const field of [5, 6, 7]) {
      const defs = [
        externalDef(66, "Time", field),
        structDef(65, "T", [
          ["A", 2],
          ["When", 66]
        ])
      ]
      const v = value(65, (w) => {
        w.uint(1)
        w.int(1)
        w.uint(1)
        w.bytes(new Uint8Array([1, 2, 3]))
        w.uint(0)
      })
      expect(run([...defs, v], T).result).toEqual({ _tag: "Value", value: { A: 1 } })
      expect(reason([...defs, v], Gob.struct("T", { A: Gob.int, When: Gob.bytes }))).toBe("Unsupported")
    }
  })

  it("complex fields are skipped, and TypeMismatch when matched", () => {
    const defs = [
      structDef(65, "T", [
        ["A", 2],
        ["C", 7]
      ])
    ]
    const v = value(65, (w) => {
      w.uint(1)
      w.int(1)
      w.uint(1)
      w.float(1.5)
      w.float(-2)
      w.uint(0)
    })
    expect(run([...defs, v], T).result).toEqual({ _tag: "Value", value: { A: 1 } })
    expect(reason([...defs, v], Gob.struct("T", { A: Gob.int, C: Gob.float }))).toBe("TypeMismatch")
  })
})
