/**
 * The peer file's format (Go: `PeerCache` in controller_persistence.go): the
 * known peers and the bans, as Go writes them. Same JSON as Go, compact:
 * `{"bans":{"<ip or ip:port>":"<RFC3339>"},"peers":[{"ip":"…","port":"…"}]}`,
 * ban keys as Go writes them (an IPv6 endpoint `::1:8108`, without brackets:
 * see `Bans`), so Go and catp2p nodes read each other's files. Ban times are
 * written in UTC with at most millisecond precision (Go: local time,
 * nanoseconds); invalid peers and bans are skipped on load instead of
 * accepted or failing the whole file; a file above 8 MiB and entries beyond
 * 10,000 peers / 10,000 bans are not read. Reading and writing the file is
 * `PeerCache`.
 *
 * @since 0.1.0
 */
import { Result, Schema } from "effect"
import * as Endpoint from "../../Endpoint.ts"

/**
 * Most peers read from or written to a peer file.
 *
 * @since 0.1.0
 */
export const MAX_PEERS = 10_000

/**
 * Most bans read from or written to a peer file.
 *
 * @since 0.1.0
 */
export const MAX_BANS = 10_000

/**
 * Largest peer file read; a larger one is `Corrupt`.
 *
 * @since 0.1.0
 */
export const MAX_FILE_BYTES = 8 * 1024 * 1024

/**
 * Peers and bans as saved: each ban (an IP or `ip:port`) until a Clock time in ms.
 *
 * @since 0.1.0
 */
export interface PeerFile {
  readonly bans: ReadonlyMap<string, number>
  readonly peers: ReadonlyArray<Endpoint.Endpoint>
}

/**
 * A decoded peer file with what was left out: entries that are not a valid
 * endpoint / ban, bans already expired, and entries beyond the caps.
 *
 * @since 0.1.0
 */
export interface DecodedPeerFile extends PeerFile {
  readonly skipped: {
    readonly invalidPeers: number
    readonly invalidBans: number
    readonly expiredBans: number
    readonly overCap: number
  }
}

/**
 * The file's JSON as Go writes it (`PeerCache`): the contract of {@link encode}.
 *
 * @since 0.1.0
 */
export const PeerFileJson = Schema.Struct({
  bans: Schema.Record(Schema.String, Schema.String),
  peers: Schema.Array(Schema.Struct({ ip: Schema.String, port: Schema.String }))
})

/**
 * Why the peer file could not be used: reading it failed, its content is
 * not a peer file, or writing it failed.
 *
 * @since 0.1.0
 */
export class PeerCacheError extends Schema.TaggedError<PeerCacheError>()("PeerCacheError", {
  path: Schema.String,
  reason: Schema.Literals(["Unreadable", "Corrupt", "Unwritable"]),
  message: Schema.String
}) {}

const MIN_TIME = -62167219200000 // 0000-01-01T00:00:00Z
const MAX_TIME = 253402300799999 // 9999-12-31T23:59:59.999Z: Go cannot write years past 9999

/**
 * Formats a Clock time (ms) as Go's `time.RFC3339Nano` in UTC: fraction
 * without trailing zeros, none when whole seconds (`2099-01-02T03:04:05.12Z`).
 * Clamped to years 0000..9999, all Go can read or write.
 *
 * @since 0.1.0
 */
export const formatTime = (ms: number): string => {
  const iso = new Date(Math.min(MAX_TIME, Math.max(MIN_TIME, Math.trunc(ms)))).toISOString()
  return iso.replace(/\.?0*Z$/, "Z")
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,30}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/

/**
 * Parses an RFC 3339 time as Go's JSON does (any fraction, `Z` or an
 * offset such as `+02:00`) to Clock ms; digits below the millisecond are
 * dropped. `undefined` when it is not a valid time.
 *
 * @since 0.1.0
 */
export const parseTime = (text: string): number | undefined => {
  const m = RFC3339.exec(text)
  if (m === null) return undefined
  const [y, mo, d, h, mi, s, fraction, sign, oh, om] = m.slice(1)
  const date = new Date(0)
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d))
  if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) return undefined
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(oh ?? 0) > 23 || Number(om ?? 0) > 59)
    return undefined
  const offset = (sign === "-" ? -1 : 1) * (Number(oh ?? 0) * 60 + Number(om ?? 0))
  const millis = Number((fraction ?? "").slice(0, 3).padEnd(3, "0"))
  return date.getTime() + ((Number(h) * 60 + Number(mi) - offset) * 60 + Number(s)) * 1000 + millis
}

/**
 * Encodes a peer file as Go's compact JSON: bans sorted by key (as Go's
 * `json.Marshal` orders a map), times in UTC (see `formatTime`), peers in
 * order. With `now`, bans ending at or before it are left out. At most
 * {@link MAX_BANS} bans and {@link MAX_PEERS} peers are written.
 *
 * @since 0.1.0
 */
