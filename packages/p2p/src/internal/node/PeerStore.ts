/**
 * The connected peers (Go: `PeerStore`): lookup by hash, counts per IP and
 * per endpoint, incoming/outgoing totals, and a random-order slice. Fibers
 * share it without locks: every method is synchronous and completes between
 * two yields.
 *
 * @since 0.1.0
 */
import { Context, Deferred, Effect, Layer, Random } from "effect"
import * as Endpoint from "../../Endpoint.ts"
import type { Peer } from "../peer/Peer.ts"

/**
 * @since 0.1.0
 */
export class Store {
  private readonly peers = new Map<string, Peer>()
  private readonly counts = new Map<string, number>()
  private slice: ReadonlyArray<Peer> | undefined
  incoming = 0
  outgoing = 0
  private change: Deferred.Deferred<void> | undefined

  /**
   * Adds a peer. A peer with the same hash is replaced: it is returned so the
   * caller can stop it (Go's `manageOnline`).
   */
  add(peer: Peer): Peer | undefined {
    const old = this.peers.get(peer.hash)
    if (old !== undefined) this.remove(old)
    this.peers.set(peer.hash, peer)
    this.bump(peer.endpoint.ip, 1)
    this.bump(Endpoint.format(peer.endpoint), 1)
    if (peer.incoming) this.incoming++
    else this.outgoing++
    this.changed()
    return old
  }

  /** Removes this very peer (not a newer one with the same hash). */
  remove(peer: Peer): void {
    if (this.peers.get(peer.hash) !== peer) return
    this.peers.delete(peer.hash)
    this.bump(peer.endpoint.ip, -1)
    this.bump(Endpoint.format(peer.endpoint), -1)
    if (peer.incoming) this.incoming--
    else this.outgoing--
    this.changed()
  }

  /** Completes at the next add or remove (so loops can wait instead of polling). */
  readonly nextChange: Effect.Effect<void> = Effect.suspend(() => {
    this.change ??= Deferred.makeUnsafe<void>()
    return Deferred.await(this.change)
  })

  private changed(): void {
    this.slice = undefined
    if (this.change !== undefined) {
      Deferred.doneUnsafe(this.change, Effect.void)
      this.change = undefined
    }
  }

  get(hash: string): Peer | undefined {
    return this.peers.get(hash)
  }

  get total(): number {
    return this.peers.size
  }

  /** Connections from an IP, or to an `ip:port` endpoint. */
  count(address: string): number {
    return this.counts.get(address) ?? 0
  }

  /** Whether a peer at this endpoint is connected. */
  connected(ep: { readonly ip: string; readonly port: string }): boolean {
    return this.count(Endpoint.format(ep)) > 0
  }

  /** Every peer (a cached array; do not modify). */
  all(): ReadonlyArray<Peer> {
    this.slice ??= Array.from(this.peers.values())
    return this.slice
  }

  /** Every peer in random order (Go: `Slice`, whose map order is random). */
  shuffled(): Effect.Effect<Array<Peer>> {
    return Random.shuffle(this.all())
  }

  private bump(key: string, by: number): void {
    const n = (this.counts.get(key) ?? 0) + by
    if (n <= 0) this.counts.delete(key)
    else this.counts.set(key, n)
  }
}

/**
 * The node's peer store as a service.
 *
 * @since 0.1.0
 */
export class PeerStore extends Context.Service<PeerStore, Store>()("@catp2p/p2p/PeerStore") {
  static readonly layer: Layer.Layer<PeerStore> = Layer.effect(
    PeerStore,
    Effect.sync(() => new Store())
  )
}
