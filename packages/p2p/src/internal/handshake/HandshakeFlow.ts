/**
 * The handshake over a live connection: the `Negotiation` state machines fed
 * from `Connection.read`, under `HandshakeTimeout`.
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import type { Endpoint } from "../../Endpoint.ts"
import * as Handshake from "../../Handshake.ts"
import type * as Decoded from "../../wire/Decoded.ts"
import * as Negotiation from "../../wire/Negotiation.ts"
import * as Stackless from "../Stackless.ts"
import type { Connection, TransportError } from "../../Transport.ts"

/** Either side of the negotiation: fed with bytes, polled for a result. */
interface Side<S> {
  push(chunk: Uint8Array): void
  poll(): Decoded.Decoded<S, Handshake.HandshakeError>
}

const closed = (e: TransportError) =>
  Stackless.make(
    () =>
      new Handshake.HandshakeError({
        reason: new Handshake.Closed({
          message: `connection ${e.reason === "Closed" ? "closed" : "failed"} during the handshake: ${e.message}`
        })
      })
  )

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

/** `self` under `timeout`; with none, the caller enforces a deadline (see `Listener`). */
const withTimeout = <A>(self: Effect.Effect<A, Handshake.HandshakeError>, timeout: Duration.Duration | undefined) =>
  timeout === undefined
    ? self
    : Effect.timeoutOrElse(self, {
        duration: timeout,
        orElse: () =>
          Effect.fail(
            new Handshake.HandshakeError({
              reason: new Handshake.Timeout({ message: `no handshake within ${Duration.format(timeout)}` })
            })
          )
      })

/**
 * A handshake as a `p2p.handshake` span: its direction and the remote
 * address, then the settled protocol version, or the failure's reason
 * (`p2p.handshake.outcome` is `ok` or the reason's tag). An incoming
 * handshake starts a trace of its own.
 */
const traced =
  (direction: "incoming" | "outgoing", connection: Connection) =>
  (self: Effect.Effect<Negotiation.Settled, Handshake.HandshakeError>) =>
    self.pipe(
      Effect.tap((settled) =>
        Effect.annotateCurrentSpan({
          "p2p.handshake.outcome": "ok",
          "p2p.protocol.version": settled.protocol.version,
          "p2p.peer.node_id": settled.handshake.nodeId
        })
      ),
      Effect.tapError((e) =>
        Effect.annotateCurrentSpan({ "p2p.handshake.outcome": e.reason._tag, "p2p.handshake.reason": e.reason.message })
      ),
      Effect.withSpan(
        "p2p.handshake",
        {
          root: direction === "incoming",
          attributes: {
            "p2p.direction": direction,
            "p2p.peer.address": `${connection.remote.host}:${connection.remote.port}`
          }
        },
        // one per connection: a call-site trace (always this line) would cost more than the span
        { captureStackTrace: false }
      )
    )

/**
 * The accepting side: reads the peer's hello, replies, returns the settled
 * protocol and the peer's handshake.
 *
 * With `timeout` undefined it has no deadline of its own: the caller ends
 * it (the `Listener` interrupts handshakes past `handshakeTimeout` once a
 * tick, which costs no timer per connection).
 *
 * `admit`, when given, decides after the peer's hello is read and before we
 * reply: `undefined` admits it; a list of alternatives answers with a
 * rejection offering them (in the settled protocol) and fails with reason
 * `Rejected`.
 *
 * @since 0.1.0
 */
export const incoming = (
  connection: Connection,
  settings: Negotiation.Settings,
  loopback: bigint,
  timeout: Duration.Duration | undefined,
  admit?: (settled: Negotiation.Settled) => Effect.Effect<ReadonlyArray<Endpoint> | undefined>
): Effect.Effect<Negotiation.Settled, Handshake.HandshakeError> =>
  withTimeout(
    Effect.gen(function* () {
      const side = new Negotiation.Incoming(settings, loopback)
      const settled = yield* readUntilSettled(connection, side)
      const alternatives = admit === undefined ? undefined : yield* admit(settled)
      if (alternatives !== undefined) {
        // a fresh stream of the settled protocol: our reply was already encoded on the settled one
        // (a gob encoder sends its type definitions once), and the rejection must carry them
        const reject = { ...Handshake.reject(settings, alternatives), version: settled.handshake.version }
        const fresh = Negotiation.select({ ...settings, protocolVersion: settled.protocol.version })
        yield* Effect.ignore(connection.write([fresh.encodeHandshake(reject)]))
        return yield* Stackless.make(
          () =>
            new Handshake.HandshakeError({
              reason: new Handshake.Rejected({
                alternatives,
                message: "rejected after the handshake (full, or an admission rule)"
              })
            })
        )
      }
      yield* Effect.mapError(connection.write([settled.reply]), closed)
      return settled
    }),
    timeout
  ).pipe(traced("incoming", connection))

/**
 * The dialing side: sends our hello, reads the reply. Fails with
 * `Loopback` when we dialed ourselves, `Rejected` (with alternatives) when
 * the node is full. With `timeout` undefined the caller enforces the
 * deadline (the `Dialer` sweeps its handshakes once a tick).
 *
 * @since 0.1.0
 */
export const outgoing = (
  connection: Connection,
  settings: Negotiation.Settings,
  loopback: bigint,
  timeout: Duration.Duration | undefined
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
  ).pipe(traced("outgoing", connection))
