/**
 * Type descriptors: a `Type<A>` describes a Go type and the JavaScript value it maps to.
 *
 * Descriptors are immutable. `slice`, `array` and `map` are canonical: building
 * the same composite twice returns the same object (like Go, where `[]string`
 * is one type), so it gets one type id. Each `struct` call creates a distinct
 * named type, like a Go type declaration.
 *
 * @since 0.1.0
 */

/**
 * The kinds of descriptors.
 *
 * @category models
 * @since 0.1.0
 */
export type TypeKind =
  | "bool"
  | "int"
  | "uint"
  | "int64"
  | "uint64"
  | "float"
  | "string"
  | "bytes"
  | "slice"
  | "array"
  | "map"
  | "struct"

/**
 * Describes a Go type whose values are represented in JavaScript as `A`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Type<A> {
  /** Discriminator. */
  readonly _tag: "GobType"
  /** What kind of Go type this is. */
  readonly kind: TypeKind
  /** Go syntax for the type, e.g. `[]string`, `map[string]int64`, `V9Msg`. */
  readonly goName: string
  /** Phantom: the JavaScript value type. Never present at run time. */
  readonly "~value"?: A
}

/**
 * The JavaScript value type described by a descriptor.
 *
 * @category models
 * @since 0.1.0
 */
export type TypeOf<T> = T extends Type<infer A> ? A : never

/** @internal */
export type PrimKind = "bool" | "int" | "uint" | "int64" | "uint64" | "float" | "string" | "bytes"

/** @internal */
export interface PrimDesc extends Type<unknown> {
  readonly kind: PrimKind
  readonly depth: 0
}

/** @internal */
export interface SliceDesc extends Type<unknown> {
  readonly kind: "slice"
  readonly depth: number
  readonly elem: Desc
}

/** @internal */
export interface ArrayDesc extends Type<unknown> {
  readonly kind: "array"
  readonly depth: number
  readonly elem: Desc
  readonly length: number
}

/** @internal */
export interface MapDesc extends Type<unknown> {
  readonly kind: "map"
  readonly depth: number
  readonly key: Desc
  readonly elem: Desc
}

/** @internal */
export interface FieldDesc {
  readonly name: string
  readonly type: Desc
}

/** @internal */
export interface StructDesc extends Type<unknown> {
  readonly kind: "struct"
  readonly depth: number
  readonly name: string
  readonly fields: ReadonlyArray<FieldDesc>
}

/**
 * The internal view of a descriptor.
 *
 * @internal
 */
export type Desc = PrimDesc | SliceDesc | ArrayDesc | MapDesc | StructDesc

/** @internal */
export const desc = (t: Type<unknown>): Desc => t as Desc

const prim = <A>(kind: PrimKind, goName: string): Type<A> =>
  Object.freeze({ _tag: "GobType", kind, goName, depth: 0 }) as PrimDesc as Type<A>

/**
 * Go `bool` (wire type id 1).
 *
 * @category primitives
 * @since 0.1.0
 */
export const bool: Type<boolean> = prim("bool", "bool")

/**
 * Go `int`, `int8` … `int64` (wire type id 2) as a `number`. Decoding fails
 * with `Overflow` outside the safe-integer range.
 *
 * @category primitives
 * @since 0.1.0
 */
export const int: Type<number> = prim("int", "int")

/**
 * Go `uint`, `uint8` … `uint64`, `uintptr` (wire type id 3) as a `number`.
 * Decoding fails with `Overflow` above `Number.MAX_SAFE_INTEGER`.
 *
 * @category primitives
 * @since 0.1.0
 */
export const uint: Type<number> = prim("uint", "uint")

/**
 * Go `int64` (wire type id 2) as a `bigint`: the full 64-bit range.
 *
 * @category primitives
 * @since 0.1.0
 */
export const int64: Type<bigint> = prim("int64", "int64")

/**
 * Go `uint64` (wire type id 3) as a `bigint`: the full 64-bit range.
 *
 * @category primitives
 * @since 0.1.0
 */
export const uint64: Type<bigint> = prim("uint64", "uint64")

/**
 * Go `float32`/`float64` (wire type id 4) as a `number`.
 *
 * @category primitives
 * @since 0.1.0
 */
export const float: Type<number> = prim("float", "float64")

/**
 * Go `string` (wire type id 6), UTF-8 on the wire. Invalid UTF-8 from a peer
 * decodes with U+FFFD replacement characters.
 *
 * @category primitives
 * @since 0.1.0
 */
export const string: Type<string> = prim("string", "string")

/**
 * Go `[]byte` (wire type id 5) as a `Uint8Array`.
 *
 * @category primitives
 * @since 0.1.0
 */
export const bytes: Type<Uint8Array> = prim("bytes", "[]uint8")

