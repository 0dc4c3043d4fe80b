/**
 * Outgoing connections (Go: `Dialer` + `controller.Dial` +
 * `handshakeOutgoing`): the TCP connect under `dialTimeout` from `bindIp`
 * (from any address when it is empty or a wildcard, `0.0.0.0` or `::`, so
 * that IPv4 and IPv6 endpoints are both dialed; an IPv4 `bindIp` reaches
 * only IPv4 endpoints and an IPv6 one only IPv6 endpoints, as in Go),
 * the handshake under `handshakeTimeout`. A successful dial leaves the peer
 * running in the node's scope; `dial` returns it. Dialing ourselves (our
 * loopback nonce comes back) bans that endpoint for 50 years, as Go does.
 *
 * Redial throttling, where catp2p differs from Go: Go waits a flat
 * `redialInterval` (2 min) after every attempt, so nodes whose first dials
 * collided (e.g. many nodes on one host starting together) stay apart for
 * minutes. catp2p waits `redialInterval` after a dial that connected (so a
 * peer dropped by a CAT round is not redialed at once), but after a failed
 * dial it backs off exponentially from 1 s (1, 2, 4, … s, capped at
 * `redialInterval`), with ±25 % random jitter so colliding nodes drift
 * apart; a node that rejected us because it was full is alive and may make
 * room (eviction, rounds), so it is tried again after about 5 s.
 *
 * An address discouraged for sending invalid data (`Guard`) is not dialed
 * (`Discouraged`) unless special; a malformed handshake reply discourages it.
 *
 * @since 0.1.0
 */
import { Clock, Context, Deferred, Duration, Effect, type Fiber, FiberSet, Layer, Random, Schema } from "effect"
import { Bans } from "../guard/Bans.ts"
import { Controller } from "./Controller.ts"
import { Listener } from "./Listener.ts"
import { Tick } from "./Tick.ts"
import * as Endpoint from "../../Endpoint.ts"
import { Guard } from "../guard/Guard.ts"
import { HandshakeError, Timeout } from "../../Handshake.ts"
import * as HandshakeFlow from "../handshake/HandshakeFlow.ts"
import { MalformedHandshake } from "../../Misbehaviour.ts"
import { NodeConfig } from "./NodeConfig.ts"
import { OperatorLog } from "../log/OperatorLog.ts"
import * as Reasons from "../log/Reasons.ts"
import type { Peer } from "../peer/Peer.ts"
import { Specials } from "./Specials.ts"
import * as Stackless from "../Stackless.ts"
import { Transport } from "../../Transport.ts"

/**
 * Why a dial did not reach the handshake: the endpoint is banned or
 * discouraged (it sent invalid data within `discourageTime`), was dialed
 * less than `redialInterval` ago, refused the connection, did not answer
 * within `dialTimeout`, or failed otherwise.
 *
 * @since 0.1.0
 */
export class DialError extends Schema.TaggedError<DialError>()("DialError", {
  reason: Schema.Literals(["Banned", "Discouraged", "TooSoon", "Refused", "Timeout", "Unreachable"]),
  endpoint: Schema.String,
  message: Schema.String
}) {}

const LOOPBACK_BAN = Duration.days(365 * 50)

/** A dial as a `p2p.dial` span: the endpoint, then the peer's hash and protocol or why it failed. */
const traceDial = (self: Effect.Effect<Peer, DialError | HandshakeError>, ep: Endpoint.Endpoint) =>
  self.pipe(
    Effect.tap((peer) =>
      Effect.annotateCurrentSpan({
        "p2p.dial.outcome": "connected",
        "p2p.peer.hash": peer.hash,
        "p2p.protocol.version": peer.protocol.version
      })
    ),
    Effect.tapError((e) =>
      Effect.annotateCurrentSpan({
        "p2p.dial.outcome": e._tag === "DialError" ? e.reason : e.reason._tag,
        "p2p.dial.reason": e.message
      })
    ),
    Effect.withSpan(
      "p2p.dial",
      {
        attributes: { "p2p.peer.address": Endpoint.format(ep), "p2p.direction": "outgoing" }
      },
      // one per dial: a call-site trace (always this line) would cost more than the span
      { captureStackTrace: false }
    )
  )

