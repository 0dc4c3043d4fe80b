/**
 * Decode plans: for a (remote wire type id, local descriptor) pair, a tree of
 * decode functions compiled once and cached per decoder, plus a generic
 * skipper for values of any remote type that have no local destination.
 *
 * @internal
 */
import { fail } from "./GobError.ts"
import { type Desc, EMPTY_ARRAY, type FieldDesc, type StructDesc, zeroOf } from "./Type.ts"
import {
  type Reader,
  readBytes,
  readCount,
  readFloat,
  readInt,
  readIntBig,
  readString,
  readUint,
  readUintBig,
  readUintSafe,
  skipBytes,
  skipUint
} from "./Wire.ts"
import { basicName, Id, type WireDef } from "./WireType.ts"

/** Decodes one value from the reader. @internal */
export type Dec = (r: Reader) => unknown

const readBool: Dec = (r) => readUint(r) !== 0

const fieldOutOfRange = (f: number, delta: number, n: number): never =>
  fail("Malformed", `field delta ${delta} after field ${f} is out of range (the struct has ${n} fields)`)

const sliceDec =
  (elem: Dec): Dec =>
  (r) => {
    const n = readCount(r, "slice")
    if (n === 0) return EMPTY_ARRAY
    if (n <= 4096) {
      const out = new Array<unknown>(n)
      for (let i = 0; i < n; i++) out[i] = elem(r)
      return out
    }
    const out: Array<unknown> = []
    for (let i = 0; i < n; i++) out.push(elem(r))
    return out
  }

const checkArrayCount = (r: Reader, len: number): void => {
  const n = readUint(r)
  if (n !== len) fail("Malformed", `array has ${n} elements, its type says ${len}`)
  if (n > r.end - r.pos) fail("Truncated", `array length ${n} exceeds the ${r.end - r.pos} bytes left in the message`)
}

const arrayDec =
  (elem: Dec, len: number): Dec =>
  (r) => {
    checkArrayCount(r, len)
    if (len === 0) return EMPTY_ARRAY
    const out = new Array<unknown>(len)
    for (let i = 0; i < len; i++) out[i] = elem(r)
    return out
  }

const mapDec =
  (key: Dec, elem: Dec): Dec =>
  (r) => {
    const n = readCount(r, "map")
    const m = new Map<unknown, unknown>()
    for (let i = 0; i < n; i++) {
      const k = key(r)
      m.set(k, elem(r))
    }
    return m
  }

/** Does the local type need a fresh zero value (rather than a shared immutable one)? */
const needsFreshZero = (d: Desc): boolean =>
  d.kind === "map" || d.kind === "struct" || (d.kind === "array" && d.length > 0)

/**
 * Compiles and caches plans against one decoder's table of remote types.
 *
 * @internal
 */
export class Planner {
  readonly #lookup: (id: number) => WireDef | undefined
  readonly #maxDepth: number
  /** Top-level plans, [lenient, exactName]: remote id → local descriptor → plan. */
  readonly #top = [new Map<number, Map<Desc, Dec>>(), new Map<number, Map<Desc, Dec>>()] as const
  /** Nested struct plans, keyed by remote id, exactName, level, descriptor. */
  readonly #structs = new Map<string, Map<Desc, Dec>>()

  constructor(lookup: (id: number) => WireDef | undefined, maxDepth: number) {
    this.#lookup = lookup
    this.#maxDepth = maxDepth
  }

  /** The plan decoding a whole value message body (after the type id) of remote type `id` into `d`. */
  top(id: number, d: Desc, exact: boolean): Dec {
    const cache = this.#top[exact ? 1 : 0]
    let byDesc = cache.get(id)
    if (byDesc === undefined) {
      byDesc = new Map()
      cache.set(id, byDesc)
    }
    let plan = byDesc.get(d)
    if (plan === undefined) {
      plan = this.#compileTop(id, d, exact)
      byDesc.set(d, plan)
    }
    return plan
  }

