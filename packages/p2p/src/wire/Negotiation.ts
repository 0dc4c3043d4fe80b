/**
 * The handshake as Go performs it, as two small state machines that the
 * Listener and Dialer feed with received bytes:
 *
 * - `Incoming` (Go: `detectProtocolFromFirstMessage` + `handshakeIncoming`):
 *   detect the protocol from the first 4 bytes, read and check the hello,
 *   settle the version, and produce our reply.
 * - `Outgoing` (Go: `selectProtocol` + `handshakeOutgoing`): our hello in the
 *   configured protocol, then the reply read the same way, the loopback nonce
 *   checked, a rejection turned into its alternatives.
 * - `rejection`: the bytes a full node sends right after accept.
 *
 * Version rules (Go's, plus a rule for versions Go does not know):
 * - `pbuf` → protocol 11; we reply with version min(theirs, 11).
 * - gob, version 9 → protocol 9; version 10 → 10, or 9 when we are configured
 *   for 9; any other version over gob → `VersionUnsupported`, refused without
 *   a reply, as Go's `detectProtocolFromFirstMessage` does ("unsupported
 *   protocol version"), in both directions.
 * - below `ProtocolVersionMinimum` → `VersionTooLow` (checked first, as Go).
 *
 * Stricter than Go: a hello must have type Handshake (8), or Peer-Request (3)
 * from a protocol 9 node; a reply may also be Rejection-Alternative (9).
 * Any other type is `Malformed`.
 *
 * Pre-handshake byte cap ({@link MAX_HANDSHAKE_BYTES}, 16 KiB): a handshake
 * never needs more than a few KiB (the largest valid one, a rejection with
 * 128 IPv6 alternatives as JSON, is about 9 KiB). While the handshake is
 * incomplete, a connection that has sent more than the cap fails with
 * `Malformed`, whatever its length prefix claims; and a handshake that took
 * more than the cap to arrive (e.g. after a flood of gob type definitions) is
 * refused the same way. Bytes that follow a complete handshake in the same
 * read (pipelined parcels) do not count.
 *
 * @since 0.1.0
 * @module
 */
import { Result } from "effect"
import type { Endpoint } from "../Endpoint.ts"
import * as Handshake from "../Handshake.ts"
import * as ParcelType from "../ParcelType.ts"
import * as Stackless from "../internal/Stackless.ts"
import * as Decoded from "./Decoded.ts"
import { GobStream } from "./GobStream.ts"
import { detect, MAX_HANDSHAKE_BYTES, type Protocol, type Version } from "./Protocol.ts"
import type { ProtocolError } from "./ProtocolError.ts"
import { V9 } from "./V9.ts"
import { V10 } from "./V10.ts"
import { V11 } from "./V11.ts"

/**
 * What we announce and accept.
 *
 * @category models
 * @since 0.1.0
 */
export interface Settings extends Handshake.Local {
  readonly protocolVersion: Version
  /** Largest message accepted on the connection; default 128 MiB. */
  readonly maxMessageSize?: number
}

/**
 * The most bytes a connection may send before its handshake is complete: 16 KiB.
 *
 * @since 0.1.0
 */
export { MAX_HANDSHAKE_BYTES } from "./Protocol.ts"

/**
 * A finished handshake: the protocol both sides now speak (with whatever
 * bytes already arrived after the handshake still buffered in it) and the
 * peer's handshake.
 *
 * @category models
 * @since 0.1.0
 */
export interface Settled {
  readonly protocol: Protocol
  readonly handshake: Handshake.Handshake
}

/**
 * A new protocol instance for a fresh outgoing stream (Go: `selectProtocol`).
 *
 * @category utils
 * @since 0.1.0
 */
export const select = (settings: Settings, stream?: GobStream): Protocol => {
  const opts = settings.maxMessageSize === undefined ? undefined : { maxMessageSize: settings.maxMessageSize }
  switch (settings.protocolVersion) {
    case 11:
      return new V11(opts)
    case 10:
      return new V10(stream ?? new GobStream(opts))
    case 9:
      return new V9(stream ?? new GobStream(opts), settings)
  }
}

/**
 * The bytes a full node sends right after accepting, before reading
 * anything, in its own configured protocol (Go: `RejectWithShare`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const rejection = (settings: Settings, alternatives: ReadonlyArray<Endpoint>): Uint8Array =>
  select(settings).encodeHandshake(Handshake.reject(settings, alternatives))

const fromProtocolError = (e: ProtocolError): Handshake.HandshakeError => Handshake.malformed(e.message)

const tooLong = (bytes: number): Handshake.HandshakeError =>
  Handshake.malformed(`${bytes} bytes before the handshake completed (at most ${MAX_HANDSHAKE_BYTES})`)

/** Reads the first handshake off a connection; shared by both directions. */
class Detector {
  private readonly pending: Array<Uint8Array> = []
  private pendingBytes = 0
  /** Every byte pushed so far (for the pre-handshake cap). */
  private received = 0
  private protocol: Protocol | undefined
  private readonly settings: Settings
  private readonly allowedTypes: ReadonlyArray<number>
  private readonly gobEncoder: GobStream["encoder"] | undefined

  constructor(settings: Settings, allowedTypes: ReadonlyArray<number>, gobEncoder: GobStream["encoder"] | undefined) {
    this.settings = settings
    this.allowedTypes = allowedTypes
    this.gobEncoder = gobEncoder
  }

  push(chunk: Uint8Array): void {
    this.received += chunk.length
    if (this.protocol) {
      this.protocol.push(chunk)
    } else {
      this.pending.push(chunk)
      this.pendingBytes += chunk.length
    }
  }

