/**
 * What an application sees of a connected peer: {@link PeerInfo}, a
 * read-only view of one connection (its identity, its live
 * {@link PeerMetrics}, and how it ended, {@link PeerClosed}). The node owns
 * the connection; an application can disconnect or ban a peer through
 * `Network` (by its hash), never reach into it.
 *
 * @example
 * ```ts
 * import { Endpoint, Network } from "@catp2p/p2p"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const network = yield* Network.Network
 *   const peer = yield* network.dial(Endpoint.unsafeMake("127.0.0.1", "8108"))
 *   const metrics = yield* peer.metrics
 *   yield* Effect.log(`${peer.hash} (v${peer.version}): ${metrics.messagesReceived} parcels in`)
 *   const closed = yield* peer.closed
 *   yield* Effect.log(`${peer.hash} closed: ${closed.reason}`)
 * })
 * ```
 *
 * @since 0.1.0
 * @module
 */
import { type Effect, type Option, Schema } from "effect"
import type { Endpoint } from "./Endpoint.ts"
import * as Misbehaviour from "./Misbehaviour.ts"

/**
 * Why a parcel queued for a peer was dropped: `Full` (its send queue
 * overflowed and dropped its older half, Go's policy), `Closed` (it was
 * still queued when the peer ended).
 *
 * @category models
 * @since 0.1.0
 */
export type DropReason = "Full" | "Closed"

/**
 * Why a peer's connection ended. `Malformed` (invalid data) and `Stalled` (a
 * frame slower than `frameProgressRate`) carry the `misbehaviour` as data;
 * `OverBudget`: it sent a frame that needs more memory than the whole
 * `inputBudget` (a smaller one waits for room instead).
 *
 * @category errors
 * @since 0.1.0
 */
export class PeerClosed extends Schema.TaggedError<PeerClosed>()("PeerClosed", {
  reason: Schema.Literals([
    "RemoteClosed",
    "ReadError",
    "WriteError",
    "ReadTimeout",
    "WriteTimeout",
    "Malformed",
    "Stalled",
    "OverBudget",
    "Stopped"
  ]),
  message: Schema.String,
  misbehaviour: Schema.optionalKey(Misbehaviour.Misbehaviour)
}) {}

/**
 * Live metrics of one peer (Go: `PeerMetrics`). Times are Clock milliseconds;
 * rates are per second over the last second.
 *
 * @category models
 * @since 0.1.0
 */
export interface PeerMetrics {
  readonly hash: string
  readonly peerAddress: string
  readonly momentConnected: number
  /** Go's `PeerQuality` (int32): always 0, as Go's `GetMetrics` no longer sets it (its quality score is gone). */
  readonly peerQuality: number
  readonly lastReceive: number
  readonly lastSend: number
  readonly messagesSent: number
  readonly bytesSent: number
  readonly messagesReceived: number
  readonly bytesReceived: number
  readonly incoming: boolean
  /** `"regular"` or `"special_config"`. */
  readonly peerType: string
  /** The protocol, as Go writes it: `v9`, `v10`, `v11`. */
  readonly connectionState: string
  readonly mpsDown: number
  readonly mpsUp: number
  readonly bpsDown: number
  readonly bpsUp: number
  readonly sendFillRatio: number
  /** Parcels dropped on the way to this peer, every reason (see `dropsByReason`). */
  readonly dropped: number
  /** The drops by reason: `Full` (its send queue overflowed), `Closed` (queued when it ended). */
  readonly dropsByReason: Readonly<Record<DropReason, number>>
  /** Bytes of an incomplete frame from it, held or granted by its decoder (counted in `inputBudget`). */
  readonly inputHeld: number
}

/**
 * A connected peer, as an application sees it: read-only. Its fields are
 * fixed for the connection's life; `metrics` is a snapshot taken when run.
 *
 * @category models
 * @since 0.1.0
 */
export interface PeerInfo {
  /** `ip:port nodeid` (Go's peer hash); the key `Network.disconnect` and `Network.ban` take. */
  readonly hash: string
  /** Where the peer listens: its IP and the listen port from its handshake. */
  readonly endpoint: Endpoint
  /** The node id from its handshake. */
  readonly nodeId: number
  /** Whether it dialed us. */
  readonly incoming: boolean
  /** The protocol the connection speaks: 9, 10 or 11. */
  readonly version: 9 | 10 | 11
  /** Clock milliseconds when its handshake completed. */
  readonly connected: number
  /** Its live metrics, now (Go: `PeerMetrics`). */
  readonly metrics: Effect.Effect<PeerMetrics>
  /** Waits until the connection has ended, and tells why. */
  readonly closed: Effect.Effect<PeerClosed>
  /** Why the connection ended, if it has. */
  readonly closedYet: Effect.Effect<Option.Option<PeerClosed>>
}
