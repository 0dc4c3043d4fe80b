/**
 * Protocol 11: the `pbuf` signature, then every message as a big-endian
 * uint32 length and a protobuf body (`proto/protocolV11.proto`).
 *
 * The handshake and peer shares go through the generated protobuf-es code.
 * Parcels, the hot path, use a hand-written encoder and decoder for
 * `V11Msg` (two fields) that writes the frame in one allocation and reads
 * the payload as a view of the received bytes: measured against the
 * generated code in `bench/codec.ts` (see BENCHMARKS.md). The property tests
 * check both agree on every input. A frame granted by the input budget
 * (`grantFrame`) is allocated once and filled as chunks arrive, so a 128 MiB
 * frame costs 128 MiB once, never its chunks plus a concatenated copy.
 *
 * @since 0.1.0
 * @module
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf"
import { Result } from "effect"
import * as Endpoint from "../Endpoint.ts"
import type { Handshake } from "../Handshake.ts"
import * as NetworkId from "../NetworkId.ts"
import * as Parcel from "../Parcel.ts"
import { V11EndpointSchema, V11HandshakeSchema, V11ShareSchema } from "../gen/protocolV11_pb.ts"
import { ByteQueue } from "./ByteQueue.ts"
import * as Decoded from "./Decoded.ts"
import {
  BY_REFERENCE,
  MAX_HANDSHAKE_BYTES,
  MAX_MESSAGE_SIZE,
  MAX_SHARE,
  type Protocol,
  V11_SIGNATURE
} from "./Protocol.ts"
import { FrameTooLarge, MalformedFrame, type ProtocolError } from "./ProtocolError.ts"

const EMPTY = new Uint8Array(0)

const varintSize = (n: number): number => {
  let size = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    size++
  }
  return size
}

const writeVarint = (out: Uint8Array, pos: number, n: number): number => {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  out[pos++] = n
  return pos
}

/**
 * A `V11Msg{Type, Payload}` body, hand-encoded (proto3: zero fields omitted).
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeMsgFrame = (type: number, payload: Uint8Array): Uint8Array => {
  const out = new Uint8Array(msgFrameSize(type, payload))
  writeMsgFrame(out, 0, type, payload)
  return out
}

const writeFrameHeader = (out: Uint8Array, at: number, size: number): void => {
  out[at] = size >>> 24
  out[at + 1] = (size >>> 16) & 0xff
  out[at + 2] = (size >>> 8) & 0xff
  out[at + 3] = size & 0xff
}

/** Bytes of the frame of a `V11Msg{Type, Payload}`: length prefix and body. */
const msgFrameSize = (type: number, payload: Uint8Array): number =>
  4 +
  (type === 0 ? 0 : 1 + varintSize(type)) +
  (payload.length === 0 ? 0 : 1 + varintSize(payload.length) + payload.length)

/** Writes the frame of a `V11Msg{Type, Payload}` at `out[at..]` (without the payload bytes when `header`); returns where it ends. */
const writeMsgFrame = (out: Uint8Array, at: number, type: number, payload: Uint8Array, header = false): number => {
  const size = msgFrameSize(type, payload) - 4
  writeFrameHeader(out, at, size)
  let pos = at + 4
  if (type !== 0) {
    out[pos++] = 0x08
    pos = writeVarint(out, pos, type)
  }
  if (payload.length !== 0) {
    out[pos++] = 0x12
    pos = writeVarint(out, pos, payload.length)
    if (header) return pos
    out.set(payload, pos)
    pos += payload.length
  }
  return pos
}