const sliceCache = new WeakMap<Desc, SliceDesc>()
const arrayCache = new WeakMap<Desc, Map<number, ArrayDesc>>()
const mapCache = new WeakMap<Desc, WeakMap<Desc, MapDesc>>()

/**
 * Go `[]T` (not `[]byte`: use {@link bytes}). Elements are always sent, zero or not.
 *
 * @category constructors
 * @since 0.1.0
 */
export const slice = <A>(elem: Type<A>): Type<ReadonlyArray<A>> => {
  const e = desc(elem)
  let d = sliceCache.get(e)
  if (d === undefined) {
    d = Object.freeze({ _tag: "GobType", kind: "slice", goName: `[]${e.goName}`, depth: e.depth + 1, elem: e })
    sliceCache.set(e, d)
  }
  return d as Type<ReadonlyArray<A>>
}

/**
 * Go `[N]T`. `length` is truncated to an integer and clamped to `0 … 2^31-1`.
 * When encoding, a shorter JavaScript array is padded with zero values and a
 * longer one is cut to `length`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const array = <A>(elem: Type<A>, length: number): Type<ReadonlyArray<A>> => {
  const e = desc(elem)
  const n = Number.isFinite(length) ? Math.min(Math.max(Math.trunc(length), 0), 0x7fffffff) : 0
  let byLength = arrayCache.get(e)
  if (byLength === undefined) {
    byLength = new Map()
    arrayCache.set(e, byLength)
  }
  let d = byLength.get(n)
  if (d === undefined) {
    d = Object.freeze({
      _tag: "GobType",
      kind: "array",
      goName: `[${n}]${e.goName}`,
      depth: e.depth + 1,
      elem: e,
      length: n
    })
    byLength.set(n, d)
  }
  return d as Type<ReadonlyArray<A>>
}

/**
 * Go `map[K]V` as a `ReadonlyMap`. Entries are encoded in the map's iteration
 * order; on decoding, a repeated key keeps the last value (as Go does).
 *
 * @category constructors
 * @since 0.1.0
 */
export const map = <K, V>(key: Type<K>, elem: Type<V>): Type<ReadonlyMap<K, V>> => {
  const k = desc(key)
  const e = desc(elem)
  let byElem = mapCache.get(k)
  if (byElem === undefined) {
    byElem = new WeakMap()
    mapCache.set(k, byElem)
  }
  let d = byElem.get(e)
  if (d === undefined) {
    d = Object.freeze({
      _tag: "GobType",
      kind: "map",
      goName: `map[${k.goName}]${e.goName}`,
      depth: Math.max(k.depth, e.depth) + 1,
      key: k,
      elem: e
    })
    byElem.set(e, d)
  }
  return d as Type<ReadonlyMap<K, V>>
}

/**
 * A Go struct type named `name` (the name sent in its wire type definition,
 * without package path). The Go field order is the key order of `fields`;
 * keys must be the exported Go field names. Decoding matches remote fields by
 * name: unknown remote fields are skipped, missing ones get zero values.
 *
 * @category constructors
 * @since 0.1.0
 */
export const struct = <const F extends Readonly<Record<string, Type<unknown>>>>(
  name: string,
  fields: F
): Type<{ readonly [K in keyof F]: TypeOf<F[K]> }> => {
  const list: Array<FieldDesc> = []
  let depth = 0
  for (const key of Object.keys(fields)) {
    const t = fields[key]
    if (t === undefined) continue
    const d = desc(t)
    list.push(Object.freeze({ name: key, type: d }))
    if (d.depth > depth) depth = d.depth
  }
  const d: StructDesc = Object.freeze({
    _tag: "GobType",
    kind: "struct",
    goName: name,
    depth: depth + 1,
    name,
    fields: Object.freeze(list)
  })
  return d as Type<{ readonly [K in keyof F]: TypeOf<F[K]> }>
}

/**
 * A shared, frozen empty array used as the zero value of slices.
 *
 * @internal
 */
export const EMPTY_ARRAY: ReadonlyArray<never> = Object.freeze([])

/**
 * A shared empty `Uint8Array` used as the zero value of `bytes`.
 *
 * @internal
 */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0)

/**
 * A fresh zero value of a descriptor.
 *
 * @internal
 */
export const zeroOf = (d: Desc): unknown => {
  switch (d.kind) {
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
      return EMPTY_BYTES
    case "slice":
      return EMPTY_ARRAY
    case "array": {
      if (d.length === 0) return EMPTY_ARRAY
      const out = new Array<unknown>(d.length)
      for (let i = 0; i < d.length; i++) out[i] = zeroOf(d.elem)
      return out
    }
    case "map":
      return new Map()
    case "struct": {
      const out: Record<string, unknown> = {}
      for (const f of d.fields) out[f.name] = zeroOf(f.type)
      return out
    }
  }
}
