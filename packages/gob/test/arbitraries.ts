/**
 * fast-check arbitraries: random gob type shapes, their descriptors, values
 * matching them, and the value a decoder must return for each.
 */
import fc from "fast-check"
import * as Gob from "../src/index.ts"

export type Spec =
  | { readonly k: "bool" | "int" | "uint" | "int64" | "uint64" | "float" | "string" | "bytes" }
  | { readonly k: "slice"; readonly e: Spec }
  | { readonly k: "array"; readonly e: Spec; readonly n: number }
  | { readonly k: "map"; readonly key: Spec; readonly e: Spec }
  | { readonly k: "struct"; readonly fields: ReadonlyArray<{ readonly name: string; readonly spec: Spec }> }

const primKinds = ["bool", "int", "uint", "int64", "uint64", "float", "string", "bytes"] as const
const keyKinds = ["bool", "int", "uint", "int64", "uint64", "string"] as const
const fieldNames = ["A", "B", "C", "Dx", "Header", "Payload", "Type", "Z9", "Ünïcode", "Q"]

const primSpec: fc.Arbitrary<Spec> = fc.constantFrom(...primKinds).map((k) => ({ k }))
const keySpec: fc.Arbitrary<Spec> = fc.constantFrom(...keyKinds).map((k) => ({ k }))

/** Random type shapes, nested up to `maxDepth` composite levels. */
export const specArb = (maxDepth = 4): fc.Arbitrary<Spec> =>
  fc.letrec<{ spec: Spec; composite: Spec }>((tie) => ({
    spec: fc.oneof({ maxDepth, depthIdentifier: "spec" }, primSpec, tie("composite")),
    composite: fc.oneof(
      tie("spec").map((e): Spec => ({ k: "slice", e })),
      fc.record({ e: tie("spec"), n: fc.integer({ min: 0, max: 3 }) }).map(({ e, n }): Spec => ({ k: "array", e, n })),
      fc.record({ key: keySpec, e: tie("spec") }).map(({ key, e }): Spec => ({ k: "map", key, e })),
      fc
        .uniqueArray(fc.record({ name: fc.constantFrom(...fieldNames), spec: tie("spec") }), {
          selector: (f) => f.name,
          maxLength: 5
        })
        .map((fields): Spec => ({ k: "struct", fields }))
    )
  })).spec

let structCounter = 0

/** Builds the descriptor of a shape (each struct is a new named type). */
export const typeOf = (s: Spec): Gob.Type<unknown> => {
  switch (s.k) {
    case "bool":
      return Gob.bool
    case "int":
      return Gob.int
    case "uint":
      return Gob.uint
    case "int64":
      return Gob.int64
    case "uint64":
      return Gob.uint64
    case "float":
      return Gob.float
    case "string":
      return Gob.string
    case "bytes":
      return Gob.bytes
    case "slice":
      return Gob.slice(typeOf(s.e))
    case "array":
      return Gob.array(typeOf(s.e), s.n)
    case "map":
      return Gob.map(typeOf(s.key), typeOf(s.e))
    case "struct": {
      const fields: Record<string, Gob.Type<unknown>> = {}
      for (const f of s.fields) fields[f.name] = typeOf(f.spec)
      return Gob.struct(`S${structCounter++}`, fields)
    }
  }
}

const stringArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.string({ minLength: 20, maxLength: 100 })
)

/** Values of a shape. */
export const valueArb = (s: Spec): fc.Arbitrary<unknown> => {
  switch (s.k) {
    case "bool":
      return fc.boolean()
    case "int":
      return fc.oneof(fc.integer({ min: -200, max: 200 }), fc.maxSafeInteger())
    case "uint":
      return fc.oneof(fc.nat(300), fc.maxSafeNat())
    case "int64":
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    case "uint64":
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
    case "float":
      return fc.double()
    case "string":
      return stringArb
    case "bytes":
      return fc.uint8Array({ maxLength: 40 })
    case "slice":
      return fc.array(valueArb(s.e), { maxLength: 4 })
    case "array":
      return fc.array(valueArb(s.e), { minLength: s.n, maxLength: s.n })
    case "map":
      return fc
        .uniqueArray(fc.tuple(valueArb(s.key), valueArb(s.e)), {
          selector: (t) => t[0],
          comparator: "SameValueZero",
          maxLength: 4
        })
        .map((entries) => new Map(entries))
    case "struct": {
      const model: Record<string, fc.Arbitrary<unknown>> = {}
      for (const f of s.fields) model[f.name] = valueArb(f.spec)
      return fc.record(model)
    }
  }
}

/**
 * What a decoder returns for a value: the same, except that a float struct
 * field holding -0 is omitted like any zero field (Go tests `f != 0`), so it
 * comes back as +0.
 */
export const expectedOf = (s: Spec, v: unknown, inField = false): unknown => {
  switch (s.k) {
    case "float":
      return inField && Object.is(v, -0) ? 0 : v
    case "slice":
    case "array":
      return (v as ReadonlyArray<unknown>).map((x) => expectedOf(s.e, x))
    case "map":
      return new Map([...(v as ReadonlyMap<unknown, unknown>)].map(([k, x]) => [k, expectedOf(s.e, x)]))
    case "struct": {
      const out: Record<string, unknown> = {}
      for (const f of s.fields) out[f.name] = expectedOf(f.spec, (v as Record<string, unknown>)[f.name], true)
      return out
    }
    default:
      return v
  }
}

/** A shape with a few values of it. */
export const sampleArb = (maxDepth = 4, maxValues = 4) =>
  specArb(maxDepth).chain((spec) =>
    fc.record({
      spec: fc.constant(spec),
      values: fc.array(valueArb(spec), { minLength: 1, maxLength: maxValues })
    })
  )

/** Splits bytes at the given cut points (any order, duplicates allowed). */
export const split = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let prev = 0
  for (const p of points) {
    out.push(bytes.subarray(prev, p))
    prev = p
  }
  out.push(bytes.subarray(prev))
  return out
}