/**
 * The frames of several `V11Msg`s in order, as chunks to write in order:
 * small frames copied together into one buffer, payloads of at least
 * `byReference` bytes not copied (the chunk is the payload itself).
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeMsgFrames = (
  parcels: ReadonlyArray<{ readonly type: number; readonly payload: Uint8Array }>,
  byReference = BY_REFERENCE
): Array<Uint8Array> => {
  let total = 0
  for (let i = 0; i < parcels.length; i++) {
    const { type, payload } = parcels[i]!
    total += msgFrameSize(type, payload) - (payload.length >= byReference ? payload.length : 0)
  }
  const out = new Uint8Array(total)
  const chunks: Array<Uint8Array> = []
  let at = 0
  let from = 0
  for (let i = 0; i < parcels.length; i++) {
    const { type, payload } = parcels[i]!
    if (payload.length < byReference) {
      at = writeMsgFrame(out, at, type, payload)
    } else {
      at = writeMsgFrame(out, at, type, payload, true)
      chunks.push(out.subarray(from, at), payload)
      from = at
    }
  }
  if (at > from) chunks.push(out.subarray(from, at))
  return chunks
}

/**
 * Decodes a `V11Msg` body by hand. Unknown fields are skipped as protobuf
 * requires; scalar fields repeated take the last value. `type` is the full
 * uint32 (Go truncates it to uint16; catp2p rejects anything not 0..9 later).
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeMsgBody = (
  body: Uint8Array
): Result.Result<{ type: number; payload: Uint8Array }, MalformedFrame> => {
  let pos = 0
  let type = 0
  let payload: Uint8Array = EMPTY
  const end = body.length
  while (pos < end) {
    // tag
    let tag = 0
    let shift = 0
    let b: number
    do {
      if (pos >= end || shift > 28) return Result.fail(new MalformedFrame({ message: "V11Msg: bad field tag" }))
      b = body[pos++]!
      tag += (b & 0x7f) * 2 ** shift
      shift += 7
    } while (b & 0x80)
    const field = Math.floor(tag / 8)
    const wire = tag & 7
    if (field === 0) return Result.fail(new MalformedFrame({ message: "V11Msg: field number 0" }))
    if (wire === 0) {
      let v = 0
      shift = 0
      do {
        if (pos >= end || shift > 63) return Result.fail(new MalformedFrame({ message: "V11Msg: bad varint" }))
        b = body[pos++]!
        if (shift < 32) v += (b & 0x7f) * 2 ** shift
        shift += 7
      } while (b & 0x80)
      if (field === 1) type = v % 0x1_0000_0000
    } else if (wire === 2) {
      let len = 0
      shift = 0
      do {
        if (pos >= end || shift > 28) return Result.fail(new MalformedFrame({ message: "V11Msg: bad length" }))
        b = body[pos++]!
        len += (b & 0x7f) * 2 ** shift
        shift += 7
      } while (b & 0x80)
      if (len > end - pos) return Result.fail(new MalformedFrame({ message: "V11Msg: field runs past the frame" }))
      if (field === 2) payload = body.subarray(pos, pos + len)
      pos += len
    } else if (wire === 1) {
      pos += 8
    } else if (wire === 5) {
      pos += 4
    } else {
      return Result.fail(new MalformedFrame({ message: `V11Msg: unsupported wire type ${wire}` }))
    }
    if (pos > end) return Result.fail(new MalformedFrame({ message: "V11Msg: field runs past the frame" }))
  }
  return Result.succeed({ type, payload })
}

/**
 * @category codecs
 * @since 0.1.0
 */
export class V11 implements Protocol {
  readonly version = 11 as const
  private readonly input = new ByteQueue()
  private readonly maxMessageSize: number
  private failed: Decoded.Failure<ProtocolError> | undefined
  /** The granted frame's body, allocated once, filled as bytes arrive (its length prefix consumed). */
  private frame: Uint8Array | undefined = undefined
  /** Bytes of `frame` filled so far. */
  private filled = 0
  /** The frame at the front arrived whole and was granted as it is. */
  private grantedWhole = false

  constructor(options?: { readonly maxMessageSize?: number }) {
    this.maxMessageSize = options?.maxMessageSize ?? MAX_MESSAGE_SIZE
  }

  push(chunk: Uint8Array): void {
    const frame = this.frame
    if (frame !== undefined && this.filled < frame.length && this.input.length === 0) {
      // straight into the granted frame; the chunk is released at once
      const part = Math.min(frame.length - this.filled, chunk.length)
      frame.set(part === chunk.length ? chunk : chunk.subarray(0, part), this.filled)
      this.filled += part
      if (part < chunk.length) this.input.push(chunk.subarray(part))
      return
    }
    this.input.push(chunk)
  }

  get buffered(): number {
    return this.filled + this.input.length
  }

  get held(): number {
    return (this.frame?.length ?? 0) + this.input.length
  }

  frameWanted(minimum: number): number {
    if (this.frame !== undefined || this.grantedWhole || this.failed !== undefined || this.input.length < 4) return 0
    const size = this.input.peekUint32BE(0)
    if (size <= minimum || size > this.maxMessageSize) return 0
    return size
  }

  grantFrame(): void {
    const size = this.frameWanted(0)
    if (size === 0) return
    if (this.input.length >= 4 + size) {
      // already here whole: decoded from the received chunks (a view, or one copy)
      this.grantedWhole = true
      return
    }
    this.input.skip(4)
    const frame = new Uint8Array(size)
    const have = this.input.length // less than size: the frame is not here yet
    this.input.moveTo(frame, 0, have)
    this.frame = frame
    this.filled = have
  }

  encodeHandshake(h: Handshake): Uint8Array {
    const body = toBinary(
      V11HandshakeSchema,
      create(V11HandshakeSchema, {
        Type: h.type,
        Network: h.network,
        Version: h.version,
        NodeID: h.nodeId,
        ListenPort: h.listenPort,
        Loopback: h.loopback,
        Alternatives: h.alternatives.map((ep) => create(V11EndpointSchema, { Host: ep.ip, Port: ep.port }))
      })
    )
    const out = new Uint8Array(8 + body.length)
    out.set(V11_SIGNATURE, 0)
    out[4] = body.length >>> 24
    out[5] = (body.length >>> 16) & 0xff
    out[6] = (body.length >>> 8) & 0xff
    out[7] = body.length & 0xff
    out.set(body, 8)
    return out
  }