/** An outgoing handshake in progress: ended by the deadline sweep. */
interface Handshaking {
  readonly key: string
  readonly since: number
  readonly fiber: Fiber.Fiber<unknown, unknown>
  readonly result: Deferred.Deferred<Peer, DialError | HandshakeError>
}

/** Bind addresses that name no one address: dialing from them is dialing from any. */
const WILDCARD = new Set(["", "0.0.0.0", "::"])

/** After a full node rejected us: try it again after about this long. */
const REJECTED_RETRY_MS = 5_000

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
  static readonly layer: Layer.Layer<
    Dialer,
    never,
    Transport | NodeConfig | Listener | Bans | Controller | Specials | Guard | Tick | OperatorLog
  > = Layer.effect(
    Dialer,
    Effect.gen(function* () {
      const transport = yield* Transport
      const { config, instanceId } = yield* NodeConfig
      // the port our handshakes announce is the one the Listener bound
      const { negotiation } = yield* Listener
      const bans = yield* Bans
      const controller = yield* Controller
      const specials = yield* Specials
      const guard = yield* Guard
      const operator = yield* OperatorLog
      const connecting = controller.connecting
      const fibers = yield* FiberSet.make<void>()
      /** Outgoing handshakes in progress. */
      const inflight = new Set<Handshaking>()
      const redial = Duration.toMillis(config.redialInterval)
      /** endpoint → when it may be dialed again, and consecutive failures */
      const attempts = new Map<string, { readonly next: number; readonly failures: number }>()

      const messages = {
        Banned: "endpoint is banned",
        Discouraged: "address sent invalid data recently",
        TooSoon: "dialed too recently"
      } as const
      /** Why `ep` may not be dialed now, or undefined; builds no error, as `canDial` runs often. */
      const blocked = (ep: Endpoint.Endpoint, now: number): keyof typeof messages | undefined => {
        if (bans.isBannedEndpoint(ep, now)) return "Banned"
        if (guard.isDiscouraged(ep.ip, now) && !specials.isSpecial(ep)) return "Discouraged"
        const a = attempts.get(Endpoint.format(ep))
        if (a === undefined || now >= a.next) return undefined
        // a special peer is redialed at once after it was connected (only
        // failures make it wait), so it is never left out for redialInterval
        const waitsAfterSuccess = !(a.failures === 0 && a.next !== Number.POSITIVE_INFINITY && specials.isSpecial(ep))
        return waitsAfterSuccess ? "TooSoon" : undefined
      }

      const record = Effect.fnUntraced(function* (key: string, outcome: "connected" | "rejected" | "failed") {
        const now = yield* Clock.currentTimeMillis
        if (outcome === "connected") {
          attempts.set(key, { next: now + redial, failures: 0 })
          return
        }
        if (outcome === "rejected") {
          // alive but full: it may make room soon (eviction, rounds)
          attempts.set(key, {
            next: now + Math.min(redial, REJECTED_RETRY_MS * (yield* Random.nextBetween(0.75, 1.25))),
            failures: 0
          })
          return
        }
        const failures = (attempts.get(key)?.failures ?? 0) + 1
        const base = Math.min(redial, 1000 * 2 ** Math.min(failures - 1, 30))
        const jitter = yield* Random.nextBetween(0.75, 1.25)
        attempts.set(key, { next: now + Math.min(redial, base * jitter), failures })
      })

      // The handshake deadline, once a node tick: a dial past it fails with
      // `Timeout` and its fiber is interrupted (which closes the connection).
      // A timer and a race per dial (two fibers) cost more than the handshake.
      const handshakeTimeout = Duration.toMillis(config.handshakeTimeout)
      const timedOut = Stackless.make(
        () =>
          new HandshakeError({
            reason: new Timeout({ message: `no handshake within ${Duration.format(config.handshakeTimeout)}` })
          })
      )
      yield* (yield* Tick).register((now) =>
        Effect.gen(function* () {
          for (const h of inflight) {
            if (now - h.since < handshakeTimeout) continue
            inflight.delete(h)
            yield* record(h.key, "failed")
            yield* Deferred.fail(h.result, timedOut)
            h.fiber.interruptUnsafe()
          }
        })
      )

      const canDial = (ep: Endpoint.Endpoint) =>
        Effect.map(Clock.currentTimeMillis, (now) => blocked(ep, now) === undefined)

      const dial = Effect.fnUntraced(function* (ep: Endpoint.Endpoint) {
        const key = Endpoint.format(ep)
        const now = yield* Clock.currentTimeMillis
        const refused = blocked(ep, now)
        if (refused !== undefined) {
          return yield* Stackless.make(
            () => new DialError({ reason: refused, endpoint: key, message: messages[refused] })
          )
        }
        if (attempts.size > 4096) for (const [k, a] of attempts) if (now >= a.next) attempts.delete(k)
        // until this dial ends, nobody else dials the endpoint
        attempts.set(key, { next: Number.POSITIVE_INFINITY, failures: attempts.get(key)?.failures ?? 0 })
        const result = yield* Deferred.make<Peer, DialError | HandshakeError>()
        const connectAndRun = Effect.gen(function* () {
          const { connection, settled } = yield* connecting(
            Effect.gen(function* () {
              const connection = yield* transport
                .connect(
                  { host: ep.ip, port: Number(ep.port) },
                  { timeout: config.dialTimeout, bindHost: WILDCARD.has(config.bindIp) ? undefined : config.bindIp }
                )
                .pipe(
                  Effect.mapError((e) =>
                    Stackless.make(
                      () =>
                        new DialError({
                          reason:
                            e.reason === "Timeout" ? "Timeout" : e.reason === "Refused" ? "Refused" : "Unreachable",
                          endpoint: key,
                          message: e.message
                        })
                    )
                  )
                )
              // the deadline is the sweep's (below): no timer per dial
              const handshaking: Handshaking = {
                key,
                since: yield* Clock.currentTimeMillis,
                fiber: yield* Effect.fiber,
                result
              }
              inflight.add(handshaking)
              const settled = yield* HandshakeFlow.outgoing(connection, negotiation, instanceId, undefined).pipe(
                Effect.ensuring(Effect.sync(() => inflight.delete(handshaking)))
              )
              return { connection, settled }
            })
          )
          yield* controller.attach({
            connection,
            protocol: settled.protocol,
            handshake: settled.handshake,
            endpoint: ep,
            incoming: false,
            onStart: (peer) => Effect.andThen(record(key, "connected"), Deferred.succeed(result, peer))
          })
        })
        yield* FiberSet.run(
          fibers,
          Effect.scoped(connectAndRun).pipe(
            Effect.catch((e: DialError | HandshakeError) =>
              Effect.gen(function* () {
                const rejected = e._tag === "HandshakeError" && e.reason._tag === "Rejected"
                yield* record(key, rejected ? "rejected" : "failed")
                yield* operator.log(
                  rejected ? "dialRejected" : "dialFailed",
                  () => `dial ${key}${specials.isSpecial(ep) ? " (special)" : ""} failed: ${Reasons.dial(e)}`,
                  () => ({ reason: e._tag === "HandshakeError" ? e.reason._tag : e.reason })
                )
                if (e._tag === "HandshakeError" && e.reason._tag === "Loopback") {
                  bans.banEndpoint(ep, (yield* Clock.currentTimeMillis) + Duration.toMillis(LOOPBACK_BAN))
                }
                if (e._tag === "HandshakeError" && e.reason._tag === "Malformed") {
                  const m = new MalformedHandshake({ message: e.reason.message })
                  yield* guard.report(ep.ip, m, specials.isSpecial(ep))
                }
                yield* Deferred.fail(result, e)
              })
            ),
            // never leave the caller waiting (e.g. the node stops mid-dial)
            Effect.ensuring(
              Effect.andThen(
                Effect.sync(() => {
                  const a = attempts.get(key)
                  if (a !== undefined && a.next === Number.POSITIVE_INFINITY) attempts.delete(key)
                }),
                Deferred.interrupt(result)
              )
            ),
            Effect.annotateLogs({ endpoint: key })
          )
        )
        return yield* Deferred.await(result)
      })

      return Dialer.of({ dial: (ep) => traceDial(dial(ep), ep), canDial })
    })
  )
}
