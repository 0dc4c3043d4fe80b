/**
 * Accepts connections on `bindIp:listenPort` (Go: `controller.listen` +
 * `LimitedListener` + `handshakeIncoming`). With `bindIp` empty it listens
 * on every interface, IPv4 and IPv6 (dual-stack), as Go's `":port"` does;
 * an IPv4 peer is still known by its IPv4 address (`127.0.0.1`, not
 * `::ffff:127.0.0.1`: see `TcpTransport`). Go cannot bind an IPv6 `bindIp`
 * (it listens on `bindIp + ":" + port`, which for `::1` is no address);
 * catp2p binds exactly the address given.
 *
 * Whether a connection may become a peer is decided by `Admission.decide`,
 * twice: when it is accepted and once its hello is read (see `Admission` for
 * the rules: rate, ban, discouragement, handshakes in progress, per-IP limit,
 * full). This module gathers the facts and carries the decision out:
 *
 * - a refusal with alternatives is a rejection in our protocol right away
 *   (after the hello: in the settled protocol), offering up to
 *   `peerShareAmount` random connected peers (never one at the refused IP),
 *   then the connection is closed; a refusal without is a close;
 * - `Displace` ends the oldest handshake in progress that has not delivered
 *   a complete hello, whatever its age: `maxPendingHandshakes` bounds the
 *   memory of handshakes, and connections that send nothing or half a hello
 *   cannot crowd out newcomers whose hello arrives in a round trip;
 * - the handshake runs under `handshakeTimeout` (at most 16 KiB may arrive
 *   before it completes; the deadline is checked every node tick, so it
 *   holds to within a tick); once the hello is read the rules are asked
 *   again, and `Evict` ends one established peer for the newcomer; then the
 *   connection becomes a peer whose endpoint is the remote IP and the
 *   handshake's listen port. A malformed handshake discourages the IP.
 *
 * Go counts `MaxIncoming` against all connections; catp2p caps incoming
 * connections at `maxIncoming` and all connections at `maxPeers`.
 *
 * Go locks an IP out for `listenLimit` after every connection, so nodes
 * sharing an IP (several nodes on one host, or behind one NAT) that dial at
 * the same moment are silently turned away and, with Go's 2-minute redial,
 * collide again. A token bucket keeps Go's long-run rate (one connection per
 * `listenLimit` per IP) and its flood protection, but lets a short burst
 * (`LISTEN_BURST`) through.
 *
 * Eviction, where catp2p differs from Go: in a settled CAT network almost
 * every node is full, so Go turns newcomers away until a round (15 min)
 * frees slots, and a node that restarts can stay isolated. A full catp2p
 * node trades an established incoming peer for the newcomer. The evicted
 * peer has had time to find other peers and replenishes; peers we dialed
 * and special peers are never evicted, useful peers younger than
 * `EVICT_MIN_AGE_MS` neither, and `Eviction` protects peers as Bitcoin Core
 * does (distinct network groups, recent usefulness, age) and takes a random
 * member of the most crowded network group. A peer that has done nothing
 * useful since its handshake is a candidate once `EVICT_IDLE_AGE_MS` old
 * (250 ms), so connections that complete a valid handshake and idle cannot
 * hold slots against honest newcomers. The eviction happens only once the newcomer has
 * completed its hello, so connections that never finish a handshake cannot
 * push peers out.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, type Fiber, Layer, Random } from "effect"
import * as Admission from "../guard/Admission.ts"
import { Bans } from "../guard/Bans.ts"
import { Controller } from "./Controller.ts"
import * as Endpoint from "../../Endpoint.ts"
import * as Eviction from "../guard/Eviction.ts"
import { Guard } from "../guard/Guard.ts"
import * as HandshakeFlow from "../handshake/HandshakeFlow.ts"
import { MalformedHandshake } from "../../Misbehaviour.ts"
import * as NetworkId from "../../NetworkId.ts"
import { NodeConfig } from "./NodeConfig.ts"
import { OperatorLog } from "../log/OperatorLog.ts"
import * as Reasons from "../log/Reasons.ts"
import { NodeStats } from "../stats/NodeStats.ts"
import type { Peer } from "../peer/Peer.ts"
import { PeerStore } from "./PeerStore.ts"
import * as Negotiation from "../../wire/Negotiation.ts"
import { Specials } from "./Specials.ts"
import { Tick } from "./Tick.ts"
import * as Traffic from "../stats/Traffic.ts"
import { type Address, type Connection, Transport, type TransportError } from "../../Transport.ts"

/**
 * How long a useful incoming peer is protected from eviction (see
 * `Eviction.EVICT_MIN_AGE_MS`).
 *
 * @since 0.1.0
 */
