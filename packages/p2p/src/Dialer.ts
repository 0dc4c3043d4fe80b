/**
 * Outgoing connections (Go: `Dialer` + `controller.Dial` +
 * `handshakeOutgoing`): one dial per endpoint per `redialInterval`, the TCP
 * connect under `dialTimeout` from `bindIp`, the handshake under
 * `handshakeTimeout`. A successful dial leaves the peer running in the
 * node's scope; `dial` returns it. Dialing ourselves (our loopback nonce
 * comes back) bans that endpoint for 50 years, as Go does.
 *
 * @since 0.1.0
 */
import { Clock, Context, Deferred, Duration, Effect, FiberSet, Layer, Schema } from "effect"
import { Bans } from "./Bans.ts"
import { Controller } from "./Controller.ts"
import * as Endpoint from "./Endpoint.ts"
import type { HandshakeError } from "./Handshake.ts"
import * as HandshakeFlow from "./HandshakeFlow.ts"
import { NodeConfig } from "./NodeConfig.ts"
import type { Peer } from "./Peer.ts"
import { Transport } from "./Transport.ts"

/**
 * Why a dial did not reach the handshake: the endpoint is banned, was dialed
 * less than `redialInterval` ago, refused the connection, did not answer
 * within `dialTimeout`, or failed otherwise.
 *
 * @since 0.1.0
 */
export class DialError extends Schema.TaggedError<DialError>()("DialError", {
  reason: Schema.Literals(["Banned", "TooSoon", "Refused", "Timeout", "Unreachable"]),
  endpoint: Schema.String,
  message: Schema.String
}) {}

const LOOPBACK_BAN = Duration.days(365 * 50)

/**
 * @since 0.1.0
 */
export interface DialerService {
  /** Dials `endpoint` and runs the peer in the background; succeeds once the handshake is done. */
  readonly dial: (endpoint: Endpoint.Endpoint) => Effect.Effect<Peer, DialError | HandshakeError>
  /** Whether `endpoint` may be dialed now (not banned, not dialed within `redialInterval`). */
  readonly canDial: (endpoint: Endpoint.Endpoint) => Effect.Effect<boolean>
}

/**
 * @since 0.1.0
 */
export class Dialer extends Context.Service<Dialer, DialerService>()("@catp2p/p2p/Dialer") {
  static readonly layer: Layer.Layer<Dialer, never, Transport | NodeConfig | Bans | Controller> = Layer.effect(
    Dialer,
    Effect.gen(function* () {
      const transport = yield* Transport
      const { config, negotiation, instanceId } = yield* NodeConfig
      const bans = yield* Bans
      const controller = yield* Controller
      const fibers = yield* FiberSet.make<void>()
      const redial = Duration.toMillis(config.redialInterval)
      const attempts = new Map<string, number>()

      const blocked = (key: string, ep: Endpoint.Endpoint, now: number): DialError | undefined => {
        if (bans.isBannedEndpoint(ep, now))
          return new DialError({ reason: "Banned", endpoint: key, message: "endpoint is banned" })
        const last = attempts.get(key)
        if (last !== undefined && now - last < redial) {
          return new DialError({ reason: "TooSoon", endpoint: key, message: "dialed too recently" })
        }
        return undefined
      }

      const canDial = (ep: Endpoint.Endpoint) =>
        Effect.map(Clock.currentTimeMillis, (now) => blocked(Endpoint.format(ep), ep, now) === undefined)

      const dial = Effect.fnUntraced(function* (ep: Endpoint.Endpoint) {
        const key = Endpoint.format(ep)
        const now = yield* Clock.currentTimeMillis
        const refused = blocked(key, ep, now)
        if (refused !== undefined) return yield* refused
        if (attempts.size > 4096) for (const [k, t] of attempts) if (now - t >= redial) attempts.delete(k)
        attempts.set(key, now)
        const result = yield* Deferred.make<Peer, DialError | HandshakeError>()
        const connectAndRun = Effect.gen(function* () {
          const connection = yield* transport
            .connect(
              { host: ep.ip, port: Number(ep.port) },
              { timeout: config.dialTimeout, bindHost: config.bindIp || undefined }
            )
            .pipe(
              Effect.mapError(
                (e) =>
                  new DialError({
                    reason: e.reason === "Timeout" ? "Timeout" : e.reason === "Refused" ? "Refused" : "Unreachable",
                    endpoint: key,
                    message: e.message
                  })
              )
            )
          const settled = yield* HandshakeFlow.outgoing(connection, negotiation, instanceId, config.handshakeTimeout)
          yield* controller.attach({
            connection,
            protocol: settled.protocol,
            handshake: settled.handshake,
            endpoint: ep,
            incoming: false,
            onStart: (peer) => Effect.asVoid(Deferred.succeed(result, peer))
          })
        })
        yield* FiberSet.run(
          fibers,
          Effect.scoped(connectAndRun).pipe(
            Effect.catch((e: DialError | HandshakeError) =>
              Effect.gen(function* () {
                if (e._tag === "HandshakeError" && e.reason._tag === "Loopback") {
                  bans.ban(key, (yield* Clock.currentTimeMillis) + Duration.toMillis(LOOPBACK_BAN))
                }
                yield* Deferred.fail(result, e)
              })
            ),
            // never leave the caller waiting (e.g. the node stops mid-dial)
            Effect.ensuring(Deferred.interrupt(result)),
            Effect.annotateLogs({ endpoint: key })
          )
        )
        return yield* Deferred.await(result)
      })

      return Dialer.of({ dial, canDial })
    })
  )
}
