/**
 * Accepts connections on `bindIp:listenPort` (Go: `controller.listen` +
 * `LimitedListener` + `handshakeIncoming`):
 *
 * 1. connections from one IP are rate limited: a burst of `LISTEN_BURST`
 *    (16), then one per `listenLimit`; over the rate, closed at once;
 * 2. a banned IP is closed at once, without alternatives;
 * 3. when the node is full (`maxPeers` connections, `maxIncoming` incoming),
 *    it evicts one incoming, non-special peer connected for at least
 *    `EVICT_MIN_AGE_MS` (one from the IP with the most connections, at
 *    random among those) to make room; with nobody to evict, or when the IP
 *    has `peerIpLimitIncoming` connections, the connection gets a rejection
 *    in our protocol right away, offering up to `peerShareAmount` random
 *    connected peers (never one at the refused IP), then is closed; special
 *    IPs are exempt from 1 and 3;
 * 4. otherwise the incoming handshake runs under `handshakeTimeout` and the
 *    connection becomes a peer whose endpoint is the remote IP and the
 *    handshake's listen port.
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
 * peer has had time to find other peers and replenishes;
 * peers we dialed, special peers and young connections are never evicted,
 * and picking from the most crowded IP keeps one address from holding many
 * slots (Bitcoin Core protects diverse network groups for the same reason).
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, Random } from "effect"
import { Bans } from "./Bans.ts"
import { Controller } from "./Controller.ts"
import * as Endpoint from "./Endpoint.ts"
import * as HandshakeFlow from "./HandshakeFlow.ts"
import { NodeConfig } from "./NodeConfig.ts"
import { PeerStore } from "./PeerStore.ts"
import * as Negotiation from "./protocol/Negotiation.ts"
import { Specials } from "./Specials.ts"
import { type Address, type Connection, Transport, type TransportError } from "./Transport.ts"

/**
 * How long an incoming peer is protected from eviction.
 *
 * @since 0.1.0
 */
export const EVICT_MIN_AGE_MS = 20_000

/**
 * Connections one IP may open at once before the `listenLimit` rate applies.
 *
 * @since 0.1.0
 */
export const LISTEN_BURST = 16

/**
 * @since 0.1.0
 */
export class Listener extends Context.Service<Listener, { readonly address: Address }>()("@catp2p/p2p/Listener") {
  static readonly layer: Layer.Layer<
    Listener,
    TransportError,
    Transport | NodeConfig | PeerStore | Bans | Specials | Controller
  > = Layer.effect(
    Listener,
    Effect.gen(function* () {
      const transport = yield* Transport
      const { config, negotiation, instanceId } = yield* NodeConfig
      const store = yield* PeerStore
      const bans = yield* Bans
      const specials = yield* Specials
      const controller = yield* Controller
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

      /** An incoming, non-special peer old enough to give up its slot, from the most crowded IP. */
      const evictable = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const candidates = store.all().filter((p) => p.incoming && now - p.connected >= EVICT_MIN_AGE_MS && !p.special)
        if (candidates.length === 0) return undefined
        let most = 0
        for (const p of candidates) most = Math.max(most, store.count(p.endpoint.ip))
        const crowded = candidates.filter((p) => store.count(p.endpoint.ip) === most)
        return crowded[yield* Random.nextIntBetween(0, crowded.length, { halfOpen: true })]
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
          let why: string | undefined
          if (!special) {
            why = full()
            if (why !== undefined) {
              const victim = yield* evictable
              if (victim !== undefined) {
                yield* victim.stop("Stopped", "evicted to make room for a new peer")
                yield* Effect.logDebug(`evicted ${victim.hash} to make room (${why})`)
                why = undefined
              }
            } else if (config.peerIpLimitIncoming > 0 && store.count(ip) >= config.peerIpLimitIncoming) {
              why = `per-IP limit of ${config.peerIpLimitIncoming} reached`
            }
          }
          if (why !== undefined) {
            controller.counters.refused++
            const alternatives = yield* controller.shareFor((ep) => ep.ip === ip)
            yield* Effect.logDebug(`refused with ${alternatives.length} alternatives: ${why}`)
            return yield* Effect.ignore(connection.write([Negotiation.rejection(negotiation, alternatives)]))
          }
          const settled = yield* HandshakeFlow.incoming(connection, negotiation, instanceId, config.handshakeTimeout)
          yield* controller.attach({
            connection,
            protocol: settled.protocol,
            handshake: settled.handshake,
            endpoint: Endpoint.unsafeMake(ip, settled.handshake.listenPort),
            incoming: true
          })
        }).pipe(
          Effect.catchTag("HandshakeError", (e) => Effect.logDebug(`incoming handshake failed: ${e.message}`)),
          Effect.annotateLogs({ remote: `${connection.remote.host}:${connection.remote.port}` })
        )

      const server = yield* transport.listen(
        { host: config.bindIp || "0.0.0.0", port: Number(config.listenPort) },
        handler
      )
      // listenPort 0: announce the port actually bound
      negotiation.listenPort = String(server.address.port)
      yield* Effect.logDebug(`listening on ${server.address.host}:${server.address.port}`)
      return Listener.of({ address: server.address })
    })
  )
}
