/**
 * Wire type ids for user types, assigned like Go's process-global registry.
 *
 * @since 0.1.0
 */
import { type Desc, desc, type Type } from "./Type.ts"
import { basicId, MAX_TYPE_ID } from "./WireType.ts"

/** @internal */
export interface TypeEntry {
  readonly id: number
  /** The `CommonType.Name` sent in the definition. */
  readonly name: string
}

let entriesOf: (ids: TypeIds) => Map<Desc, TypeEntry>

/**
 * Assigns wire type ids to user types (structs, slices, arrays, maps) in
 * first-use order, reproducing the order of Go's `encoding/gob`: a struct gets
 * its id before its fields' types, a slice/array/map after its element (and
 * key) types. Encoders may share one registry so that ids are stable across
 * streams: registering `V9Msg` (65, and `V9Header` 66 with it) then `V10Msg`
 * (67) reproduces a Go process that sent them in that order.
 *
 * The `CommonType.Name` sent for a type is fixed when it is first registered,
 * as in Go: a struct's name, except — a Go quirk reproduced here — when the
 * struct is first reached as an array element or map key/element (then ""),
 * and for unnamed slices/arrays/maps `""` unless first reached as a struct
 * field (then their Go syntax, e.g. `[]string`; Go would qualify struct names
 * with their package there, e.g. `[]main.T`; decoders ignore these names).
 *
 * @category models
 * @since 0.1.0
 */
export class TypeIds {
  #next: number
  readonly #entries = new Map<Desc, TypeEntry>()

  static {
    entriesOf = (ids) => ids.#entries
  }

  /**
   * @param firstId the id of the first user type; Go uses 65. Values below 64
   *   (Go's first user id) or non-integers are replaced by 65.
   */
  constructor(firstId = 65) {
    this.#next = Number.isSafeInteger(firstId) && firstId >= 64 && firstId <= MAX_TYPE_ID ? firstId : 65
  }

  /**
   * Registers a type and every user type it contains (if not yet registered)
   * and returns its wire id. Basic types return their predefined id.
   */
  register(type: Type<unknown>): number {
    const d = desc(type)
    return this.#register(d, d.kind === "struct" ? d.name : "")
  }

  /** The id of a type if it has been registered (or is basic), else undefined. */
  idOf(type: Type<unknown>): number | undefined {
    const d = desc(type)
    return basicId(d) ?? this.#entries.get(d)?.id
  }

  #assign(d: Desc, name: string): number {
    const id = this.#next++
    this.#entries.set(d, { id, name })
    return id
  }

  #register(d: Desc, name: string): number {
    const basic = basicId(d)
    if (basic !== undefined) return basic
    const known = this.#entries.get(d)
    if (known !== undefined) return known.id
    switch (d.kind) {
      case "struct": {
        const id = this.#assign(d, name)
        for (const f of d.fields) {
          const t = f.type
          this.#register(t, t.kind === "struct" ? t.name : t.goName)
        }
        return id
      }
      case "slice":
        this.#register(d.elem, d.elem.kind === "struct" ? d.elem.name : "")
        return this.#assign(d, name)
      case "array":
        this.#register(d.elem, "")
        return this.#assign(d, name)
      case "map":
        this.#register(d.key, "")
        this.#register(d.elem, "")
        return this.#assign(d, name)
      default:
        return 0
    }
  }
}

/** @internal */
export const typeEntry = (ids: TypeIds, d: Desc): TypeEntry | undefined => entriesOf(ids).get(d)
