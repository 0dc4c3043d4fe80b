/**
 * Which established incoming peer a full node gives up for a newcomer, after
 * Bitcoin Core's `SelectNodeToEvict`, adapted to what a catp2p node knows.
 *
 * From the candidates (incoming, not special, connected for at least
 * `EVICT_MIN_AGE_MS`, or for `EVICT_IDLE_AGE_MS` without doing anything
 * useful, see `isCandidate`; peers we
 * dialed are never candidates), protect:
 *
 * 1. one peer from each of 4 distinct network groups (IPv4 /16, IPv6 /32),
 *    chosen by a per-node secret key so an attacker cannot predict which
 *    groups are safe: an attacker with many addresses in few groups cannot
 *    push out the peers of every other group;
 * 2. the 8 peers that were most recently useful: they sent an application
 *    parcel (they relay the gossip the application wants) or answered our
 *    Peer-Request;
 * 3. the older half of the rest (longevity: an attacker must stay connected
 *    longer than honest peers, which costs it slots for that long).
 *
 * From what is left, take the network group with the most candidates (ties:
 * the group whose newest member is youngest) and evict one of its peers: the
 * most crowded group pays, as the Listener's per-IP rule already did. The
 * Listener passes `random` and evicts a random member of that group; without
 * it, `select` takes the youngest (Bitcoin's rule). Random, because in a
 * network that is filling up the youngest candidate is usually the newcomer
 * admitted a moment ago, and evicting it makes newcomers push each other
 * out: in a 1,000-node simulation from one seed, "youngest" left nodes
 * stranded below `minReseed` for minutes, while "random" converged in 30
 * simulated seconds. The protected sets above already keep the old, useful
 * and diverse peers, so a random pick only ever costs a peer from the
 * younger half of the most crowded group.
 *
 * Bitcoin also protects the lowest ping; catp2p does not measure round trips
 * (a Pong is not matched to its Ping), so it relies on usefulness and age.
 * With nobody left after protection, the newcomer is rejected with
 * alternatives instead.
 *
 * @since 0.1.0
 */
import { isIPv4, isIPv6 } from "node:net"

/**
 * What eviction needs to know about a peer.
 *
 * @since 0.1.0
 */
export interface Candidate {
  readonly endpoint: { readonly ip: string }
  /** Clock ms it connected. */
  readonly connected: number
  /** Clock ms of its last application parcel; 0 if none. */
  readonly lastApplication: number
  /** Clock ms of its last answer to our Peer-Request; 0 (or absent) if none. */
  readonly lastPeerShare?: number
}

/**
 * How long a useful incoming peer is protected from eviction: long enough
 * for a newcomer to finish its handshake and start its own dials and peer
 * requests. It was 20 s; with the protected sets below (network groups,
 * useful peers, the older half) a short age is safe, and it lets a network
 * that starts from one seed fill up 5x faster (1,000 simulated nodes:
 * 170 s → 30 s of simulated time). A peer that has done nothing useful since
 * its handshake is protected only for `EVICT_IDLE_AGE_MS`: otherwise
 * connections that complete a valid handshake and idle could hold every slot
 * against honest newcomers.
 *
 * @since 0.1.0
 */
export const EVICT_MIN_AGE_MS = 2_000

/**
 * How long a peer that has done nothing useful since its handshake is
 * protected from eviction: a moment, so that newcomers arriving at the same
 * instant (a network filling up, where nobody has sent anything yet) do not
 * push each other out, yet far shorter than `EVICT_MIN_AGE_MS`: to hold
 * every slot against honest newcomers, connections that complete a valid
 * handshake and idle would have to arrive faster than `maxIncoming` per
 * this long, each from an IP of its own.
 *
 * @since 0.1.0
 */
export const EVICT_IDLE_AGE_MS = 250

/**
 * Clock ms the peer was last useful to us (an application parcel, or an
 * answer to our Peer-Request); 0 if never.
 *
 * @since 0.1.0
 */
export const lastUseful = (c: Candidate): number => Math.max(c.lastApplication, c.lastPeerShare ?? 0)

/**
 * Whether an incoming, non-special peer may be considered for eviction at
 * `now`: it has been connected for `EVICT_MIN_AGE_MS`, or for
 * `EVICT_IDLE_AGE_MS` without doing anything useful since its handshake.
 *
 * @since 0.1.0
 */
export const isCandidate = (c: Candidate, now: number): boolean => {
  const age = now - c.connected
  return age >= EVICT_MIN_AGE_MS || (age >= EVICT_IDLE_AGE_MS && lastUseful(c) === 0)
}

/**
 * Peers protected for their network group.
 *
 * @since 0.1.0
 */
export const PROTECT_GROUPS = 4

/**
 * Peers protected for their usefulness.
 *
 * @since 0.1.0
 */
