/**
 * Protocol 9, the legacy format: every parcel is a gob `V9Msg` with a full
 * header and a Koopman CRC-32 of the payload. Protocol 10 handshakes use the
 * same format, so the V9 handshake codec here serves both.
 *
 * @since 0.1.0
 * @module
 */
import { Result } from "effect"
import * as Crc32 from "./Crc32.ts"
import * as Endpoint from "../Endpoint.ts"
import type { Handshake } from "../Handshake.ts"
import * as NetworkId from "../NetworkId.ts"
import * as Parcel from "../Parcel.ts"
import * as ParcelType from "../ParcelType.ts"
import * as Decoded from "./Decoded.ts"
import { fromGobError, type GobStream, V9Msg } from "./GobStream.ts"
import { BY_REFERENCE, MAX_SHARE, type Protocol } from "./Protocol.ts"
import { MalformedFrame, type ProtocolError } from "./ProtocolError.ts"

/**
 * What protocol 9 puts in every header besides the parcel.
 *
 * @category models
 * @since 0.1.0
 */
export interface Local {
  readonly network: NetworkId.NetworkId
  readonly nodeId: number
  readonly listenPort: string
}

const EMPTY = new Uint8Array(0)

const header = (
  network: number,
  version: number,
  type: number,
  target: string,
  nodeId: number,
  port: string,
  payload: Uint8Array
): V9Msg["Header"] => ({
  Network: network,
  Version: version,
  Type: type,
  Length: payload.length,
  TargetPeer: target,
  Crc32: Crc32.checksum(payload),
  PartNo: 0,
  PartsTotal: 0,
  NodeID: BigInt(nodeId),
  PeerAddress: "",
  PeerPort: port,
  AppHash: "NetworkMessage",
  AppType: "Network"
})

/**
 * The gob bytes of a handshake in the V9 format (Go: `v9SendHandshake`):
 * alternatives as JSON in the payload when rejecting, else the loopback nonce
 * as 8 little-endian bytes. One deviation: a rejection with no alternatives
 * carries `[]` where Go sends 8 zero bytes, which Go's own reader fails to
 * parse as JSON; `[]` reads as a clean rejection on both.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeHandshake = (stream: GobStream, h: Handshake): Uint8Array => {
  let payload: Uint8Array
  if (h.alternatives.length > 0 || h.type === ParcelType.RejectAlternative) {
    payload = new TextEncoder().encode(JSON.stringify(h.alternatives.map((ep) => ({ ip: ep.ip, port: ep.port }))))
  } else {
    payload = new Uint8Array(8)
    new DataView(payload.buffer).setBigUint64(0, h.loopback, true)
  }
  return stream.encoder.encode(V9Msg, {
    Header: header(h.network, h.version, h.type, "", h.nodeId, h.listenPort, payload),
    Payload: payload
  })
}

/**
 * Reads the next `V9Msg` off a gob stream, with Go's integer widths checked.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeMsg = (stream: GobStream): Decoded.Decoded<V9Msg, ProtocolError> => {
  const r = stream.decoder.decode(V9Msg, stream.decodeOptions())
  if (r._tag === "Value") {
    const h = r.value.Header
    if (
      h.Network > 0xffffffff ||
      h.Version > 0xffff ||
      h.Type > 0xffff ||
      h.Length > 0xffffffff ||
      h.Crc32 > 0xffffffff ||
      h.PartNo > 0xffff ||
      h.PartsTotal > 0xffff
    ) {
      return Decoded.failure(new MalformedFrame({ message: "V9Header: a field is out of its Go integer range" }))
    }
    return r
  }
  return r._tag === "NeedMore" ? r : Decoded.failure(fromGobError(r.error, stream.maxMessageSize))
}

const parseAlternatives = (payload: Uint8Array): Result.Result<ReadonlyArray<Endpoint.Endpoint>, MalformedFrame> =>
  parseJsonList(payload, "alternatives").pipe(
    Result.flatMap((list) => {
      const out: Array<Endpoint.Endpoint> = []
      for (const item of list) {
        if (typeof item !== "object" || item === null)
          return Result.fail(malformedJson("alternatives", "not an object"))
        const { ip, port } = item as { ip?: unknown; port?: unknown }
        if (typeof ip !== "string" || typeof port !== "string") {
          return Result.fail(malformedJson("alternatives", "ip and port must be strings"))
        }
        out.push(Endpoint.unsafeMake(ip, port))
      }
      return Result.succeed(out)
    })
  )

/**
 * Reads a handshake in the V9 format (Go: `ProtocolV9.ReadHandshake`).
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeHandshake = (stream: GobStream): Decoded.Decoded<Handshake, ProtocolError> => {
  const r = decodeMsg(stream)
  if (r._tag !== "Value") return r
  const { Header: h, Payload: payload } = r.value
  let loopback = 0n
  let alternatives: ReadonlyArray<Endpoint.Endpoint> = []
  if (h.Type === ParcelType.RejectAlternative) {
    // a Go node with no peers to offer rejects with 8 zero bytes, not JSON
    const empty = payload.length === 8 && payload.every((b) => b === 0)
    const alts = empty ? Result.succeed([]) : parseAlternatives(payload)
    if (Result.isFailure(alts)) return Decoded.failure(alts.failure)
    alternatives = alts.success
  } else if (payload.length === 8) {
    loopback = new DataView(payload.buffer, payload.byteOffset, 8).getBigUint64(0, true)
  }
  return Decoded.value({
    network: NetworkId.make(h.Network),
    version: h.Version,
    type: h.Type,
    nodeId: Number(h.NodeID & 0xffffffffn),
    listenPort: h.PeerPort,
    loopback,
    alternatives
  })
}

const malformedJson = (what: string, why: string) => new MalformedFrame({ message: `${what}: ${why}` })

/**
 * Parses a JSON array payload (`null` is an empty list), capped at `MAX_SHARE` entries.
 *
 * @category decoding
 * @since 0.1.0
 */
