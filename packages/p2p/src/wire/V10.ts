/**
 * Protocol 10: the handshake in the V9 format, then every parcel as a gob
 * `V10Msg{Type, Payload}` on the same stream. No header, no checksum.
 *
 * @since 0.1.0
 * @module
 */
import { Result } from "effect"
import type * as Endpoint from "../Endpoint.ts"
import type { Handshake } from "../Handshake.ts"
import * as Parcel from "../Parcel.ts"
import * as Decoded from "./Decoded.ts"
import { fromGobError, type GobStream, V10Msg } from "./GobStream.ts"
import { BY_REFERENCE, type Protocol } from "./Protocol.ts"
import { MalformedFrame, type ProtocolError } from "./ProtocolError.ts"
import * as V9 from "./V9.ts"

/**
 * @category codecs
 * @since 0.1.0
 */
export class V10 implements Protocol {
  readonly version = 10 as const

  readonly stream: GobStream

  constructor(stream: GobStream) {
    this.stream = stream
  }

  push(chunk: Uint8Array): void {
    this.stream.decoder.push(chunk)
  }

  get buffered(): number {
    return this.stream.decoder.buffered
  }

  get held(): number {
    return this.stream.held
  }

  frameWanted(minimum: number): number {
    return this.stream.frameWanted(minimum)
  }

  grantFrame(): void {
    this.stream.grantFrame()
  }

  encodeHandshake(h: Handshake): Uint8Array {
    return V9.encodeHandshake(this.stream, h)
  }

  decodeHandshake(): Decoded.Decoded<Handshake, ProtocolError> {
    return V9.decodeHandshake(this.stream)
  }

  encodeParcel(parcel: Parcel.Parcel): Uint8Array {
    return this.stream.encoder.encode(V10Msg, { Type: parcel.type, Payload: parcel.payload })
  }

  encodeParcels(parcels: ReadonlyArray<Parcel.Parcel>): ReadonlyArray<Uint8Array> {
    return this.stream.encoder.encodeManyChunks(
      V10Msg,
      parcels.map((p) => ({ Type: p.type, Payload: p.payload })),
      BY_REFERENCE
    )
  }

  /**
   * The next `V10Msg`. Stricter than Go: the remote type must be named
   * `V10Msg` (Go would accept a `V9Msg` by matching the `Payload` field).
   */
  decodeParcel(address = ""): Decoded.Decoded<Parcel.Parcel, ProtocolError> {
    const r = this.stream.decoder.decode(V10Msg, this.stream.decodeOptions())
    if (r._tag === "NeedMore") return r
    if (r._tag === "Failure") {
      return Decoded.failure(fromGobError(r.error, this.stream.maxMessageSize))
    }
    const { Type: type, Payload: payload } = r.value
    if (payload.length === 0) return Decoded.failure(new MalformedFrame({ message: "null payload" }))
    const parcel = Parcel.validate(type, payload, address)
    return Result.isFailure(parcel)
      ? Decoded.failure(new MalformedFrame({ message: parcel.failure.message }))
      : Decoded.value(parcel.success)
  }

  /** JSON `[{"ip":…,"port":…}]`; `null` for an empty list. */
  makePeerShare(endpoints: ReadonlyArray<Endpoint.Endpoint>): Uint8Array {
    return new TextEncoder().encode(
      endpoints.length === 0 ? "null" : JSON.stringify(endpoints.map((ep) => ({ ip: ep.ip, port: ep.port })))
    )
  }

  parsePeerShare(payload: Uint8Array): Result.Result<ReadonlyArray<Endpoint.Endpoint>, MalformedFrame> {
    return V9.parseJsonList(payload, "V10 peer share").pipe(
      Result.map((list) =>
        V9.validEndpoints(
          list,
          (o) => o.ip,
          (o) => o.port
        )
      )
    )
  }
}
