/**
 * The read-only {@link PeerInfo} an application gets for a live `Peer`: one
 * view per peer, made on first use.
 *
 * @since 0.1.0
 */
import { Deferred, Effect } from "effect"
import type { PeerInfo } from "../../PeerInfo.ts"
import type { Peer } from "./Peer.ts"

const views = new WeakMap<Peer, PeerInfo>()

/**
 * The application's view of `peer`.
 *
 * @since 0.1.0
 */
export const view = (peer: Peer): PeerInfo => {
  let info = views.get(peer)
  if (info === undefined) {
    info = {
      hash: peer.hash,
      endpoint: peer.endpoint,
      nodeId: peer.nodeId,
      incoming: peer.incoming,
      version: peer.protocol.version,
      connected: peer.connected,
      metrics: Effect.sync(() => peer.metrics()),
      closed: Deferred.await(peer.closed),
      closedYet: Effect.flatMap(Deferred.poll(peer.closed), Effect.transposeOption)
    }
    views.set(peer, info)
  }
  return info
}