export const parseJsonList = (
  payload: Uint8Array,
  what: string
): Result.Result<ReadonlyArray<unknown>, MalformedFrame> =>
  Result.try({
    try: (): unknown => JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload)),
    catch: (e) => malformedJson(what, `invalid JSON (${e instanceof Error ? e.message : String(e)})`)
  }).pipe(
    Result.flatMap((json) => {
      if (json === null) return Result.succeed([])
      if (!Array.isArray(json)) return Result.fail(malformedJson(what, "not a JSON array"))
      if (json.length > MAX_SHARE)
        return Result.fail(malformedJson(what, `${json.length} entries (at most ${MAX_SHARE})`))
      return Result.succeed(json as ReadonlyArray<unknown>)
    })
  )

/**
 * Keeps the valid endpoints of a parsed share, read with `ip`/`port` getters.
 *
 * @category utils
 * @since 0.1.0
 */
export const validEndpoints = (
  list: ReadonlyArray<unknown>,
  ip: (o: Record<string, unknown>) => unknown,
  port: (o: Record<string, unknown>) => unknown
): ReadonlyArray<Endpoint.Endpoint> => {
  const out: Array<Endpoint.Endpoint> = []
  for (const item of list) {
    if (typeof item !== "object" || item === null) continue
    const i = ip(item as Record<string, unknown>)
    const p = port(item as Record<string, unknown>)
    if (typeof i === "string" && typeof p === "string" && Endpoint.isValid({ ip: i, port: p })) {
      out.push(Endpoint.unsafeMake(i, p))
    }
  }
  return out
}

/**
 * @category codecs
 * @since 0.1.0
 */
export class V9 implements Protocol {
  readonly version = 9 as const

  readonly stream: GobStream
  readonly local: Local

  constructor(stream: GobStream, local: Local) {
    this.stream = stream
    this.local = local
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

  /** Protocol 9 announces itself with a Peer-Request instead of a Handshake. */
  encodeHandshake(h: Handshake): Uint8Array {
    return encodeHandshake(this.stream, h.type === ParcelType.Handshake ? { ...h, type: ParcelType.PeerRequest } : h)
  }

  decodeHandshake(): Decoded.Decoded<Handshake, ProtocolError> {
    return decodeHandshake(this.stream)
  }

  encodeParcel(parcel: Parcel.Parcel): Uint8Array {
    return this.stream.encoder.encode(V9Msg, this.message(parcel))
  }

  encodeParcels(parcels: ReadonlyArray<Parcel.Parcel>): ReadonlyArray<Uint8Array> {
    return this.stream.encoder.encodeManyChunks(
      V9Msg,
      parcels.map((p) => this.message(p)),
      BY_REFERENCE
    )
  }

  private message(parcel: Parcel.Parcel): V9Msg {
    const { local } = this
    return {
      Header: header(local.network, 9, parcel.type, parcel.address, local.nodeId, local.listenPort, parcel.payload),
      Payload: parcel.payload
    }
  }

  /** Go's `ProtocolV9.Receive` with `V9Msg.Valid`, then `Parcel.Valid`. */
  decodeParcel(address?: string): Decoded.Decoded<Parcel.Parcel, ProtocolError> {
    const r = decodeMsg(this.stream)
    if (r._tag !== "Value") return r
    const { Header: h, Payload: payload = EMPTY } = r.value
    if (h.Version !== 9) return Decoded.failure(new MalformedFrame({ message: `invalid version ${h.Version}` }))
    if (payload.length === 0) return Decoded.failure(new MalformedFrame({ message: "zero-length payload" }))
    if (h.Length !== payload.length) {
      return Decoded.failure(new MalformedFrame({ message: "length in header does not match payload" }))
    }
    if (Crc32.checksum(payload) !== h.Crc32) return Decoded.failure(new MalformedFrame({ message: "invalid checksum" }))
    const parcel = Parcel.validate(h.Type, payload, address ?? h.TargetPeer)
    return Result.isFailure(parcel)
      ? Decoded.failure(new MalformedFrame({ message: parcel.failure.message }))
      : Decoded.value(parcel.success)
  }

  /** Go's legacy `V9Share` JSON; `null` for an empty list. */
  makePeerShare(endpoints: ReadonlyArray<Endpoint.Endpoint>): Uint8Array {
    if (endpoints.length === 0) return new TextEncoder().encode("null")
    const network = this.local.network
    const list = endpoints.map((ep) => ({
      QualityScore: 20,
      Address: ep.ip,
      Port: ep.port,
      NodeID: 1,
      Hash: ep.ip,
      Location: Endpoint.ipToLocation(ep.ip),
      Network: network,
      Type: 0,
      Connections: 1,
      LastContact: "0001-01-01T00:00:00Z",
      Source: {}
    }))
    return new TextEncoder().encode(JSON.stringify(list))
  }

  parsePeerShare(payload: Uint8Array): Result.Result<ReadonlyArray<Endpoint.Endpoint>, MalformedFrame> {
    return parseJsonList(payload, "V9 peer share").pipe(
      Result.map((list) =>
        validEndpoints(
          list,
          (o) => o.Address,
          (o) => o.Port
        )
      )
    )
  }
}
