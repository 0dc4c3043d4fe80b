/**
 * Hand-crafted gob messages for tests of what our encoder never produces
 * (recursive types, interfaces, GobEncoder types, corrupt data).
 */
import * as Gob from "../src/index.ts"
import { Reader, readInt, readUint } from "../src/Wire.ts"
import { Writer } from "../src/Writer.ts"

/** A message: uint length prefix, then the body written by `f`. */
export const message = (f: (w: Writer) => void): Uint8Array => {
  const b = new Writer(16)
  f(b)
  const w = new Writer(16)
  w.uint(b.pos)
  w.ensure(b.pos)
  w.buf.set(b.buf.subarray(0, b.pos), w.pos)
  w.pos += b.pos
  return w.buf.slice(0, w.pos)
}

const nameId = (w: Writer, name: string, id: number): void => {
  if (name !== "") {
    w.uint(1)
    w.string(name)
    w.uint(1)
  } else w.uint(2)
  w.int(id)
  w.uint(0)
}

/** A definition message for a struct type. */
export const structDef = (id: number, name: string, fields: ReadonlyArray<readonly [string, number]>): Uint8Array =>
  message((w) => {
    w.int(-id)
    w.uint(3)
    w.uint(1)
    nameId(w, name, id)
    if (fields.length > 0) {
      w.uint(1)
      w.uint(fields.length)
      for (const [n, fid] of fields) nameId(w, n, fid)
    }
    w.uint(0)
    w.uint(0)
  })

/** A definition message for a slice type. */
export const sliceDef = (id: number, elem: number): Uint8Array =>
  message((w) => {
    w.int(-id)
    w.uint(2)
    w.uint(1)
    nameId(w, "", id)
    w.uint(1)
    w.int(elem)
    w.uint(0)
    w.uint(0)
  })

/** A definition message for a GobEncoder (wireType field delta 5), BinaryMarshaler (6) or TextMarshaler (7) type. */
export const externalDef = (id: number, name: string, field = 5): Uint8Array =>
  message((w) => {
    w.int(-id)
    w.uint(field)
    w.uint(1)
    nameId(w, name, id)
    w.uint(0)
    w.uint(0)
  })

/** A value message of type `id` whose body after the id is written by `f`. */
export const value = (id: number, f: (w: Writer) => void): Uint8Array =>
  message((w) => {
    w.int(id)
    f(w)
  })

/** Decodes the first value of the chunks with a fresh decoder. */
export const run = (chunks: ReadonlyArray<Uint8Array>, type: Gob.Type<unknown>, options?: Gob.DecoderOptions) => {
  const dec = new Gob.Decoder(options)
  for (const c of chunks) dec.push(c)
  return { dec, result: dec.decode(type) }
}
/** The reason of the first decode result (or its tag). */
export const reason = (chunks: ReadonlyArray<Uint8Array>, type: Gob.Type<unknown>, options?: Gob.DecoderOptions) => {
  const { result } = run(chunks, type, options)
  return result._tag === "Failure" ? result.error.reason : result._tag
}

/** A small struct used by many tests. */
export const T = Gob.struct("T", { A: Gob.int })

/** The type definition messages at the start of an encoder's output. */
export const defsOf = (bytes: Uint8Array): Uint8Array => {
  const all = messages(bytes)
  return bytes.subarray(0, all[all.length - 1]!.start)
}

/** The messages of a stream: start offset (of the length prefix), end offset, type id. */
export const messages = (bytes: Uint8Array): Array<{ start: number; end: number; id: number }> => {
  const r = new Reader()
  r.reset(bytes, 0, bytes.length, false)
  const out: Array<{ start: number; end: number; id: number }> = []
  while (r.pos < r.end) {
    const start = r.pos
    const len = readUint(r)
    const end = r.pos + len
    out.push({ start, end, id: readInt(r) })
    r.pos = end
  }
  return out
}
