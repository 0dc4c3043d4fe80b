/**
 * The admission question of the `Listener`, answered in one place: may this
 * incoming connection (or, once its hello is read, this newcomer) become a
 * peer, and at whose cost?
 *
 * `decide` is pure: the Listener gathers the facts (the rate limit's verdict,
 * bans, discouragement, handshakes in progress, peers per IP, whether the
 * node is full and whether someone could be evicted) and acts on the
 * decision. Every path goes through it, at both stages:
 *
 * - `"connect"`, when the connection is accepted, before anything is read;
 * - `"hello"`, once the newcomer's hello is read, before we reply: the rules
 *   are checked again (a ban, a discouragement or the IP's other peers may
 *   have arrived meanwhile), and only here does eviction make room.
 *
 * The rules, in order; the first that refuses decides:
 *
 * 1. `Rate`: over the per-IP connection rate (not special): closed without a
 *    word, so a hammering IP costs nothing more than the accept;
 * 2. `Banned`: a rejection with alternatives, as Go answers (`allowIncoming`),
 *    within the rate limit above;
 * 3. `Discouraged` (it sent invalid data; not special): closed at once;
 *
 * special IPs are exempt from every rule below;
 *
 * 4. `PendingPerIp`: `maxPendingHandshakesPerIp` handshakes in progress from
 *    this IP (connect stage only);
 * 5. `Pending`: `maxPendingHandshakes` in progress in all and none of them
 *    still waiting for its hello (connect stage only); otherwise the oldest
 *    handshake without a complete hello is ended for the newcomer, whatever
 *    its age (`Displace`): an honest hello arrives in a round trip;
 * 6. `PerIp`: the IP has `peerIpLimitIncoming` peers (or newcomers admitted
 *    and not yet attached);
 * 7. `Full`: the node is full and nobody can be evicted; at the hello stage,
 *    with someone evictable, the decision is `Evict` (at the connect stage
 *    the newcomer goes on to its hello).
 *
 * Eviction is the last step, after every rule has passed: it can make room,
 * never admit what a rule refuses.
 *
 * @since 0.1.0
 */

/**
 * The admission rules, named as counters and logs name them.
 *
 * @since 0.1.0
 */
export type Rule = "Rate" | "Banned" | "Discouraged" | "PendingPerIp" | "Pending" | "PerIp" | "Full"

/**
 * When the question is asked: on accept, or once the newcomer's hello is read.
 *
 * @since 0.1.0
 */
export type Stage = "connect" | "hello"

/**
 * The limits `decide` applies (from the node's config).
 *
 * @since 0.1.0
 */
export interface Limits {
  readonly maxPendingHandshakes: number
  readonly maxPendingHandshakesPerIp: number
  /** 0: no per-IP limit. */
  readonly peerIpLimitIncoming: number
}

/**
 * What the Listener knows about the connection and the node when it asks.
 *
 * @since 0.1.0
 */
export interface Facts {
  readonly stage: Stage
  /** A special IP (trusted by configuration). */
  readonly special: boolean
  /** Over the per-IP connection rate (asked at the connect stage only). */
  readonly overRate: boolean
  readonly banned: boolean
  readonly discouraged: boolean
  /** Handshakes in progress from this IP, not counting this one. */
  readonly pendingFromIp: number
  /** Handshakes in progress in all, not counting this one. */
  readonly pending: number
  /** Some handshake in progress has not delivered its complete hello yet. */
  readonly displaceable: boolean
  /** Peers from this IP, with newcomers admitted and not yet attached. */
  readonly fromIp: number
  /** Why the node is full (`undefined`: it has room). */
  readonly full: string | undefined
  /** Some established peer could be evicted (see `Eviction`). */
  readonly evictable: boolean
}

/**
 * The answer. `Refuse` with `alternatives` is answered with a rejection that
 * offers other peers; without, the connection is closed without a word.
 *
 * @since 0.1.0
 */
export type Decision =
  | { readonly _tag: "Admit" }
  | { readonly _tag: "Displace" }
  | { readonly _tag: "Evict"; readonly why: string }
  | { readonly _tag: "Refuse"; readonly rule: Rule; readonly why: string; readonly alternatives: boolean }

const ADMIT: Decision = { _tag: "Admit" }
const DISPLACE: Decision = { _tag: "Displace" }

const refuse = (rule: Rule, why: string, alternatives = true): Decision => ({
  _tag: "Refuse",
  rule,
  why,
  alternatives
})

/**
 * The admission decision for `facts` under `limits` (see the module).
 *
 * @since 0.1.0
 */
export const decide = (limits: Limits, facts: Facts): Decision => {
  if (!facts.special && facts.overRate) return refuse("Rate", "connection rate limit for this IP", false)
  if (facts.banned) return refuse("Banned", "banned")
  if (!facts.special && facts.discouraged) {
    // at the hello stage the connection is already open: answer it in the settled protocol
    return refuse("Discouraged", "discouraged (it sent invalid data)", facts.stage === "hello")
  }
  if (facts.special) return ADMIT
  let displace = false
  if (facts.stage === "connect") {
    if (facts.pendingFromIp >= limits.maxPendingHandshakesPerIp) {
      return refuse(
        "PendingPerIp",
        `${facts.pendingFromIp} handshakes in progress from this IP (at most ${limits.maxPendingHandshakesPerIp})`
      )
    }
    if (facts.pending >= limits.maxPendingHandshakes) {
      if (!facts.displaceable) {
        return refuse(
          "Pending",
          `${facts.pending} handshakes in progress, all past their hello (at most ${limits.maxPendingHandshakes})`
        )
      }
      displace = true
    }
  }
  if (limits.peerIpLimitIncoming > 0 && facts.fromIp >= limits.peerIpLimitIncoming) {
    return refuse("PerIp", `per-IP limit of ${limits.peerIpLimitIncoming} reached`)
  }
  if (facts.full !== undefined) {
    if (!facts.evictable) return refuse("Full", facts.full)
    // room is made only for a complete hello, so half handshakes cannot push peers out
    if (facts.stage === "hello") return { _tag: "Evict", why: facts.full }
  }
  return displace ? DISPLACE : ADMIT
}