export const EVICT_MIN_AGE_MS = Eviction.EVICT_MIN_AGE_MS

/**
 * Connections one IP may open at once before the `listenLimit` rate applies.
 *
 * @since 0.1.0
 */
export const LISTEN_BURST = 16

/**
 * An incoming handshake in progress. Its deadline and its displacement end
 * it by interrupting the connection's handler fiber: a timer and a race per
 * handshake (four fibers) cost more than the handshake itself, and a node
 * that is dialed by the thousand (or a simulation of thousands of nodes)
 * pays that for every rejected newcomer.
 */
interface Pending {
  readonly ip: string
  readonly since: number
  /** The handler running the handshake. */
  readonly fiber: Fiber.Fiber<unknown, unknown>
  /** Its complete hello was read: no longer displaceable. */
  hello: boolean
  done: boolean
}

/**
 * @since 0.1.0
 */
export interface ListenerService {
  /** The address bound (with `listenPort` 0, the port the system chose). */
  readonly address: Address
  /** What this node's handshakes announce: `NodeConfig.negotiation` with the port actually bound. */
  readonly negotiation: Negotiation.Settings
}

/**
 * @since 0.1.0
 */
export class Listener extends Context.Service<Listener, ListenerService>()("@catp2p/p2p/Listener") {
  static readonly layer: Layer.Layer<
    Listener,
    TransportError,
    Transport | NodeConfig | PeerStore | Bans | Specials | Controller | Guard | Tick | NodeStats | OperatorLog
  > = Layer.effect(
    Listener,
    Effect.gen(function* () {
      const transport = yield* Transport
      const { config, negotiation: configured, instanceId } = yield* NodeConfig
      /** What our handshakes announce: set once, when the port is bound (before any connection is accepted). */
      let negotiation: Negotiation.Settings = configured
      const store = yield* PeerStore
      const bans = yield* Bans
      const specials = yield* Specials
      const controller = yield* Controller
      const guard = yield* Guard
      const operator = yield* OperatorLog
      const stats = yield* NodeStats
      const connecting = Traffic.connecting(stats.traffic)
      const listenLimit = Duration.toMillis(config.listenLimit)
      /** per IP: tokens left and when they were counted */
      const buckets = new Map<string, { tokens: number; at: number }>()

      const overRate = (ip: string, now: number): boolean => {
        if (listenLimit <= 0) return false
        if (buckets.size > 4096) {
          for (const [k, b] of buckets) if (b.tokens + (now - b.at) / listenLimit >= LISTEN_BURST) buckets.delete(k)
        }
        const b = buckets.get(ip) ?? { tokens: LISTEN_BURST, at: now }
        b.tokens = Math.min(LISTEN_BURST, b.tokens + (now - b.at) / listenLimit)
        b.at = now
        buckets.set(ip, b)
        if (b.tokens < 1) return true
        b.tokens -= 1
        return false
      }

      /** Orders network groups for eviction; secret, so attackers cannot tell which groups are protected. */
      const evictionKey = yield* Random.nextIntBetween(0, 0xffffffff)
      /** Peers told to leave for a newcomer, until they leave the store. */
      const evicting = new Set<Peer>()
      /** Newcomers admitted after their hello and not yet in the store, in all and per IP. */
      let admitting = 0
      const admittingByIp = new Map<string, number>()
      /** Incoming handshakes in progress (non-special), oldest first, and their count per IP. */
      const pending = new Set<Pending>()
      const pendingByIp = new Map<string, number>()

      const bump = (map: Map<string, number>, ip: string, by: number) => {
        const n = (map.get(ip) ?? 0) + by
        if (n <= 0) map.delete(ip)
        else map.set(ip, n)
      }

      /** Peers that hold a slot: the store, less those leaving, plus newcomers on their way in. */
      const full = (): string | undefined => {
        for (const p of evicting) if (store.get(p.hash) !== p) evicting.delete(p)
        const total = store.total - evicting.size + admitting
        if (total >= config.maxPeers) return `full: ${total} of ${config.maxPeers} connections`
        // every peer evicted is incoming
        const incoming = store.incoming - evicting.size + admitting
        if (incoming >= config.maxIncoming) return `full: ${incoming} of ${config.maxIncoming} incoming`
        return undefined
      }

      const enter = (ip: string, since: number, fiber: Fiber.Fiber<unknown, unknown>): Pending => {
        const p: Pending = { ip, since, fiber, hello: false, done: false }
        pending.add(p)
        bump(pendingByIp, ip, 1)
        return p
      }

      const leave = (p: Pending): void => {
        if (p.done) return
        p.done = true
        pending.delete(p)
        bump(pendingByIp, p.ip, -1)
      }

      /** The oldest handshake in progress that has not delivered a complete hello. */
      const displaceable = (): Pending | undefined => {
        for (const p of pending) if (!p.hello) return p
        return undefined
      }

      // the deadline of incoming handshakes, once a node tick (specials run their own timer)
      const handshakeTimeout = Duration.toMillis(config.handshakeTimeout)
      yield* (yield* Tick).register((now) =>
        Effect.gen(function* () {
          for (const p of pending) {
            if (now - p.since < handshakeTimeout) continue
            leave(p)
            yield* operator.log(
              "handshakeFailed",
              () =>
                `incoming handshake from ${p.ip} failed: no handshake within ${Duration.format(config.handshakeTimeout)}`,
              () => ({ remote: p.ip, reason: "Timeout" })
            )
            p.fiber.interruptUnsafe()
          }
        })
      )

      /** An incoming peer to give up its slot (see `Eviction`), or undefined. */
      const evictable = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        // a random member of the crowded group, not its youngest: see `Eviction.select`
        const r = yield* Random.next
        return Eviction.select(
          store.all().filter((p) => p.incoming && !p.special && !evicting.has(p) && Eviction.isCandidate(p, now)),
          evictionKey,
          r
        )
      })

      /** The facts `Admission.decide` needs about `ip` (`port`: the hello's listen port, once read). */
      const facts = (stage: Admission.Stage, ip: string, port: string | undefined, now: number, special: boolean) =>
        Effect.gen(function* () {
          const rate = stage === "connect" && !special && overRate(ip, now)
          const banned = port === undefined ? bans.isBanned(ip, now) : bans.isBannedEndpoint({ ip, port }, now)
          const discouraged = !special && guard.isDiscouraged(ip, now)
          // the first three rules refuse before fullness matters: spare a refused connection the eviction search
          const why = special || rate || banned || discouraged ? undefined : full()
          const victim = why === undefined ? undefined : yield* evictable
          const f: Admission.Facts = {
            stage,
            special,
            overRate: rate,
            banned,
            discouraged,
            pendingFromIp: pendingByIp.get(ip) ?? 0,
            pending: pending.size,
            displaceable: displaceable() !== undefined,
            fromIp: store.count(ip) + (admittingByIp.get(ip) ?? 0),
            full: why,
            evictable: victim !== undefined
          }
          return [f, victim] as const
        })

      /** Counts a refusal; the alternatives to offer (undefined: closed without a word). */
      const refused = (decision: Extract<Admission.Decision, { _tag: "Refuse" }>, ip: string) =>
        Effect.gen(function* () {
          stats.refused(decision.rule)
          if (!decision.alternatives) {
            yield* Effect.logDebug(`refused: ${decision.why}`)
            return undefined
          }
          const alternatives = yield* controller.shareFor((ep) => ep.ip === ip)
          yield* Effect.logDebug(`refused with ${alternatives.length} alternatives: ${decision.why}`)
          return alternatives
        })

      /** A newcomer admitted after its hello holds a slot until it is in the store (or fails). */
      const seat = (ip: string) => {
        let held = false
        return {
          take: () => {
            held = true
            admitting++
            bump(admittingByIp, ip, 1)
          },
          release: () => {
            if (!held) return
            held = false
            admitting--
            bump(admittingByIp, ip, -1)
          }
        }
      }

      /**
       * After the newcomer's hello and before our reply: the rules again,
       * then, when the node is full, an eviction for it. `undefined` admits
       * it (its seat taken), alternatives reject it.
       */
      const admit = (ip: string, port: string, special: boolean, slot: Pending | undefined, take: () => void) =>
        Effect.gen(function* () {
          if (slot !== undefined) slot.hello = true
          const now = yield* Clock.currentTimeMillis
          const [f, victim] = yield* facts("hello", ip, port, now, special)
          const decision = Admission.decide(config, f)
          if (decision._tag === "Refuse") return (yield* refused(decision, ip)) ?? []
          if (decision._tag === "Evict" && victim !== undefined) {
            evicting.add(victim)
            stats.evicted()
            yield* victim.stop("Stopped", "evicted to make room for a new peer")
            yield* Effect.logDebug(`evicted ${victim.hash} to make room (${decision.why})`)
          }
          take()
          return undefined
        })

      const handler = (connection: Connection) => {
        const ip = connection.remote.host
        const held = seat(ip)
        return Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const special = specials.isSpecialIp(ip)
          const [f] = yield* facts("connect", ip, undefined, now, special)
          const decision = Admission.decide(config, f)
          if (decision._tag === "Refuse") {
            const alternatives = yield* refused(decision, ip)
            if (alternatives === undefined) return
            return yield* Effect.ignore(connection.write([Negotiation.rejection(negotiation, alternatives)]))
          }
          if (decision._tag === "Displace") {
            const oldest = displaceable()
            if (oldest !== undefined) {
              leave(oldest)
              stats.displaced()
              oldest.fiber.interruptUnsafe()
            }
          }
          const slot = special ? undefined : enter(ip, now, yield* Effect.fiber)
          const settled = yield* connecting(
            HandshakeFlow.incoming(
              connection,
              negotiation,
              instanceId,
              // specials run their own timer; the others are swept once a tick
              special ? config.handshakeTimeout : undefined,
              (s) => admit(ip, s.handshake.listenPort, special, slot, held.take)
            ).pipe(Effect.ensuring(Effect.sync(() => slot !== undefined && leave(slot))))
          )
          yield* controller.attach({
            connection,
            protocol: settled.protocol,
            handshake: settled.handshake,
            endpoint: Endpoint.unsafeMake(ip, settled.handshake.listenPort),
            incoming: true,
            onStart: () => Effect.sync(held.release)
          })
        }).pipe(
          Effect.ensuring(Effect.sync(held.release)),
          Effect.catchTag("HandshakeError", (e) =>
            Effect.andThen(
              e.reason._tag === "Malformed"
                ? guard.report(ip, new MalformedHandshake({ message: e.reason.message }), specials.isSpecialIp(ip))
                : Effect.void,
              operator.log(
                "handshakeFailed",
                () => `incoming handshake from ${ip} failed: ${Reasons.handshake(e, "incoming")}`,
                () => ({ reason: e.reason._tag })
              )
            )
          ),
          Effect.annotateLogs({ remote: Endpoint.format({ ip, port: String(connection.remote.port) }) })
        )
      }

      // empty bindIp: every interface, IPv4 and IPv6, as Go's `net.Listen("tcp", ":port")`
      const server = yield* transport.listen({ host: config.bindIp, port: Number(config.listenPort) }, handler)
      // listenPort 0: announce the port actually bound
      negotiation = { ...configured, listenPort: String(server.address.port) }
      yield* Effect.logInfo(
        `listening on ${Endpoint.format({ ip: server.address.host, port: String(server.address.port) })} ` +
          `(${NetworkId.format(config.network)}, protocol ${config.protocolVersion})`
      )
      return Listener.of({ address: server.address, negotiation })
    })
  )
}
