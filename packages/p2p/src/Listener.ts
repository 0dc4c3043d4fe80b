/**
 * Accepts connections on `bindIp:listenPort` (Go: `controller.listen` +
 * `LimitedListener` + `handshakeIncoming`):
 *
 * 1. an IP that connected less than `listenLimit` ago is closed at once;
 * 2. a banned IP is closed at once, without alternatives;
 * 3. when the node is full (`maxPeers` connections, `maxIncoming` incoming)
 *    or the IP has `peerIpLimitIncoming` connections, the connection gets a
 *    rejection in our protocol right away, offering up to `peerShareAmount`
 *    random connected peers (never one at the refused IP), then is closed;
 *    special IPs are exempt from 1 and 3;
 * 4. otherwise the incoming handshake runs under `handshakeTimeout` and the
 *    connection becomes a peer whose endpoint is the remote IP and the
 *    handshake's listen port.
 *
 * Go counts `MaxIncoming` against all connections; catp2p caps incoming
 * connections at `maxIncoming` and all connections at `maxPeers`.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"
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
      const lastAccept = new Map<string, number>()

      const recentlyConnected = (ip: string, now: number): boolean => {
        if (listenLimit <= 0) return false
        if (lastAccept.size > 4096) {
          for (const [k, t] of lastAccept) if (now - t >= listenLimit) lastAccept.delete(k)
        }
        const last = lastAccept.get(ip)
        lastAccept.set(ip, now)
        return last !== undefined && now - last < listenLimit
      }

      const full = (ip: string): string | undefined => {
        if (store.total >= config.maxPeers) return `full: ${store.total} of ${config.maxPeers} connections`
        if (store.incoming >= config.maxIncoming) return `full: ${store.incoming} of ${config.maxIncoming} incoming`
        if (config.peerIpLimitIncoming > 0 && store.count(ip) >= config.peerIpLimitIncoming) {
          return `per-IP limit of ${config.peerIpLimitIncoming} reached`
        }
        return undefined
      }

      const handler = (connection: Connection) =>
        Effect.gen(function* () {
          const ip = connection.remote.host
          const now = yield* Clock.currentTimeMillis
          const special = specials.isSpecialIp(ip)
          if (!special && recentlyConnected(ip, now)) {
            controller.counters.refused++
            return yield* Effect.logDebug("refused: connected again within the listen limit")
          }
          if (bans.isBanned(ip, now)) {
            controller.counters.refused++
            return yield* Effect.logDebug("refused: banned")
          }
          const why = special ? undefined : full(ip)
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