  #compileTop(id: number, d: Desc, exact: boolean): Dec {
    if (d.depth > this.#maxDepth) {
      fail("TooDeep", `local type ${d.goName} nests ${d.depth} levels (maxDepth ${this.#maxDepth})`)
    }
    if (d.kind === "struct") {
      const dec = this.#compile(id, d, 1, exact)
      const def = this.#lookup(id)
      if (def?.kind === "struct" && d.fields.length > 0 && def.fields.length > 0) {
        const local = new Set(d.fields.map((f) => f.name))
        if (!def.fields.some((f) => local.has(f.name))) {
          fail("TypeMismatch", `no fields of remote type ${this.#describe(id)} match local struct ${d.name}`)
        }
      }
      return dec
    }
    const inner = this.#compile(id, d, 1, exact)
    return (r) => {
      // A top-level non-struct value is sent as field 0 of a virtual struct.
      if (readUint(r) !== 0) fail("Malformed", "non-zero field delta before a top-level non-struct value")
      return inner(r)
    }
  }

  #describe(id: number): string {
    const basic = basicName(id)
    if (basic !== undefined) return `${basic} (id ${id})`
    const def = this.#lookup(id)
    if (def === undefined) return `undefined type id ${id}`
    const name = def.name === "" ? "" : ` ${def.name}`
    return `${def.kind}${name} (id ${id})`
  }

  #mismatch(id: number, d: Desc): never {
    if (id === Id.interface) {
      return fail("Unsupported", `interface values are not supported (decoding into ${d.goName})`)
    }
    if (basicName(id) === undefined) {
      const def = this.#lookup(id)
      if (def === undefined) return fail("BadTypeId", `type id ${id} is not defined`)
      if (def.kind === "external") {
        return fail("Unsupported", `remote type ${def.name} (id ${id}) uses ${def.flavor}, which is not supported`)
      }
    }
    return fail("TypeMismatch", `remote type ${this.#describe(id)} cannot be decoded into ${d.goName}`)
  }

  #def<K extends WireDef["kind"]>(id: number, d: Desc, kind: K): Extract<WireDef, { kind: K }> {
    const def = basicName(id) === undefined ? this.#lookup(id) : undefined
    if (def === undefined || def.kind !== kind) return this.#mismatch(id, d)
    return def as Extract<WireDef, { kind: K }>
  }

  #compile(id: number, d: Desc, level: number, exact: boolean): Dec {
    switch (d.kind) {
      case "bool":
        return id === Id.bool ? readBool : this.#mismatch(id, d)
      case "int":
        return id === Id.int ? readInt : this.#mismatch(id, d)
      case "int64":
        return id === Id.int ? readIntBig : this.#mismatch(id, d)
      case "uint":
        return id === Id.uint ? readUintSafe : this.#mismatch(id, d)
      case "uint64":
        return id === Id.uint ? readUintBig : this.#mismatch(id, d)
      case "float":
        return id === Id.float ? readFloat : this.#mismatch(id, d)
      case "string":
        return id === Id.string ? readString : this.#mismatch(id, d)
      case "bytes":
        return id === Id.bytes ? readBytes : this.#mismatch(id, d)
      case "slice":
        return sliceDec(this.#compile(this.#def(id, d, "slice").elem, d.elem, level + 1, exact))
      case "array": {
        const def = this.#def(id, d, "array")
        if (def.len !== d.length) {
          fail("TypeMismatch", `remote array type ${this.#describe(id)} has length ${def.len}, local ${d.goName}`)
        }
        return arrayDec(this.#compile(def.elem, d.elem, level + 1, exact), d.length)
      }
      case "map": {
        const def = this.#def(id, d, "map")
        return mapDec(
          this.#compile(def.key, d.key, level + 1, exact),
          this.#compile(def.elem, d.elem, level + 1, exact)
        )
      }
      case "struct": {
        const key = `${id}:${exact ? 1 : 0}:${level}`
        let byDesc = this.#structs.get(key)
        if (byDesc === undefined) {
          byDesc = new Map()
          this.#structs.set(key, byDesc)
        }
        let dec = byDesc.get(d)
        if (dec === undefined) {
          dec = this.#compileStruct(id, d, level, exact)
          byDesc.set(d, dec)
        }
        return dec
      }
    }
  }

  #compileStruct(id: number, d: StructDesc, level: number, exact: boolean): Dec {
    const def = this.#def(id, d, "struct")
    if (exact && def.name !== d.name) {
      fail("TypeMismatch", `remote struct ${def.name || "(unnamed)"} (id ${id}) is not ${d.name}`)
    }
    const byName = new Map<string, FieldDesc>()
    for (const f of d.fields) byName.set(f.name, f)
    const n = def.fields.length
    const decs: Array<Dec | undefined> = []
    const keys: Array<string> = []
    const skipIds: Array<number> = []
    for (const rf of def.fields) {
      const lf = byName.get(rf.name)
      if (lf === undefined) {
        decs.push(undefined)
        keys.push("")
        skipIds.push(rf.id)
      } else {
        decs.push(this.#compile(rf.id, lf.type, level + 1, exact))
        keys.push(lf.name)
        skipIds.push(0)
      }
    }
    const template: Record<string, unknown> = {}
    const lazy: Array<FieldDesc> = []
    for (const f of d.fields) {
      const fresh = needsFreshZero(f.type)
      Object.defineProperty(template, f.name, {
        value: fresh ? null : zeroOf(f.type),
        enumerable: true,
        writable: true,
        configurable: true
      })
      if (fresh) lazy.push(f)
    }
    const lazyKeys = lazy.map((f) => f.name)
    const lazyTypes = lazy.map((f) => f.type)
    const lazyN = lazy.length
    const childLevel = level + 1
    return (r) => {
      const o: Record<string, unknown> = { ...template }
      let f = -1
      while (r.pos < r.end) {
        const delta = readUint(r)
        if (delta === 0) break
        if (delta >= n - f) fieldOutOfRange(f, delta, n)
        f += delta
        const dec = decs[f]
        if (dec !== undefined) o[keys[f]!] = dec(r)
        else this.skip(r, skipIds[f]!, childLevel)
      }
      for (let i = 0; i < lazyN; i++) {
        const k = lazyKeys[i]!
        if (o[k] === null) o[k] = zeroOf(lazyTypes[i]!)
      }
      return o
    }
  }

  /** Skips a value of remote type `id` found at nesting `level`. */
  skip(r: Reader, id: number, level: number): void {
    switch (id) {
      case Id.bool:
      case Id.int:
      case Id.uint:
      case Id.float:
        skipUint(r)
        return
      case Id.bytes:
      case Id.string:
        skipBytes(r)
        return
      case Id.complex:
        skipUint(r)
        skipUint(r)
        return
      case Id.interface: {
        const n = readCount(r, "interface type name")
        if (n !== 0) fail("Unsupported", "non-nil interface values are not supported")
        return
      }
    }
    if (level > this.#maxDepth) fail("TooDeep", `value nests deeper than maxDepth ${this.#maxDepth}`)
    const def = basicName(id) === undefined ? this.#lookup(id) : undefined
    if (def === undefined) {
      fail("BadTypeId", `type id ${id} is not defined`)
      return
    }
    const next = level + 1
    switch (def.kind) {
      case "struct": {
        const fields = def.fields
        const n = fields.length
        let f = -1
        while (r.pos < r.end) {
          const delta = readUint(r)
          if (delta === 0) break
          if (delta >= n - f) fieldOutOfRange(f, delta, n)
          f += delta
          this.skip(r, fields[f]!.id, next)
        }
        return
      }
      case "slice": {
        const n = readCount(r, "slice")
        for (let i = 0; i < n; i++) this.skip(r, def.elem, next)
        return
      }
      case "array": {
        checkArrayCount(r, def.len)
        for (let i = 0; i < def.len; i++) this.skip(r, def.elem, next)
        return
      }
      case "map": {
        const n = readCount(r, "map")
        for (let i = 0; i < n; i++) {
          this.skip(r, def.key, next)
          this.skip(r, def.elem, next)
        }
        return
      }
      case "external":
        skipBytes(r)
        return
    }
  }
}