export const encode = (file: PeerFile, options: { readonly now?: number | undefined } = {}): string => {
  const bans: Array<readonly [string, number]> = []
  for (const [address, until] of file.bans) {
    if (bans.length >= MAX_BANS) break
    if (Number.isNaN(until) || (options.now !== undefined && until <= options.now)) continue
    bans.push([address, until])
  }
  bans.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const banText = bans.map(([address, until]) => `${JSON.stringify(address)}:"${formatTime(until)}"`)
  const peerText = file.peers
    .slice(0, MAX_PEERS)
    .map((p) => `{"ip":${JSON.stringify(p.ip)},"port":${JSON.stringify(p.port)}}`)
  return `{"bans":{${banText.join(",")}},"peers":[${peerText.join(",")}]}`
}

const parseJson = Schema.decodeUnknownResult(Schema.fromJsonString(Schema.Unknown))

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Go's `encoding/json` matches field names exactly first, then case-insensitively. */
const field = (object: Record<string, unknown>, name: string): unknown => {
  if (Object.hasOwn(object, name)) return object[name]
  const key = Object.keys(object).find((k) => k.toLowerCase() === name)
  return key === undefined ? undefined : object[key]
}

/**
 * The key of a ban as kept: an IP (or host) or Go's `ip:port`
 * (`Endpoint.formatGo`; for IPv6 `::1:8108`, which, with a full address,
 * is no IP: `1:2:3:4:5:6:7:8:8108`); an `[ipv6]:port` key (written by
 * catp2p before it wrote Go's form) becomes Go's form. `undefined` when the
 * key is none of these.
 */
const banKey = (key: string): string | undefined => {
  if (key.startsWith("[")) {
    const ep = Endpoint.parse(key)
    return Result.isSuccess(ep) ? Endpoint.formatGo(ep.success) : undefined
  }
  if (Endpoint.isValidHost(key)) return key
  const colon = key.lastIndexOf(":")
  return colon > 0 && Endpoint.isValid({ ip: key.slice(0, colon), port: key.slice(colon + 1) }) ? key : undefined
}

/**
 * Decodes a peer file's text. Fails (`Corrupt`) when it is not JSON, not an
 * object, or `bans` / `peers` are not an object / array (null or missing
 * means none, as in Go). Peers that are not valid endpoints and bans whose
 * key is not an IP or endpoint, or whose time is not RFC 3339, are skipped
 * and counted; with `now`, expired bans too. `path` only names the file in errors.
 *
 * @since 0.1.0
 */
export const decode = (
  text: string,
  options: { readonly now?: number | undefined; readonly path?: string | undefined } = {}
): Result.Result<DecodedPeerFile, PeerCacheError> => {
  const corrupt = (message: string) =>
    Result.fail(new PeerCacheError({ path: options.path ?? "", reason: "Corrupt", message }))
  if (text.length > MAX_FILE_BYTES) return corrupt(`larger than ${MAX_FILE_BYTES} bytes`)
  const parsed = parseJson(text)
  if (Result.isFailure(parsed)) return corrupt(`not JSON: ${parsed.failure.message}`)
  const json = parsed.success
  if (!isRecord(json)) return corrupt("not a JSON object")
  const rawBans = field(json, "bans") ?? {}
  const rawPeers = field(json, "peers") ?? []
  if (!isRecord(rawBans)) return corrupt('"bans" is not an object')
  if (!Array.isArray(rawPeers)) return corrupt('"peers" is not an array')

  const skipped = { invalidPeers: 0, invalidBans: 0, expiredBans: 0, overCap: 0 }
  const bans = new Map<string, number>()
  for (const [key, value] of Object.entries(rawBans)) {
    if (bans.size >= MAX_BANS) {
      skipped.overCap++
      continue
    }
    const address = banKey(key)
    const until = typeof value === "string" && address !== undefined ? parseTime(value) : undefined
    if (address === undefined || until === undefined) skipped.invalidBans++
    else if (options.now !== undefined && until <= options.now) skipped.expiredBans++
    else bans.set(address, Math.max(until, bans.get(address) ?? until))
  }
  const peers: Array<Endpoint.Endpoint> = []
  for (const entry of rawPeers) {
    if (peers.length >= MAX_PEERS) {
      skipped.overCap += rawPeers.length - MAX_PEERS
      break
    }
    const ip = isRecord(entry) ? field(entry, "ip") : undefined
    const port = isRecord(entry) ? field(entry, "port") : undefined
    if (typeof ip === "string" && typeof port === "string" && Endpoint.isValid({ ip, port })) {
      peers.push(Endpoint.unsafeMake(ip, port))
    } else skipped.invalidPeers++
  }
  return Result.succeed({ bans, peers, skipped })
}

