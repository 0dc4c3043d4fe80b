/**
 * Accepts connections on `bindIp:listenPort` (Go: `controller.listen` +
 * `LimitedListener` + `handshakeIncoming`). With `bindIp` empty it listens
 * on every interface, IPv4 and IPv6 (dual-stack), as Go's `":port"` does;
 * an IPv4 peer is still known by its IPv4 address (`127.0.0.1`, not
 * `::ffff:127.0.0.1`: see `TcpTransport`). Go cannot bind an IPv6 `bindIp`
 * (it listens on `bindIp + ":" + port`, which for `::1` is no address);
 * catp2p binds exactly the address given.
 *
 * 1. connections from one IP are rate limited: a burst of `LISTEN_BURST`
 *    (16), then one per `listenLimit`; over the rate, closed at once;
 * 2. a banned IP, or one discouraged for sending invalid data (`Guard`,
 *    `discourageTime`), is closed at once, without alternatives;
 * 3. admission: with `maxPendingHandshakesPerIp` handshakes in progress
 *    from this IP, or `maxPendingHandshakes` in all and none of them older
 *    than `DISPLACE_PENDING_MS` (else the oldest is ended to make room), the
 *    connection gets a rejection in our protocol right away (below), so
 *    handshakers cannot crowd out honest newcomers nor accepted peers;
 * 4. when the node is full (`maxPeers` connections, `maxIncoming` incoming)
 *    and no peer could be evicted, or when the IP has `peerIpLimitIncoming`
 *    connections, the connection gets a rejection in our protocol right
 *    away, offering up to `peerShareAmount` random connected peers (never
 *    one at the refused IP), then is closed; special IPs are exempt from 1,
 *    3 and 4;
 * 5. otherwise the incoming handshake runs under `handshakeTimeout` (at most
 *    16 KiB may arrive before it completes; the deadline is checked every
 *    node tick, so it holds to within a tick); once the newcomer's hello is
 *    read, if the node is full, one established peer is evicted for it (see
 *    below), or it is answered with a rejection with alternatives; then the
 *    connection becomes a peer whose endpoint is the remote IP and the
 *    handshake's listen port. A malformed handshake discourages the IP.
 *
 * Go counts `MaxIncoming` against all connections; catp2p caps incoming
 * connections at `maxIncoming` and all connections at `maxPeers`.
 *
 * Go locks an IP out for `listenLimit` after every connection, so nodes
 * sharing an IP (several nodes on one host, or behind one NAT) that dial at
 * the same moment are silently turned away and, with Go's 2-minute redial,
 * collide again. A token bucket keeps Go's long-run rate (one connection per
 * `listenLimit` per IP) and its flood protection, but lets a short burst
 * through.
 *
 * Eviction, where catp2p differs from Go: in a settled CAT network almost
 * every node is full, so Go turns newcomers away until a round (15 min)
 * frees slots, and a node that restarts can stay isolated. A full catp2p
 * node trades an established incoming peer for the newcomer. The evicted
 * peer has had time to find other peers and replenishes; peers we dialed,
 * special peers and young connections are never evicted, and `Eviction`
 * protects peers as Bitcoin Core does (distinct network groups, recent
 * usefulness, age) and takes the youngest of the most crowded network group.
 * The eviction happens only once the newcomer has completed its hello, so
 * connections that never finish a handshake cannot push peers out.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, type Fiber, Layer, Random, Schedule } from "effect"
import { Bans } from "./Bans.ts"
import { Controller } from "./Controller.ts"
import * as Endpoint from "./Endpoint.ts"
import * as Eviction from "./Eviction.ts"
import { Guard } from "./Guard.ts"
import * as HandshakeFlow from "./HandshakeFlow.ts"
import { MalformedHandshake } from "./Misbehaviour.ts"
import { NodeConfig } from "./NodeConfig.ts"
import type { Peer } from "./Peer.ts"
import { PeerStore } from "./PeerStore.ts"
import * as Negotiation from "./protocol/Negotiation.ts"
import { Specials } from "./Specials.ts"
import * as Traffic from "./Traffic.ts"
import { type Address, type Connection, Transport, type TransportError } from "./Transport.ts"

/**
 * How long an incoming peer is protected from eviction: long enough for a
 * newcomer to finish its handshake and start its own dials and peer
 * requests. It was 20 s; with the protected sets of `Eviction` (network
 * groups, useful peers, the older half) a short age is safe, and it lets a
 * network that starts from one seed fill up 5x faster (1,000 simulated
 * nodes: 170 s → 30 s of simulated time).
 *
 * @since 0.1.0
 */
