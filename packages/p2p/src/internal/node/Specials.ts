/**
 * The special peers (config `special`, `Network.setSpecial`): always dialed
 * and redialed, never dropped by a CAT round, exempt from incoming limits,
 * included in every broadcast. An entry is an `ip:port` endpoint or a whole
 * IP; like Go, an endpoint entry also makes its IP special for the incoming
 * limits.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Result } from "effect"
import * as Config from "../../Config.ts"
import * as Endpoint from "../../Endpoint.ts"
import { SpecialIp, type SpecialPeer } from "../config/Text.ts"

/**
 * @since 0.1.0
 */
export class SpecialSet {
  private endpoints = new Set<string>()
  private wholeIps = new Set<string>()
  private ips = new Set<string>()
  /** The endpoint entries, to dial. */
  dialable: ReadonlyArray<Endpoint.Endpoint> = []
  /** Bumped by every `set`, so answers about a peer can be cached until the list changes. */
  version = 0

  constructor(entries: ReadonlyArray<SpecialPeer>) {
    this.set(entries)
  }

  /** Replaces the list. */
  set(entries: ReadonlyArray<SpecialPeer>): void {
    this.version++
    this.endpoints = new Set()
    this.wholeIps = new Set()
    this.ips = new Set()
    const dialable: Array<Endpoint.Endpoint> = []
    for (const entry of entries) {
      if (entry instanceof SpecialIp) {
        this.wholeIps.add(entry.ip)
      } else {
        this.endpoints.add(Endpoint.format(entry))
        dialable.push(entry)
      }
      this.ips.add(entry.ip)
    }
    this.dialable = dialable
  }

  /** Whether a peer at this endpoint is special (routing, rounds). */
  isSpecial(ep: { readonly ip: string; readonly port: string }): boolean {
    return this.wholeIps.has(ep.ip) || this.endpoints.has(Endpoint.format(ep))
  }

  /**
   * `isSpecial` for one endpoint, cached until the list changes: routing asks
   * it for every peer on every broadcast.
   */
  cachedFor(ep: { readonly ip: string; readonly port: string }): () => boolean {
    let version = -1
    let special = false
    return () => {
      if (version !== this.version) {
        special = this.isSpecial(ep)
        version = this.version
      }
      return special
    }
  }

  /** Whether connections from this IP are exempt from incoming limits. */
  isSpecialIp(ip: string): boolean {
    return this.ips.has(ip)
  }
}

/**
 * Parses a `setSpecial` string: entries separated by `,` or `;`.
 *
 * @since 0.1.0
 */
export const parse = (raw: string): Result.Result<ReadonlyArray<SpecialPeer>, Config.ConfigError> =>
  Config.parseSpecial(raw)

/**
 * @since 0.1.0
 */
export class Specials extends Context.Service<Specials, SpecialSet>()("@catp2p/p2p/Specials") {
  static readonly layer = (entries: ReadonlyArray<SpecialPeer>): Layer.Layer<Specials> =>
    Layer.effect(
      Specials,
      Effect.sync(() => new SpecialSet(entries))
    )
}