  decodeHandshake(): Decoded.Decoded<Handshake, ProtocolError> {
    if (this.failed) return this.failed
    if (this.input.length < 4) return Decoded.needMore
    for (let i = 0; i < 4; i++) {
      if (this.input.peek(i) !== V11_SIGNATURE[i])
        return this.fail(new MalformedFrame({ message: "invalid connection signature" }))
    }
    const frame = this.peekFrame(4, MAX_HANDSHAKE_BYTES - 8)
    if (frame._tag !== "Value") return frame
    this.input.skip(8)
    const body = this.input.take(frame.value)
    const decoded = Result.try({
      try: () => fromBinary(V11HandshakeSchema, body, { readUnknownFields: false }),
      catch: (e) => new MalformedFrame({ message: `V11Handshake: ${e instanceof Error ? e.message : String(e)}` })
    })
    if (Result.isFailure(decoded)) return this.fail(decoded.failure)
    const m = decoded.success
    if (m.Version > 0xffff || m.Type > 0xffff) {
      return this.fail(new MalformedFrame({ message: "V11Handshake: version or type out of uint16 range" }))
    }
    return Decoded.value({
      network: NetworkId.make(m.Network),
      version: m.Version,
      type: m.Type,
      nodeId: m.NodeID,
      listenPort: m.ListenPort,
      loopback: m.Loopback,
      alternatives: m.Alternatives.map((a) => Endpoint.unsafeMake(a.Host, a.Port))
    })
  }

  encodeParcel(parcel: Parcel.Parcel): Uint8Array {
    return encodeMsgFrame(parcel.type, parcel.payload)
  }

  encodeParcels(parcels: ReadonlyArray<Parcel.Parcel>): ReadonlyArray<Uint8Array> {
    return encodeMsgFrames(parcels)
  }

  decodeParcel(address = ""): Decoded.Decoded<Parcel.Parcel, ProtocolError> {
    if (this.failed) return this.failed
    let body: Uint8Array
    if (this.frame !== undefined) {
      // a granted frame: whole once filled; the payload is a view of it
      if (this.filled < this.frame.length) return Decoded.needMore
      body = this.frame
      this.frame = undefined
      this.filled = 0
    } else {
      const frame = this.peekFrame(0)
      if (frame._tag !== "Value") return frame
      body = this.input.take(frame.value)
      this.grantedWhole = false
    }
    const msg = decodeMsgBody(body)
    if (Result.isFailure(msg)) return this.fail(msg.failure)
    const parcel = Parcel.validate(msg.success.type, msg.success.payload, address)
    if (Result.isFailure(parcel)) return this.fail(new MalformedFrame({ message: parcel.failure.message }))
    return Decoded.value(parcel.success)
  }

  makePeerShare(endpoints: ReadonlyArray<Endpoint.Endpoint>): Uint8Array {
    return toBinary(
      V11ShareSchema,
      create(V11ShareSchema, {
        Share: endpoints.map((ep) => create(V11EndpointSchema, { Host: ep.ip, Port: ep.port }))
      })
    )
  }

  parsePeerShare(payload: Uint8Array): Result.Result<ReadonlyArray<Endpoint.Endpoint>, MalformedFrame> {
    return Result.try({
      try: () => fromBinary(V11ShareSchema, payload, { readUnknownFields: false }),
      catch: (e) => new MalformedFrame({ message: `V11Share: ${e instanceof Error ? e.message : String(e)}` })
    }).pipe(
      Result.flatMap((share) =>
        share.Share.length > MAX_SHARE
          ? Result.fail(
              new MalformedFrame({ message: `peer share of ${share.Share.length} endpoints (at most ${MAX_SHARE})` })
            )
          : Result.succeed(
              share.Share.filter((e) => Endpoint.isValid({ ip: e.Host, port: e.Port })).map((e) =>
                Endpoint.unsafeMake(e.Host, e.Port)
              )
            )
      )
    )
  }

  /**
   * Reads the length prefix at `offset`: Value(size) once the whole frame is
   * buffered. A size above `limit` fails at once; nothing of that size is
   * allocated (the frame's bytes are kept as they arrive, see `ByteQueue`,
   * until the input budget grants the frame: see `grantFrame`).
   */
  private peekFrame(offset: number, limit = this.maxMessageSize): Decoded.Decoded<number, ProtocolError> {
    if (this.input.length < offset + 4) return Decoded.needMore
    const size = this.input.peekUint32BE(offset)
    if (size > limit) return this.fail(new FrameTooLarge({ size, limit }))
    if (this.input.length < offset + 4 + size) return Decoded.needMore
    if (offset === 0) this.input.skip(4)
    return Decoded.value(size)
  }

  private fail(error: ProtocolError): Decoded.Failure<ProtocolError> {
    this.failed = Decoded.failure(error)
    return this.failed
  }
}
