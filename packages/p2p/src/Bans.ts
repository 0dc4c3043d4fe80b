/**
 * Banned addresses (Go: `controller.bans`): an IP or an `ip:port` endpoint,
 * each until a Clock time. The Listener refuses banned IPs, the Dialer
 * skips banned endpoints. (Persistence in the peer file comes with CAT
 * peering.)
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import * as Endpoint from "./Endpoint.ts"

/**
 * @since 0.1.0
 */
export class BanList {
  /** address → Clock ms at which the ban ends. */
  readonly entries = new Map<string, number>()

  /** Bans `address` (an IP or `ip:port`) until `until`, keeping a longer existing ban. */
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

  /** Whether the endpoint or its whole IP is banned. */
  isBannedEndpoint(ep: { readonly ip: string; readonly port: string }, now: number): boolean {
    return this.isBanned(ep.ip, now) || this.isBanned(Endpoint.format(ep), now)
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
