/**
 * Shared test helpers: the Go message structs of the vectors, hex helpers,
 * fixture loading.
 */
import { readFileSync } from "node:fs"
import * as Gob from "../src/index.ts"

export const V9Header = Gob.struct("V9Header", {
  Network: Gob.uint,
  Version: Gob.uint,
  Type: Gob.uint,
  Length: Gob.uint,
  TargetPeer: Gob.string,
  Crc32: Gob.uint,
  PartNo: Gob.uint,
  PartsTotal: Gob.uint,
  NodeID: Gob.uint64,
  PeerAddress: Gob.string,
  PeerPort: Gob.string,
  AppHash: Gob.string,
  AppType: Gob.string
})
export const V9Msg = Gob.struct("V9Msg", { Header: V9Header, Payload: Gob.bytes })
export const V10Msg = Gob.struct("V10Msg", { Type: Gob.uint, Payload: Gob.bytes })
export type V9Header = Gob.TypeOf<typeof V9Header>
export type V9Msg = Gob.TypeOf<typeof V9Msg>
export type V10Msg = Gob.TypeOf<typeof V10Msg>

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"))
export const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

export interface Segment {
  readonly hex: string
  readonly kind: "typedef" | "value"
  readonly lengthPrefixBytes: number
  readonly messageLength: number
  readonly offset: number
  readonly typeId: number
}

export interface Vector {
  readonly name: string
  readonly description: string
  readonly hex: string
  readonly fields: Record<string, unknown>
}

/** Loads a vector file of the repository's fixtures; throws (failing the test) if missing. */
export const loadVectors = (file: string): Map<string, Vector> => {
  const url = new URL(`../../../fixtures/vectors/${file}`, import.meta.url)
  const json = JSON.parse(readFileSync(url, "utf8")) as { vectors: ReadonlyArray<Vector> }
  if (!Array.isArray(json.vectors) || json.vectors.length === 0) throw new Error(`${file}: no vectors`)
  return new Map(json.vectors.map((v) => [v.name, v]))
}

/** Tracks which vectors of a file the tests used, so a test can assert none was left out. */
export class VectorSet {
  readonly vectors: Map<string, Vector>
  readonly used = new Set<string>()

  constructor(file: string) {
    this.vectors = loadVectors(file)
  }

  get(name: string): Vector {
    const v = this.vectors.get(name)
    if (v === undefined) throw new Error(`vector ${name} is missing`)
    this.used.add(name)
    return v
  }

  /** Names of vectors no test has asked for. */
  unused(): ReadonlyArray<string> {
    return [...this.vectors.keys()].filter((k) => !this.used.has(k))
  }
}

/** Parses the fixtures' JSON rendering of a V9Header. */
export const headerFromJson = (h: Record<string, unknown>): V9Header => {
  const num = (k: string): number => {
    const v = h[k]
    if (typeof v === "number") return v
    if (typeof v === "string") return Number(v)
    throw new Error(`header field ${k}: ${String(v)}`)
  }
  const str = (k: string): string => {
    const v = h[k]
    if (typeof v !== "string") throw new Error(`header field ${k}: ${String(v)}`)
    return v
  }
  return {
    Network: num("Network"),
    Version: num("Version"),
    Type: num("Type"),
    Length: num("Length"),
    TargetPeer: str("TargetPeer"),
    Crc32: num("Crc32"),
    PartNo: num("PartNo"),
    PartsTotal: num("PartsTotal"),
    NodeID: BigInt(str("NodeID")),
    PeerAddress: str("PeerAddress"),
    PeerPort: str("PeerPort"),
    AppHash: str("AppHash"),
    AppType: str("AppType")
  }
}

/** Decodes every value of a stream with one decoder, given the type of each value in order. */
export const decodeSeq = (bytes: Uint8Array, types: ReadonlyArray<Gob.Type<unknown>>): Array<unknown> => {
  const dec = new Gob.Decoder()
  dec.push(bytes)
  const out: Array<unknown> = []
  for (const t of types) {
    const r = dec.decode(t)
    if (r._tag !== "Value")
      throw new Error(`expected a value, got ${r._tag}${r._tag === "Failure" ? `: ${r.error.message}` : ""}`)
    out.push(r.value)
  }
  const end = dec.decode(types[0]!)
  if (end._tag !== "NeedMore" || dec.buffered !== 0) throw new Error(`stream has trailing data (${end._tag})`)
  return out
}