export const EVICT_MIN_AGE_MS = 2_000

/**
 * Connections one IP may open at once before the `listenLimit` rate applies.
 *
 * @since 0.1.0
 */
export const LISTEN_BURST = 16

/**
 * When `maxPendingHandshakes` handshakes are in progress, a newcomer ends the
 * oldest of them if it has lasted this long (an honest handshake takes a
 * round trip; one that lasts is likely an attacker holding a slot); if none
 * has, the newcomer is rejected with alternatives.
 *
 * @since 0.1.0
 */
export const DISPLACE_PENDING_MS = 1_000

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
  done: boolean
}

/**
 * @since 0.1.0
 */
export class Listener extends Context.Service<Listener, { readonly address: Address }>()("@catp2p/p2p/Listener") {
  static readonly layer: Layer.Layer<
    Listener,
    TransportError,
    Transport | NodeConfig | PeerStore | Bans | Specials | Controller | Guard
  > = Layer.effect(
    Listener,
    Effect.gen(function* () {
      const transport = yield* Transport
      const { config, negotiation, instanceId, tick } = yield* NodeConfig
      const store = yield* PeerStore
      const bans = yield* Bans
      const specials = yield* Specials
      const controller = yield* Controller
      const guard = yield* Guard
      const connecting = Traffic.connecting(controller.counters.traffic)
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

      const full = (): string | undefined => {
        if (store.total >= config.maxPeers) return `full: ${store.total} of ${config.maxPeers} connections`
        if (store.incoming >= config.maxIncoming) return `full: ${store.incoming} of ${config.maxIncoming} incoming`
        return undefined
      }

      /** Orders network groups for eviction; secret, so attackers cannot tell which groups are protected. */
      const evictionKey = yield* Random.nextIntBetween(0, 0xffffffff)
      /** Peers already told to leave for a newcomer (still in the store until their scope closes). */
      const evicting = new WeakSet<Peer>()
      /** Incoming handshakes in progress (non-special), and their count per IP. */
      const pending = new Set<Pending>()
      const pendingByIp = new Map<string, number>()

      const enter = (ip: string, since: number, fiber: Fiber.Fiber<unknown, unknown>): Pending => {
        const p: Pending = { ip, since, fiber, done: false }
        pending.add(p)
        pendingByIp.set(ip, (pendingByIp.get(ip) ?? 0) + 1)
        return p
      }

      const leave = (p: Pending): void => {
        if (p.done) return
        p.done = true
        pending.delete(p)
        const n = (pendingByIp.get(p.ip) ?? 1) - 1
        if (n <= 0) pendingByIp.delete(p.ip)
        else pendingByIp.set(p.ip, n)
      }

      /** Ends the oldest handshake in progress if it has lasted `DISPLACE_PENDING_MS`; whether one was ended. */
      const displace = (now: number): boolean => {
        let oldest: Pending | undefined
        for (const p of pending) if (oldest === undefined || p.since < oldest.since) oldest = p
        if (oldest === undefined || now - oldest.since < DISPLACE_PENDING_MS) return false
        leave(oldest)
        guard.counters.displaced++
        oldest.fiber.interruptUnsafe()
        return true
      }

      // the deadline of incoming handshakes, once a tick (specials run their own timer)
      const handshakeTimeout = Duration.toMillis(config.handshakeTimeout)
      yield* Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        for (const p of pending) {
          if (now - p.since < handshakeTimeout) continue
          leave(p)
          yield* Effect.logDebug(
            `incoming handshake from ${p.ip} failed: no handshake within ${Duration.format(config.handshakeTimeout)}`
          )
          p.fiber.interruptUnsafe()
        }
      }).pipe(Effect.repeat(Schedule.spaced(tick)), Effect.forkScoped)

      /** An incoming, non-special peer old enough to give up its slot, chosen by `Eviction.select`. */
      const evictable = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        // a random member of the crowded group, not its youngest: see `Eviction.select`
        const r = yield* Random.next
        return Eviction.select(
          store
            .all()
            .filter((p) => p.incoming && now - p.connected >= EVICT_MIN_AGE_MS && !p.special && !evicting.has(p)),
          evictionKey,
          r
        )
      })

      /**
       * After the newcomer's hello and before our reply: when the node is
       * full, evict a peer for it, or answer with a rejection offering
       * alternatives. Evicting only for a completed hello means half
       * handshakes cannot push established peers out.
       */
      const admit = (ip: string) =>
        Effect.gen(function* () {
          const why = full()
          if (why === undefined) return undefined
          const victim = yield* evictable
          if (victim !== undefined) {
            evicting.add(victim)
            guard.counters.evicted++
            yield* victim.stop("Stopped", "evicted to make room for a new peer")
            yield* Effect.logDebug(`evicted ${victim.hash} to make room (${why})`)
            return undefined
          }
          controller.counters.refused++
          yield* Effect.logDebug(`rejected after the handshake: ${why}`)
          return yield* controller.shareFor((ep) => ep.ip === ip)
        })

      const handler = (connection: Connection) =>
        Effect.gen(function* () {
          const ip = connection.remote.host
          const now = yield* Clock.currentTimeMillis
          const special = specials.isSpecialIp(ip)
          if (!special && overRate(ip, now)) {
            controller.counters.refused++
            return yield* Effect.logDebug("refused: connection rate limit for this IP")
          }
          if (bans.isBanned(ip, now)) {
            controller.counters.refused++
            return yield* Effect.logDebug("refused: banned")
          }
          if (!special && guard.isDiscouraged(ip, now)) {
            controller.counters.refused++
            guard.counters.refusedDiscouraged++
            return yield* Effect.logDebug("refused: discouraged (it sent invalid data)")
          }
          let why: string | undefined
          if (!special) {
            const fromIp = pendingByIp.get(ip) ?? 0
            if (fromIp >= config.maxPendingHandshakesPerIp) {
              why = `${fromIp} handshakes in progress from this IP (at most ${config.maxPendingHandshakesPerIp})`
            } else if (pending.size >= config.maxPendingHandshakes && !displace(now)) {
              why = `${pending.size} handshakes in progress (at most ${config.maxPendingHandshakes})`
            }
            if (why !== undefined) {
              guard.counters.refusedPending++
            } else {
              why = full()
              if (why !== undefined) {
                // room is made after the newcomer's hello (see `admit`); with nobody to evict, reject at once
                if ((yield* evictable) !== undefined) why = undefined
              } else if (config.peerIpLimitIncoming > 0 && store.count(ip) >= config.peerIpLimitIncoming) {
                why = `per-IP limit of ${config.peerIpLimitIncoming} reached`
              }
            }
          }
          if (why !== undefined) {
            controller.counters.refused++
            const alternatives = yield* controller.shareFor((ep) => ep.ip === ip)
            yield* Effect.logDebug(`refused with ${alternatives.length} alternatives: ${why}`)
            return yield* Effect.ignore(connection.write([Negotiation.rejection(negotiation, alternatives)]))
          }
          const slot = special ? undefined : enter(ip, now, yield* Effect.fiber)
          const settled = yield* connecting(
            slot === undefined
              ? HandshakeFlow.incoming(connection, negotiation, instanceId, config.handshakeTimeout)
              : HandshakeFlow.incoming(connection, negotiation, instanceId, undefined, () => admit(ip)).pipe(
                  Effect.ensuring(Effect.sync(() => leave(slot)))
                )
          )
          yield* controller.attach({
            connection,
            protocol: settled.protocol,
            handshake: settled.handshake,
            endpoint: Endpoint.unsafeMake(ip, settled.handshake.listenPort),
            incoming: true
          })
        }).pipe(
          Effect.catchTag("HandshakeError", (e) =>
            Effect.andThen(
              e.reason._tag === "Malformed"
                ? guard.report(
                    connection.remote.host,
                    new MalformedHandshake({ message: e.reason.message }),
                    specials.isSpecialIp(connection.remote.host)
                  )
                : Effect.void,
              Effect.logDebug(`incoming handshake failed: ${e.message}`)
            )
          ),
          Effect.annotateLogs({
            remote: Endpoint.format({ ip: connection.remote.host, port: String(connection.remote.port) })
          })
        )

      // empty bindIp: every interface, IPv4 and IPv6, as Go's `net.Listen("tcp", ":port")`
      const server = yield* transport.listen({ host: config.bindIp, port: Number(config.listenPort) }, handler)
      // listenPort 0: announce the port actually bound
      negotiation.listenPort = String(server.address.port)
      yield* Effect.logDebug(
        `listening on ${Endpoint.format({ ip: server.address.host, port: String(server.address.port) })}`
      )
      return Listener.of({ address: server.address })
    })
  )
}