  poll(): Decoded.Decoded<Settled, Handshake.HandshakeError> {
    if (!this.protocol) {
      const head = this.head()
      const kind = detect(head)
      if (kind === "need-more") return Decoded.needMore
      const opts = this.settings.maxMessageSize === undefined ? {} : { maxMessageSize: this.settings.maxMessageSize }
      this.protocol =
        kind === "v11"
          ? new V11(opts)
          : new V9(new GobStream({ ...opts, ...(this.gobEncoder ? { encoder: this.gobEncoder } : {}) }), this.settings)
      for (const c of this.pending) this.protocol.push(c)
      this.pending.length = 0
    }
    const read = this.protocol.decodeHandshake()
    if (read._tag === "NeedMore") {
      return this.received > MAX_HANDSHAKE_BYTES ? Decoded.failure(tooLong(this.received)) : read
    }
    if (read._tag === "Failure") return Decoded.failure(fromProtocolError(read.error))
    // bytes consumed by the handshake (what followed it is still buffered)
    const used = this.received - this.protocol.buffered
    if (used > MAX_HANDSHAKE_BYTES) return Decoded.failure(tooLong(used))
    const hs = read.value
    if (!this.allowedTypes.includes(hs.type)) {
      return Decoded.failure(
        Handshake.malformed(`unexpected handshake type ${hs.type} (${ParcelType.name(hs.type) || "unknown"})`)
      )
    }
    const valid = Handshake.validate(hs, this.settings)
    if (Result.isFailure(valid)) return Decoded.failure(valid.failure)
    if (this.protocol.version === 11) {
      return Decoded.value({ protocol: this.protocol, handshake: { ...hs, version: Math.min(hs.version, 11) } })
    }
    // gob: settle on 9 or 10; Go refuses every other version (no gob protocol carries it)
    if (hs.version !== 9 && hs.version !== 10) {
      return Decoded.failure(
        new Handshake.HandshakeError({
          reason: new Handshake.VersionUnsupported({
            received: hs.version,
            message: `unsupported protocol version ${hs.version} over gob (it carries 9 and 10)`
          })
        })
      )
    }
    const gob = this.protocol as V9
    const version = hs.version === 9 || this.settings.protocolVersion === 9 ? 9 : 10
    return Decoded.value({
      protocol: version === 9 ? gob : new V10(gob.stream),
      handshake: { ...hs, version }
    })
  }

  private head(): Uint8Array {
    if (this.pending.length === 1 || this.pendingBytes < 4) return this.pending[0] ?? new Uint8Array(0)
    const out = new Uint8Array(Math.min(4, this.pendingBytes))
    let at = 0
    for (const c of this.pending) {
      const n = Math.min(c.length, out.length - at)
      out.set(c.subarray(0, n), at)
      at += n
      if (at === out.length) break
    }
    return out
  }
}

/**
 * The accepting side. Feed it bytes with `push`; `poll` answers `NeedMore`
 * until the peer's hello is complete, then the settled protocol, the peer's
 * handshake and the `reply` bytes to send.
 *
 * @category models
 * @since 0.1.0
 */
export class Incoming {
  private readonly detector: Detector
  private readonly settings: Settings
  private readonly loopback: bigint

  constructor(settings: Settings, loopback: bigint) {
    this.settings = settings
    this.loopback = loopback
    this.detector = new Detector(settings, [ParcelType.Handshake, ParcelType.PeerRequest], undefined)
  }

  push(chunk: Uint8Array): void {
    this.detector.push(chunk)
  }

  poll(): Decoded.Decoded<Settled & { readonly reply: Uint8Array }, Handshake.HandshakeError> {
    const r = this.detector.poll()
    if (r._tag !== "Value") return r
    const { protocol, handshake } = r.value
    const reply = protocol.encodeHandshake({
      ...Handshake.hello(this.settings, this.loopback),
      version: handshake.version
    })
    return Decoded.value({ protocol, handshake, reply })
  }
}

/**
 * The dialing side: send `hello` first, then feed the reply with `push`;
 * `poll` answers the settled protocol and the peer's handshake, or a
 * `HandshakeError`: `Loopback` when we dialed ourselves, `Rejected` with the
 * alternatives when the node is full.
 *
 * @category models
 * @since 0.1.0
 */
export class Outgoing {
  readonly hello: Uint8Array
  private readonly detector: Detector
  private readonly loopback: bigint

  constructor(settings: Settings, loopback: bigint) {
    this.loopback = loopback
    const desired = select(settings)
    this.hello = desired.encodeHandshake(Handshake.hello(settings, loopback))
    // Keep writing on the gob stream the hello opened, so its type
    // definitions are not sent twice (Go swaps the encoder back likewise).
    const encoder = desired instanceof V9 || desired instanceof V10 ? desired.stream.encoder : undefined
    this.detector = new Detector(
      settings,
      [ParcelType.Handshake, ParcelType.PeerRequest, ParcelType.RejectAlternative],
      encoder
    )
  }

  push(chunk: Uint8Array): void {
    this.detector.push(chunk)
  }

  poll(): Decoded.Decoded<Settled, Handshake.HandshakeError> {
    const r = this.detector.poll()
    if (r._tag !== "Value") return r
    const { handshake } = r.value
    if (handshake.loopback === this.loopback) {
      return Decoded.failure(
        new Handshake.HandshakeError({ reason: new Handshake.Loopback({ message: "dialed ourselves" }) })
      )
    }
    if (handshake.type === ParcelType.RejectAlternative) {
      // a full node's answer: expected, so built without a stack trace
      return Decoded.failure(
        Stackless.make(
          () =>
            new Handshake.HandshakeError({
              reason: new Handshake.Rejected({ alternatives: handshake.alternatives, message: "connection rejected" })
            })
        )
      )
    }
    return r
  }
}
