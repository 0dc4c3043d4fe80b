/**
 * The handshake: the protocol-independent data each side sends first, and
 * the typed errors of a failed handshake.
 *
 * @since 0.1.0
 * @module
 */
import { Result, Schema } from "effect"
import * as Endpoint from "./Endpoint.ts"
import { NetworkId } from "./NetworkId.ts"
import * as ParcelType from "./ParcelType.ts"

const Uint16 = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 0xffff }))

/**
 * A handshake as it travels (Go: `Handshake`). `type` is `Handshake` (8) for a
 * hello, `PeerRequest` (3) for a hello from a protocol 9 node, and
 * `RejectAlternative` (9) for a full node's refusal, which carries
 * `alternatives`. `loopback` is a random nonce a node uses to detect that it
 * dialed itself.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Handshake = Schema.Struct({
  network: NetworkId,
  version: Uint16,
  type: Uint16,
  nodeId: Schema.Number.check(Schema.isUint32()),
  listenPort: Schema.String,
  loopback: Schema.BigInt.check(Schema.isBetweenBigInt({ minimum: 0n, maximum: 0xffffffffffffffffn })),
  alternatives: Schema.Array(Endpoint.Endpoint)
}).annotate({ identifier: "Handshake" })

/**
 * @category models
 * @since 0.1.0
 */
export type Handshake = typeof Handshake.Type

/**
 * The dial or handshake did not finish within `HandshakeTimeout`.
 * @category errors
 * @since 0.1.0
 */
export class Timeout extends Schema.TaggedError<Timeout>()("Timeout", {
  message: Schema.String
}) {}

/**
 * The peer is on another network.
 * @category errors
 * @since 0.1.0
 */
export class WrongNetwork extends Schema.TaggedError<WrongNetwork>()("WrongNetwork", {
  expected: Schema.Number,
  received: Schema.Number,
  message: Schema.String
}) {}

/**
 * The peer speaks a protocol version below `ProtocolVersionMinimum`.
 * @category errors
 * @since 0.1.0
 */
export class VersionTooLow extends Schema.TaggedError<VersionTooLow>()("VersionTooLow", {
  minimum: Schema.Number,
  received: Schema.Number,
  message: Schema.String
}) {}

/**
 * The peer announced a protocol version its encoding does not carry: a gob
 * hello (protocols 9 and 10) with any version other than 9 or 10. Go refuses
 * these the same way ("unsupported protocol version"), without a reply.
 *
 * @category errors
 * @since 0.1.0
 */
export class VersionUnsupported extends Schema.TaggedError<VersionUnsupported>()("VersionUnsupported", {
  received: Schema.Number,
  message: Schema.String
}) {}

/**
 * We dialed ourselves: the reply carried our own loopback nonce.
 * @category errors
 * @since 0.1.0
 */
export class Loopback extends Schema.TaggedError<Loopback>()("Loopback", {
  message: Schema.String
}) {}

/**
 * The node is full and refused us, offering other endpoints to try.
 * @category errors
 * @since 0.1.0
 */
export class Rejected extends Schema.TaggedError<Rejected>()("Rejected", {
  alternatives: Schema.Array(Endpoint.Endpoint),
  message: Schema.String
}) {}

/**
 * The handshake could not be read or breaks the rules of its protocol.
 * @category errors
 * @since 0.1.0
 */
export class Malformed extends Schema.TaggedError<Malformed>()("Malformed", {
  message: Schema.String
}) {}

/**
 * The connection closed or failed before the handshake completed.
 * @category errors
 * @since 0.1.0
 */
export class Closed extends Schema.TaggedError<Closed>()("Closed", {
  message: Schema.String
}) {}

/**
 * A failed handshake. Match on `reason._tag` (or `Effect.catchReason`).
 *
 * @example
 * ```ts
 * import { Handshake } from "@catp2p/p2p"
 * declare const error: Handshake.HandshakeError
 * if (error.reason._tag === "Rejected") console.log(error.reason.alternatives)
 * ```
 * @category errors
 * @since 0.1.0
 */
export class HandshakeError extends Schema.TaggedError<HandshakeError>()("HandshakeError", {
  reason: Schema.Union([Timeout, WrongNetwork, VersionTooLow, VersionUnsupported, Loopback, Rejected, Malformed, Closed])
}) {
  override get message(): string {
    return `handshake failed (${this.reason._tag}): ${this.reason.message}`
  }
}

/**
 * Shorthand for a `Malformed` handshake error.
 *
 * @category constructors
 * @since 0.1.0
 */
export const malformed = (message: string): HandshakeError => new HandshakeError({ reason: new Malformed({ message }) })

/**
 * What a received handshake is checked against.
 *
 * @category models
 * @since 0.1.0
 */
export interface Rules {
  readonly network: NetworkId
  readonly protocolVersionMinimum: number
}

/**
 * The most alternatives a rejection may carry; Go sends `PeerShareAmount` (3).
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_ALTERNATIVES = 128

/**
 * Checks a received handshake against our rules, in Go's order
 * (`Handshake.Valid`): version minimum, network, listen port 1..65535, every
 * alternative valid. The loopback nonce is checked by the dialer only.
 *
 * @category validation
 * @since 0.1.0
 */
export const validate = (h: Handshake, rules: Rules): Result.Result<Handshake, HandshakeError> => {
  if (h.version < rules.protocolVersionMinimum) {
    return Result.fail(
      new HandshakeError({
        reason: new VersionTooLow({
          minimum: rules.protocolVersionMinimum,
          received: h.version,
          message: `version ${h.version} is below the minimum ${rules.protocolVersionMinimum}`
        })
      })
    )
  }
  if (h.network !== rules.network) {
    return Result.fail(
      new HandshakeError({
        reason: new WrongNetwork({
          expected: rules.network,
          received: h.network,
          message: `wrong network id ${h.network.toString(16)} (expected ${rules.network.toString(16)})`
        })
      })
    )
  }
  if (!Endpoint.isValidPort(h.listenPort)) {
    return Result.fail(malformed(`listen port ${JSON.stringify(h.listenPort)} is not a number in 1..65535`))
  }
  if (h.alternatives.length > MAX_ALTERNATIVES) {
    return Result.fail(malformed(`${h.alternatives.length} alternatives (at most ${MAX_ALTERNATIVES})`))
  }
  for (const ep of h.alternatives) {
    if (!Endpoint.isValid(ep)) return Result.fail(malformed("invalid list of alternatives provided"))
  }
  return Result.succeed(h)
}

/**
 * A hello handshake with our own data (Go: `newHandshake`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const hello = (local: Local, loopback: bigint): Handshake => ({
  network: local.network,
  version: local.protocolVersion,
  type: ParcelType.Handshake,
  nodeId: local.nodeId,
  listenPort: local.listenPort,
  loopback,
  alternatives: []
})

/**
 * A full node's refusal offering `alternatives` (Go: `RejectWithShare`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const reject = (local: Local, alternatives: ReadonlyArray<Endpoint.Endpoint>): Handshake => ({
  ...hello(local, 0n),
  type: ParcelType.RejectAlternative,
  alternatives
})

/**
 * Our side of the handshake: what we announce.
 *
 * @category models
 * @since 0.1.0
 */
export interface Local extends Rules {
  readonly protocolVersion: number
  readonly nodeId: number
  readonly listenPort: string
}
