/**
 * Gob's type ids and wire type definitions (`wireType` messages).
 *
 * A type definition message is the pair `(-id, wireType)`, where
 *
 * ```go
 * type wireType struct {
 *   ArrayT *arrayType; SliceT *sliceType; StructT *structType; MapT *mapType
 *   GobEncoderT, BinaryMarshalerT, TextMarshalerT *gobEncoderType
 * }
 * type CommonType struct { Name string; Id typeId }
 * type arrayType struct { CommonType; Elem typeId; Len int }
 * type sliceType struct { CommonType; Elem typeId }
 * type structType struct { CommonType; Field []*fieldType }
 * type fieldType struct { Name string; Id typeId }
 * type mapType struct { CommonType; Key, Elem typeId }
 * type gobEncoderType struct { CommonType }
 * ```
 *
 * encoded with the ordinary gob struct rules and the predefined ids below.
 *
 * @internal
 */
import { fail } from "./GobError.ts"
import { type Desc, int, slice, string, struct, type TypeOf } from "./Type.ts"
import type { Writer } from "./Writer.ts"

/** Predefined type ids. @internal */
export const Id = {
  bool: 1,
  int: 2,
  uint: 3,
  float: 4,
  bytes: 5,
  string: 6,
  complex: 7,
  interface: 8,
  wireType: 16,
  arrayType: 17,
  CommonType: 18,
  sliceType: 19,
  structType: 20,
  fieldType: 21,
  fieldTypeSlice: 22,
  mapType: 23,
  gobEncoderType: 24
} as const

/** The lowest id a peer may define (Go's `firstUserId`). @internal */
export const FIRST_USER_ID = 64

/** The largest type id (Go's `typeId` is an `int32`). @internal */
export const MAX_TYPE_ID = 0x7fffffff

/** A remote (or predefined) composite type. @internal */
export type WireDef =
  | { readonly kind: "struct"; readonly name: string; readonly fields: ReadonlyArray<WireField> }
  | { readonly kind: "slice"; readonly name: string; readonly elem: number }
  | { readonly kind: "array"; readonly name: string; readonly elem: number; readonly len: number }
  | { readonly kind: "map"; readonly name: string; readonly key: number; readonly elem: number }
  | { readonly kind: "external"; readonly name: string; readonly flavor: string }

/** A remote struct field. @internal */
export interface WireField {
  readonly name: string
  readonly id: number
}

const s = (name: string, ...fields: Array<[string, number]>): WireDef => ({
  kind: "struct",
  name,
  fields: fields.map(([n, id]) => ({ name: n, id }))
})

/** Definitions of the predefined composite types 16–24. @internal */
export const builtinDefs: ReadonlyMap<number, WireDef> = new Map<number, WireDef>([
  [
    Id.wireType,
    s(
      "wireType",
      ["ArrayT", Id.arrayType],
      ["SliceT", Id.sliceType],
      ["StructT", Id.structType],
      ["MapT", Id.mapType],
      ["GobEncoderT", Id.gobEncoderType],
      ["BinaryMarshalerT", Id.gobEncoderType],
      ["TextMarshalerT", Id.gobEncoderType]
    )
  ],
  [Id.arrayType, s("arrayType", ["CommonType", Id.CommonType], ["Elem", Id.int], ["Len", Id.int])],
  [Id.CommonType, s("CommonType", ["Name", Id.string], ["Id", Id.int])],
  [Id.sliceType, s("sliceType", ["CommonType", Id.CommonType], ["Elem", Id.int])],
  [Id.structType, s("structType", ["CommonType", Id.CommonType], ["Field", Id.fieldTypeSlice])],
  [Id.fieldType, s("fieldType", ["Name", Id.string], ["Id", Id.int])],
  [Id.fieldTypeSlice, { kind: "slice", name: "", elem: Id.fieldType }],
  [Id.mapType, s("mapType", ["CommonType", Id.CommonType], ["Key", Id.int], ["Elem", Id.int])],
  [Id.gobEncoderType, s("gobEncoderType", ["CommonType", Id.CommonType])]
])

/** Name of a predefined basic type id, or undefined. @internal */
export const basicName = (id: number): string | undefined => (id >= 1 && id <= 8 ? BASIC_NAMES[id] : undefined)

const BASIC_NAMES = ["", "bool", "int", "uint", "float", "[]byte", "string", "complex", "interface"]

// Local descriptors used to decode type definitions with the ordinary decoder.
const CommonT = struct("CommonType", { Name: string, Id: int })
const FieldT = struct("fieldType", { Name: string, Id: int })
const ArrayT = struct("arrayType", { CommonType: CommonT, Elem: int, Len: int })
const SliceT = struct("sliceType", { CommonType: CommonT, Elem: int })
const StructT = struct("structType", { CommonType: CommonT, Field: slice(FieldT) })
const MapT = struct("mapType", { CommonType: CommonT, Key: int, Elem: int })
const GobEncoderT = struct("gobEncoderType", { CommonType: CommonT })

