/**
 * Banned addresses (Go: `controller.bans`): an IP or an endpoint, each until
 * a Clock time. The Listener refuses banned IPs, the Dialer skips banned
 * endpoints; `PeerCache` saves them.
 *
 * Keys are Go's strings: an IP as written, an endpoint as Go's
 * `Endpoint.String` (`Endpoint.formatGo`: `1.2.3.4:8108`, and for IPv6
 * `::1:8108`, without brackets), so a peer file is read the same by Go and
 * catp2p. Like Go, a key is matched as a string and never parsed: an
 * endpoint `ip:port` is banned when its IP or its `formatGo` is a key. (So
 * `::1:8108` bans the endpoint `::1` port 8108 and, for an incoming
 * connection, the IPv6 address `::1:8108`, as in Go.)
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import * as Endpoint from "../../Endpoint.ts"

/**
 * @since 0.1.0
 */
export class BanList {
  /** address → Clock ms at which the ban ends. */
  readonly entries = new Map<string, number>()

  /** Bans `address` (an IP or `Endpoint.formatGo`) until `until`, keeping a longer existing ban. */
  ban(address: string, until: number): void {
    const existing = this.entries.get(address)
    if (existing === undefined || existing < until) this.entries.set(address, until)
  }

  /** Whether `address` is banned at `now` (expired entries are dropped). */
  isBanned(address: string, now: number): boolean {
    const until = this.entries.get(address)
    if (until === undefined) return false
    if (until > now) return true
    this.entries.delete(address)
    return false
  }

  /** Bans the endpoint (Go: `banEndpoint`, keyed by `Endpoint.formatGo`) until `until`. */
  banEndpoint(ep: { readonly ip: string; readonly port: string }, until: number): void {
    this.ban(Endpoint.formatGo(ep), until)
  }

  /** Whether the endpoint or its whole IP is banned (Go: `isBannedEndpoint`). */
  isBannedEndpoint(ep: { readonly ip: string; readonly port: string }, now: number): boolean {
    return this.isBanned(ep.ip, now) || this.isBanned(Endpoint.formatGo(ep), now)
  }
}

/**
 * @since 0.1.0
 */
export class Bans extends Context.Service<Bans, BanList>()("@catp2p/p2p/Bans") {
  static readonly layer: Layer.Layer<Bans> = Layer.effect(
    Bans,
    Effect.sync(() => new BanList())
  )
}
