/**
 * The wire formats as Schemas: contracts from bytes to typed values with
 * clear failure messages, for tools and tests that hold whole byte strings
 * (a capture, a file, a vector). Each runs the same hand-written incremental
 * decoders the peers use, so Schema adds a boundary, not a second
 * implementation.
 *
 * @since 0.1.0
 * @module
 */
import { Effect, Schema, SchemaGetter, SchemaIssue } from "effect"
import * as Endpoint from "../Endpoint.ts"
import { Handshake } from "../Handshake.ts"
import * as NetworkId from "../NetworkId.ts"
import { Parcel } from "../Parcel.ts"
import type { Decoded } from "./Decoded.ts"
import { GobStream } from "./GobStream.ts"
import type { Protocol, Version } from "./Protocol.ts"
import type { ProtocolError } from "./ProtocolError.ts"
import { V9 } from "./V9.ts"
import { V10 } from "./V10.ts"
import { V11 } from "./V11.ts"

/**
 * A fresh stream of the given protocol. `local` fills the protocol 9 header
 * fields that are not part of a parcel (network, node id, listen port).
 *
 * @category constructors
 * @since 0.1.0
 */
export const fresh = (version: Version, local: V9Local = defaultLocal): Protocol =>
  version === 11 ? new V11() : version === 10 ? new V10(new GobStream()) : new V9(new GobStream(), local)

/**
 * @category models
 * @since 0.1.0
 */
export type V9Local = ConstructorParameters<typeof V9>[1]

const defaultLocal: V9Local = { network: NetworkId.make(0), nodeId: 0, listenPort: "" }

const drain = <A>(
  bytes: Uint8Array,
  protocol: Protocol,
  next: (p: Protocol) => Decoded<A, ProtocolError>,
  one: boolean
): Effect.Effect<ReadonlyArray<A>, SchemaIssue.Issue> => {
  protocol.push(bytes)
  const out: Array<A> = []
  for (;;) {
    const r = next(protocol)
    if (r._tag === "Failure") return Effect.fail(new SchemaIssue.InvalidValue({ message: r.error.message }))
    if (r._tag === "NeedMore") break
    out.push(r.value)
    if (one) break
  }
  if (protocol.buffered > 0) {
    return Effect.fail(
      new SchemaIssue.InvalidValue({ message: `${protocol.buffered} bytes left over after the last complete message` })
    )
  }
  if (one && out.length === 0) return Effect.fail(new SchemaIssue.InvalidValue({ message: "incomplete handshake" }))
  return Effect.succeed(out)
}

/**
 * A whole stream of parcels (type definitions included for protocols 9 and
 * 10) ⇄ the parcels in it. Decoding fails on any invalid parcel and on
 * trailing bytes.
 *
 * @example
 * ```ts
 * import { Parcel, Wire } from "@catp2p/p2p"
 * import { Schema } from "effect"
 * const codec = Wire.Codec.ParcelStream(10)
 * const bytes = Schema.encodeSync(codec)([Parcel.make("", new Uint8Array([1]))])
 * Schema.decodeSync(codec)(bytes) // [{ type: 6, address: "", payload: Uint8Array [1] }]
 * ```
 * @category schemas
 * @since 0.1.0
 */
export const ParcelStream = (version: Version, local?: V9Local) =>
  Schema.Uint8Array.pipe(
    Schema.decodeTo(Schema.Array(Parcel), {
      decode: SchemaGetter.transformEffect((bytes: Uint8Array) =>
        drain(bytes, fresh(version, local), (p) => p.decodeParcel(), false)
      ),
      encode: SchemaGetter.transform((parcels) => {
        const p = fresh(version, local)
        return new Uint8Array(Buffer.concat(parcels.map((x) => p.encodeParcel(x))))
      })
    })
  )

/**
 * A handshake as the first message of a fresh stream ⇄ the handshake (not
 * validated against any rules: see `Handshake.validate`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const HandshakeBytes = (version: Version, local?: V9Local) =>
  Schema.Uint8Array.pipe(
    Schema.decodeTo(Handshake, {
      decode: SchemaGetter.transformEffect((bytes: Uint8Array) =>
        Effect.map(
          drain(bytes, fresh(version, local), (p) => p.decodeHandshake(), true),
          (hs) => hs[0]!
        )
      ),
      encode: SchemaGetter.transform((h) =>
        fresh(version, local).encodeHandshake({
          ...h,
          network: NetworkId.make(h.network),
          alternatives: h.alternatives.map((a) => Endpoint.unsafeMake(a.ip, a.port))
        })
      )
    })
  )