export const PROTECT_USEFUL = 8

/** The eight 16-bit groups of an IPv6 address (zone dropped, a dotted IPv4 tail as two groups). */
const expandV6 = (ip: string): Array<number> => {
  const zone = ip.indexOf("%")
  let addr = zone >= 0 ? ip.slice(0, zone) : ip
  const lastColon = addr.lastIndexOf(":")
  const tail = addr.slice(lastColon + 1)
  if (isIPv4(tail)) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split(".").map(Number)
    addr = `${addr.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = "", rest] = addr.split("::")
  const a = head === "" ? [] : head.split(":")
  const b = rest === undefined || rest === "" ? [] : rest.split(":")
  const fill = rest === undefined ? [] : Array<string>(Math.max(0, 8 - a.length - b.length)).fill("0")
  return [...a, ...fill, ...b].map((h) => Number.parseInt(h, 16) || 0)
}

/**
 * The network group of an IP: its /16 for IPv4, its /32 for IPv6 (as
 * Bitcoin Core's `GetGroup` for IPv6: the size of a typical allocation to
 * one provider, which a single party is likely to control, while a /48 or
 * /64 is cheap to get many of). An IPv4-mapped (`::ffff:a.b.c.d`) or
 * IPv4-compatible (`::a.b.c.d`) address is its IPv4 /16; a zone
 * (`%eth0`) is ignored. Not an IP: the string itself.
 *
 * @since 0.1.0
 */
export const netGroup = (ip: string): string => {
  if (isIPv4(ip)) return ip.split(".").slice(0, 2).join(".")
  if (!isIPv6(ip)) return ip
  const g = expandV6(ip)
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && (g[5] === 0xffff || g[5] === 0)) {
    const v4 = [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff]
    // `::` and `::1` stay IPv6
    if (g[5] === 0xffff || v4[0] !== 0) return `${v4[0]}.${v4[1]}`
  }
  return `${g[0]!.toString(16)}:${g[1]!.toString(16)}`
}

/** FNV-1a of the group under `key`: a secret, per-node order of groups. */
const keyed = (key: number, group: string): number => {
  let h = (0x811c9dc5 ^ key) >>> 0
  for (let i = 0; i < group.length; i++) {
    h ^= group.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/**
 * The peer to evict, or `undefined` when every candidate is protected.
 * `random` (in [0, 1)) picks within the most crowded group; without it, its
 * youngest member is taken.
 * `key` is the node's secret (random at start) that orders network groups.
 *
 * @since 0.1.0
 */
export const select = <C extends Candidate>(
  candidates: ReadonlyArray<C>,
  key: number,
  random?: number
): C | undefined => {
  const groups = new Map<C, string>()
  for (const c of candidates) groups.set(c, netGroup(c.endpoint.ip))
  let rest = candidates.slice()
  // 1. one peer from each of PROTECT_GROUPS distinct groups, in keyed order
  const byKey = rest
    .map((c) => ({ c, k: keyed(key, groups.get(c)!) }))
    .sort((a, b) => b.k - a.k || a.c.connected - b.c.connected)
  const seen = new Set<string>()
  const protectedSet = new Set<C>()
  for (const { c } of byKey) {
    if (seen.size >= PROTECT_GROUPS) break
    const g = groups.get(c)!
    if (seen.has(g)) continue
    seen.add(g)
    protectedSet.add(c)
  }
  rest = rest.filter((c) => !protectedSet.has(c))
  // 2. the most recently useful
  const useful = rest
    .filter((c) => lastUseful(c) > 0)
    .sort((a, b) => lastUseful(b) - lastUseful(a))
    .slice(0, PROTECT_USEFUL)
  const usefulSet = new Set(useful)
  rest = rest.filter((c) => !usefulSet.has(c))
  // 3. the older half
  rest.sort((a, b) => a.connected - b.connected)
  rest = rest.slice(Math.floor(rest.length / 2))
  if (rest.length === 0) return undefined
  // the most crowded group (ties: the youngest newest member) loses its youngest
  const members = new Map<string, Array<C>>()
  for (const c of rest) {
    const g = groups.get(c)!
    const list = members.get(g)
    if (list === undefined) members.set(g, [c])
    else list.push(c)
  }
  let pick: Array<C> | undefined
  let pickYoungest = Number.NEGATIVE_INFINITY
  for (const list of members.values()) {
    const youngest = Math.max(...list.map((c) => c.connected))
    if (pick === undefined || list.length > pick.length || (list.length === pick.length && youngest > pickYoungest)) {
      pick = list
      pickYoungest = youngest
    }
  }
  if (pick === undefined) return undefined
  if (random !== undefined) return pick[Math.min(pick.length - 1, Math.floor(random * pick.length))]
  return pick.reduce((a, b) => (b.connected > a.connected ? b : a))
}
