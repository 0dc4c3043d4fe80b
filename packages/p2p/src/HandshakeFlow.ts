/**
 * The handshake over a live connection: the `Negotiation` state machines fed
 * from `Connection.read`, under `HandshakeTimeout`.
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import * as Handshake from "./Handshake.ts"
import type * as Decoded from "./protocol/Decoded.ts"
import * as Negotiation from "./protocol/Negotiation.ts"
import type { Connection, TransportError } from "./Transport.ts"

/** Either side of the negotiation: fed with bytes, polled for a result. */
interface Side<S> {
  push(chunk: Uint8Array): void
  poll(): Decoded.Decoded<S, Handshake.HandshakeError>
}

const closed = (e: TransportError) =>
  new Handshake.HandshakeError({
    reason: new Handshake.Closed({
      message: `connection ${e.reason === "Closed" ? "closed" : "failed"} during the handshake: ${e.message}`
    })
  })

const readUntilSettled = <S>(connection: Connection, side: Side<S>) =>
  Effect.gen(function* () {
    for (;;) {
      const r = side.poll()
      if (r._tag === "Value") return r.value
      if (r._tag === "Failure") return yield* r.error
      const chunks = yield* Effect.mapError(connection.read, closed)
      for (const c of chunks) side.push(c)
    }
  })

const withTimeout = <A>(self: Effect.Effect<A, Handshake.HandshakeError>, timeout: Duration.Duration) =>
  Effect.timeoutOrElse(self, {
    duration: timeout,
    orElse: () =>
      Effect.fail(
        new Handshake.HandshakeError({
          reason: new Handshake.Timeout({ message: `no handshake within ${Duration.format(timeout)}` })
        })
      )
  })

/**
 * The accepting side: reads the peer's hello, replies, returns the settled
 * protocol and the peer's handshake.
 *
 * @since 0.1.0
 */
export const incoming = (
  connection: Connection,
  settings: Negotiation.Settings,
  loopback: bigint,
  timeout: Duration.Duration
): Effect.Effect<Negotiation.Settled, Handshake.HandshakeError> =>
  withTimeout(
    Effect.gen(function* () {
      const side = new Negotiation.Incoming(settings, loopback)
      const settled = yield* readUntilSettled(connection, side)
      yield* Effect.mapError(connection.write([settled.reply]), closed)
      return settled
    }),
    timeout
  )

/**
 * The dialing side: sends our hello, reads the reply. Fails with
 * `Loopback` when we dialed ourselves, `Rejected` (with alternatives) when
 * the node is full.
 *
 * @since 0.1.0
 */
export const outgoing = (
  connection: Connection,
  settings: Negotiation.Settings,
  loopback: bigint,
  timeout: Duration.Duration
): Effect.Effect<Negotiation.Settled, Handshake.HandshakeError> =>
  withTimeout(
    Effect.gen(function* () {
      const side = new Negotiation.Outgoing(settings, loopback)
      // A full node writes its rejection and closes without reading, so our
      // hello may fail to go out: read anyway, the rejection (with its
      // alternatives) is what matters; a dead connection fails the read too.
      yield* Effect.ignore(connection.write([side.hello]))
      return yield* readUntilSettled(connection, side)
    }),
    timeout
  )
