/**
 * The handshake of a peer played by the test itself, over any `Connection`
 * (a `MemoryTransport` or a TCP one): the test is then free to write and
 * read whatever bytes it likes with the settled protocol (`Wire`'s codecs),
 * well-formed or not. The node on the other side runs the very same
 * negotiation (`Wire.Negotiation`), so these are the bytes a Go node sends.
 *
 * @example
 * ```ts
 * import { NetworkId, type Wire } from "@catp2p/p2p"
 * import { MemoryTransport, RawPeer } from "@catp2p/p2p/testing"
 * import { Effect } from "effect"
 *
 * declare const memory: MemoryTransport.MemoryNetwork
 * const program = Effect.gen(function* () {
 *   const connection = yield* MemoryTransport.make(memory, "10.0.0.9").connect(
 *     { host: "10.0.0.1", port: 8108 },
 *     { timeout: "5 seconds" }
 *   )
 *   const settings: Wire.Negotiation.Settings = {
 *     network: NetworkId.fromName("catp2p-test"),
 *     protocolVersion: 11,
 *     protocolVersionMinimum: 9,
 *     nodeId: 7,
 *     listenPort: "8108"
 *   }
 *   const settled = yield* RawPeer.outgoing(connection, settings, 1n, "5 seconds")
 *   yield* connection.write(settled.protocol.encodeParcels([]))
 * })
 * ```
 *
 * @since 0.1.0
 * @module
 */
import { Duration, type Effect } from "effect"
import type { Endpoint } from "../Endpoint.ts"
import type { HandshakeError } from "../Handshake.ts"
import * as HandshakeFlow from "../internal/handshake/HandshakeFlow.ts"
import type { Connection } from "../Transport.ts"
import type { Settings, Settled } from "../wire/Negotiation.ts"

/**
 * Dials' side: sends our hello on `connection` and reads the answer until
 * the handshake is settled (or rejected: a `HandshakeError` carrying the
 * alternatives a full node offered). `loopback` is our loopback-detection
 * nonce; `timeout` bounds the whole handshake (none when undefined).
 *
 * @category constructors
 * @since 0.1.0
 */
export const outgoing = (
  connection: Connection,
  settings: Settings,
  loopback: bigint,
  timeout?: Duration.Input
): Effect.Effect<Settled, HandshakeError> =>
  HandshakeFlow.outgoing(
    connection,
    settings,
    loopback,
    timeout === undefined ? undefined : Duration.fromInputUnsafe(timeout)
  )

/**
 * Listener's side: reads the dialer's hello, then answers it: with our own
 * hello when `admit` returns undefined (or is not given), or with a
 * rejection offering the endpoints it returns.
 *
 * @category constructors
 * @since 0.1.0
 */
export const incoming = (
  connection: Connection,
  settings: Settings,
  loopback: bigint,
  timeout?: Duration.Input,
  admit?: (settled: Settled) => Effect.Effect<ReadonlyArray<Endpoint> | undefined>
): Effect.Effect<Settled, HandshakeError> =>
  HandshakeFlow.incoming(
    connection,
    settings,
    loopback,
    timeout === undefined ? undefined : Duration.fromInputUnsafe(timeout),
    admit
  )
