/**
 * `@catp2p/gob`: Go's `encoding/gob` format for JavaScript — a streaming,
 * incremental encoder and decoder driven by type descriptors.
 *
 * ```ts
 * import * as Gob from "@catp2p/gob"
 *
 * const V10Msg = Gob.struct("V10Msg", { Type: Gob.uint, Payload: Gob.bytes })
 * const enc = new Gob.Encoder()
 * const bytes = enc.encode(V10Msg, { Type: 6, Payload: new Uint8Array([1, 2]) })
 *
 * const dec = new Gob.Decoder()
 * dec.push(bytes)
 * const r = dec.decode(V10Msg) // { _tag: "Value", value: { Type: 6, Payload: Uint8Array [1, 2] } }
 * ```
 *
 * @since 0.1.0
 * @module @catp2p/gob
 */
export {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_TYPES,
  type DecodeAllResult,
  type DecodeOptions,
  Decoder,
  type DecoderOptions,
  decodeAll
} from "./Decoder.ts"
export { Encoder, type EncoderOptions, encodeAll } from "./Encoder.ts"
export { GobError, type GobErrorReason } from "./GobError.ts"
export type { DecodeFailure, DecodeNeedMore, DecodeResult, DecodeValue } from "./Result.ts"
export {
  array,
  bool,
  bytes,
  float,
  int,
  int64,
  map,
  slice,
  string,
  struct,
  type Type,
  type TypeKind,
  type TypeOf,
  uint,
  uint64
} from "./Type.ts"
export { TypeIds } from "./TypeIds.ts"