/** The local descriptor of Go's `wireType`. @internal */
export const WireTypeT = struct("wireType", {
  ArrayT,
  SliceT,
  StructT,
  MapT,
  GobEncoderT,
  BinaryMarshalerT: GobEncoderT,
  TextMarshalerT: GobEncoderT
})

/** A decoded `wireType` value. @internal */
export type WireTypeValue = TypeOf<typeof WireTypeT>

const checkRef = (id: number, where: string): number => {
  if (id <= 0 || id > MAX_TYPE_ID) fail("BadTypeId", `type definition refers to invalid type id ${id} (${where})`)
  return id
}

/**
 * Turns a decoded `wireType` into a definition. Exactly one variant must be
 * present (recognised by its non-zero `CommonType.Id`, which Go always sets).
 *
 * @internal
 */
export const toWireDef = (w: WireTypeValue, id: number): WireDef => {
  const present: Array<WireDef> = []
  if (w.ArrayT.CommonType.Id !== 0) {
    const a = w.ArrayT
    if (a.Len < 0 || a.Len > MAX_TYPE_ID) fail("Malformed", `array type ${id} has invalid length ${a.Len}`)
    present.push({ kind: "array", name: a.CommonType.Name, elem: checkRef(a.Elem, "array element"), len: a.Len })
  }
  if (w.SliceT.CommonType.Id !== 0) {
    const sl = w.SliceT
    present.push({ kind: "slice", name: sl.CommonType.Name, elem: checkRef(sl.Elem, "slice element") })
  }
  if (w.StructT.CommonType.Id !== 0) {
    const st = w.StructT
    const fields = st.Field.map((f, i) => {
      if (f.Name === "") fail("Malformed", `struct type ${id} has an empty name for field ${i}`)
      return { name: f.Name, id: checkRef(f.Id, `field ${f.Name}`) }
    })
    present.push({ kind: "struct", name: st.CommonType.Name, fields })
  }
  if (w.MapT.CommonType.Id !== 0) {
    const m = w.MapT
    present.push({
      kind: "map",
      name: m.CommonType.Name,
      key: checkRef(m.Key, "map key"),
      elem: checkRef(m.Elem, "map element")
    })
  }
  const ext: Array<[string, { readonly CommonType: { readonly Name: string; readonly Id: number } }]> = [
    ["GobEncoder", w.GobEncoderT],
    ["BinaryMarshaler", w.BinaryMarshalerT],
    ["TextMarshaler", w.TextMarshalerT]
  ]
  for (const [flavor, g] of ext) {
    if (g.CommonType.Id !== 0) present.push({ kind: "external", name: g.CommonType.Name, flavor })
  }
  if (present.length !== 1) {
    fail("Malformed", `type definition for id ${id} describes ${present.length} types (exactly one expected)`)
  }
  return present[0]!
}

/**
 * The wire id of a descriptor: builtin ids for basic types, else `userId`.
 *
 * @internal
 */
export const basicId = (d: Desc): number | undefined => {
  switch (d.kind) {
    case "bool":
      return Id.bool
    case "int":
    case "int64":
      return Id.int
    case "uint":
    case "uint64":
      return Id.uint
    case "float":
      return Id.float
    case "bytes":
      return Id.bytes
    case "string":
      return Id.string
    default:
      return undefined
  }
}

/** Writes a `CommonType` (or `fieldType`, which has the same shape) struct. */
const writeNameId = (w: Writer, name: string, id: number): void => {
  if (name !== "") {
    w.byte(1)
    w.string(name)
    w.byte(1)
  } else w.byte(2)
  w.int(id)
  w.byte(0)
}

/**
 * Writes the body of a type definition message: `-id`, then the `wireType`
 * value, exactly as Go's encoder does (zero fields omitted).
 *
 * @internal
 */
export const writeDefinition = (w: Writer, d: Desc, id: number, name: string, idOf: (d: Desc) => number): void => {
  w.int(-id)
  switch (d.kind) {
    case "array": {
      w.byte(1) // wireType.ArrayT
      w.byte(1) // arrayType.CommonType
      writeNameId(w, name, id)
      w.byte(1) // Elem
      w.int(idOf(d.elem))
      if (d.length !== 0) {
        w.byte(1) // Len
        w.int(d.length)
      }
      break
    }
    case "slice": {
      w.byte(2) // wireType.SliceT
      w.byte(1)
      writeNameId(w, name, id)
      w.byte(1)
      w.int(idOf(d.elem))
      break
    }
    case "struct": {
      w.byte(3) // wireType.StructT
      w.byte(1)
      writeNameId(w, name, id)
      if (d.fields.length > 0) {
        w.byte(1) // Field
        w.uint(d.fields.length)
        for (const f of d.fields) writeNameId(w, f.name, idOf(f.type))
      }
      break
    }
    case "map": {
      w.byte(4) // wireType.MapT
      w.byte(1)
      writeNameId(w, name, id)
      w.byte(1)
      w.int(idOf(d.key))
      w.byte(1)
      w.int(idOf(d.elem))
      break
    }
    default:
      return
  }
  w.byte(0) // end of the variant struct
  w.byte(0) // end of wireType
}
