/**
 * The configuration of a p2p node: every setting of Go's `Configuration`
 * (factom-p2p `configuration.go`), the defaults of `DefaultP2PConfiguration`,
 * Go's `Sanitize` and `Check`, and the checks Go leaves out.
 *
 * The encoded form (JSON, config files, flags, environment variables)
 * accepts text for every field (see `ConfigText`): durations as `"15m"`,
 * `"5s"`, `"1h30m"`, `"15 minutes"` or milliseconds; the network as `MainNet`,
 * `custom:<name>`, a uint32 or `0x`-hex; `special` as a list of peers.
 *
 * Beyond Go's `Check`: listenPort in 1..65535 (or 0: any free port, and the
 * handshake announces the port actually bound); protocolVersionMinimum <=
 * protocolVersion; targetPeers, maxIncoming, dropTo <= maxPeers; minReseed <=
 * targetPeers; with the resend filter on, buckets >= 1 and interval > 0 (Go
 * panics otherwise); seedUrl empty, http(s)/file URL or path; bindIp empty
 * or an IP (IPv6 bare or in brackets).
 *
 * Beyond Go's fields, catp2p's protections against hostile peers (see
 * RELIABILITY.md), after Go's fields: `inputBudget`, `frameProgressRate`,
 * `frameProgressWindow`, `maxPendingHandshakes`, `maxPendingHandshakesPerIp`,
 * `discourageTime`. Their Go names in {@link fields} are what Go would call them.
 *
 * @since 0.1.0
 */
import { isIP } from "node:net"
import { Duration, Effect, Result, Schema, SchemaIssue, Struct } from "effect"
import * as Text from "./ConfigText.ts"
import * as Endpoint from "./Endpoint.ts"
import * as NetworkId from "./NetworkId.ts"

/**
 * A configuration value that is not usable: the field (camelCase, as in
 * {@link Config}; `"config"` when the input is not an object) and the reason.
 *
 * @since 0.1.0
 */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  field: Schema.String,
  message: Schema.String
}) {}

const show = (u: unknown): string => (typeof u === "string" ? JSON.stringify(u) : String(u))

/**
 * Entries of `special`: a whole IP ({@link SpecialIp}) or an `Endpoint`.
 *
 * @since 0.1.0
 */
export { SpecialIp, SpecialPeer } from "./ConfigText.ts"

/**
 * Parses special peers (see `ConfigText.parseSpecial`); a bad entry fails
 * with a {@link ConfigError} for field `"special"`.
 *
 * @since 0.1.0
 */
export const parseSpecial = (raw: string): Result.Result<ReadonlyArray<Text.SpecialPeer>, ConfigError> =>
  Result.mapError(Text.parseSpecial(raw), (message) => new ConfigError({ field: "special", message }))

const Count = Text.CountFromText
const Dur = Text.DurationFromText

/**
 * The configuration schema, fields in Go's order. Decoded type {@link Config},
 * encoded type {@link Encoded}. See {@link fields} for the same documentation as data.
 *
 * @since 0.1.0
 */
export const Config = Schema.Struct({
  /** Network to join; nodes only talk to nodes of the same network. Go `Network`, default `MainNet`. */
  network: Text.NetworkFromText,
  /** Id of this node, sent in handshakes; 0 = derive from `nodeName` ({@link nodeIdOf}). Go `NodeID`, default `0`. */
  nodeId: Count.check(Schema.isLessThanOrEqualTo(0xffffffff)),
  /** Internal name of the node (logs; source of the id when `nodeId` is 0). Go `NodeName`, default `"FNode0"`. */
  nodeName: Schema.String,
  /** How often a neighbour may be asked for a fresh peer list. Go `PeerRequestInterval`, default 5 s. */
  peerRequestInterval: Dur,
  /** How often (and how long cached) the seed list is re-read. Go `PeerReseedInterval`, default 4 h. */
  peerReseedInterval: Dur,
  /** Max incoming connections from one IP; 0 = unlimited. Go `PeerIPLimitIncoming`, default `0`. */
  peerIpLimitIncoming: Count,
  /** Max outgoing connections to one IP; 0 = unlimited (unused by Go). Go `PeerIPLimitOutgoing`, default `0`. */
  peerIpLimitOutgoing: Count,
  /** Peers always dialled, never dropped: `ip:port` or bare IP (all ports), `,`/`;`-separated (encoded as one string).
   * Go `Special`, default `""`. */
  special: Text.SpecialFromText,
  /** File the peers and bans are saved to every CAT round; empty = none. Go `PeerCacheFile`, default `""`. */
  peerCacheFile: Schema.String,
  /** Max age of the peer file to bootstrap from (unused by Go). Go `PeerCacheAge`, default 1 h. */
  peerCacheAge: Dur,
  /** Number of peers given to a peer that asks for a peer share. Go `PeerShareAmount`, default `3`. */
  peerShareAmount: Count,
  /** Max wait for the reply to a peer request. Go `PeerShareTimeout`, default 5 s. */
  peerShareTimeout: Dur,
  /** How often a CAT round runs (persist peers, drop down to `dropTo`). Go `RoundTime`, default 15 min. */
  roundTime: Dur,
  /** Desired number of connections; below it the node dials more. Go `TargetPeers`, default `32`. */
  targetPeers: Count,
  /** Hard cap of connections; `maxIncoming` and `dropTo` are capped at it. Go `MaxPeers`, default `36`. */
  maxPeers: Count,
  /** Connections a CAT round drops down to (special peers are kept). Go `DropTo`, default `30`. */
  dropTo: Count,
  /** With this many connections or fewer, peers come from the seed list. Go `MinReseed`, default `10`. */
  minReseed: Count,
  /** Refuse non-special incoming connections once this many peers are connected. Go `MaxIncoming`, default `36`. */
  maxIncoming: Count,
  /** Random non-special peers a broadcast goes to (plus all special peers). Go `Fanout`, default `8`. */
  fanout: Count,
  /** Seed list (`ip:port` lines): http(s) URL or file path; empty = none. Go `SeedURL`, default `""`. */
  seedUrl: Schema.String,
  /** Local IP to listen on and dial from; empty = all interfaces. Go `BindIP`, default `""`. */
  bindIp: Schema.String,
  /** TCP port to listen on, announced in handshakes (a string, as in Go). Go `ListenPort`, default `"8108"`. */
  listenPort: Text.StringFromText,
  /** After accepting a connection from an IP, refuse more from it for this long. Go `ListenLimit`, default 1 s. */
  listenLimit: Dur,
  /** Ping a connection silent (no writes) this long; checked every second. Go `PingInterval`, default 15 s. */
  pingInterval: Dur,
  /** Minimum time between two dials of the same endpoint. Go `RedialInterval`, default 2 min. */
  redialInterval: Dur,
  /** How long a manual ban lasts. Go `ManualBan`, default 7 days. */
  manualBan: Dur,
  /** Time limit for the handshake of a connection. Go `HandshakeTimeout`, default 5 s. */
  handshakeTimeout: Dur,
  /** Time limit for establishing an outgoing TCP connection. Go `DialTimeout`, default 5 s. */
  dialTimeout: Dur,
  /** Max time to read one parcel; slower connections are dropped. Go `ReadDeadline`, default 5 min. */
  readDeadline: Dur,
  /** Max time to send one parcel; slower connections are dropped. Go `WriteDeadline`, default 5 min. */
  writeDeadline: Dur,
  /** Protocol version this node speaks: 9, 10 or 11. Go `ProtocolVersion`, default `10`. */
  protocolVersion: Text.ProtocolFromText,
  /** Peers with an older protocol version are refused. Go `ProtocolVersionMinimum`, default `9`. */
  protocolVersionMinimum: Count.check(Schema.isLessThanOrEqualTo(0xffff)),
  /** Capacity of the send queue of each peer and of the application queues. Go `ChannelCapacity`, default `1000`. */
  channelCapacity: Count,
  /**
   * Register the Prometheus instruments (`Metrics`; the CLI's `--metrics`
   * needs it). Go `EnablePrometheus`, default `true`.
   */
  enablePrometheus: Text.BooleanFromText,
  /** Do not send a peer application parcels it sent us. Go `PeerResendFilter`, default `true`. */
  peerResendFilter: Text.BooleanFromText,
  /** Buckets the resend filter keeps (it covers buckets × interval). Go `PeerResendBuckets`, default `3`. */
  peerResendBuckets: Count,
  /** Width of one resend-filter bucket. Go `PeerResendInterval`, default 20 s. */
  peerResendInterval: Dur,
  /** Most bytes of unprocessed input (partial frames) buffered across all connections; past it the peers with
   * the largest partial frames are dropped first. catp2p only, default 256 MiB, at least 64 KiB. */
  inputBudget: Count,
  /** Bytes per second a peer must deliver while one of its frames is incomplete, measured over
   * `frameProgressWindow`; a slower (stalled) peer is closed. 0 = off. catp2p only, default `1024`. */
  frameProgressRate: Count,
  /** Window over which `frameProgressRate` is measured: a stalled frame is closed within about this long.
   * catp2p only, default 30 s. */
  frameProgressWindow: Dur,
  /** Most incoming handshakes in progress at once; more connections are rejected with alternatives.
   * catp2p only, default `32`. */
  maxPendingHandshakes: Count,
  /** Most incoming handshakes in progress at once from one IP. catp2p only, default `4`. */
  maxPendingHandshakesPerIp: Count,
  /** How long the address of a peer that sent invalid data is discouraged (refused by the Listener, not
   * dialed). 0 = off. catp2p only, default 1 h. */
  discourageTime: Dur
})

/**
 * A decoded configuration.
 *
 * @since 0.1.0
 */
export type Config = typeof Config.Type

/**
 * The encoded (JSON / config file) form of a configuration.
 *
 * @since 0.1.0
 */
export type Encoded = typeof Config.Encoded

/**
 * {@link Config} with every field optional: what {@link decode} reads.
 *
 * @since 0.1.0
 */
export const ConfigInput = Config.mapFields(Struct.map(Schema.optionalKey))

/**
 * What kind of value a field holds (for generated flags and docs).
 *
 * @since 0.1.0
 */
export type FieldKind = "network" | "integer" | "string" | "duration" | "special" | "port" | "protocol" | "boolean"

/**
 * Machine-readable description of one field, for CLIs and docs.
 *
 * @since 0.1.0
 */
export interface FieldInfo {
  readonly name: keyof Config
  readonly goName: string
  readonly kind: FieldKind
  /** The default in its encoded (text) form, e.g. `"15m"`, `"MainNet"`, `"8"`, `""`. */
  readonly default: string
  readonly description: string
}

type Row = readonly [goName: string, kind: FieldKind, defaultText: string, description: string]

// The single source of the defaults (Go's DefaultP2PConfiguration, code values) and of `fields`.
const TABLE: { readonly [K in keyof Config]: Row } = {
  network: ["Network", "network", "MainNet", "Network to join; nodes only talk to nodes of the same network"],
  nodeId: ["NodeID", "integer", "0", "Id of this node, sent in handshakes; 0 = derive from nodeName"],
  nodeName: ["NodeName", "string", "FNode0", "Internal name of the node (logs; source of the id when nodeId is 0)"],
  peerRequestInterval: ["PeerRequestInterval", "duration", "5s", "How often a neighbour may be asked for peers"],
  peerReseedInterval: ["PeerReseedInterval", "duration", "4h", "How often the seed list is re-read (its cache time)"],
  peerIpLimitIncoming: ["PeerIPLimitIncoming", "integer", "0", "Max incoming connections from one IP; 0 = unlimited"],
  peerIpLimitOutgoing: ["PeerIPLimitOutgoing", "integer", "0", "Max outgoing connections to one IP; 0 = unlimited"],
  special: ["Special", "special", "", "Peers always dialled, never dropped: ip:port or bare IP, comma-separated"],
  peerCacheFile: ["PeerCacheFile", "string", "", "File the peers and bans are saved to every CAT round; empty = none"],
  peerCacheAge: ["PeerCacheAge", "duration", "1h", "Max age of the peer file to bootstrap from"],
  peerShareAmount: ["PeerShareAmount", "integer", "3", "Number of peers given to a peer that asks for a peer share"],
  peerShareTimeout: ["PeerShareTimeout", "duration", "5s", "Max wait for the reply to a peer request"],
  roundTime: ["RoundTime", "duration", "15m", "How often a CAT round runs (persist peers, drop down to dropTo)"],
  targetPeers: ["TargetPeers", "integer", "32", "Desired number of connections; below it the node dials more"],
  maxPeers: ["MaxPeers", "integer", "36", "Hard cap of connections; maxIncoming and dropTo are capped at it"],
  dropTo: ["DropTo", "integer", "30", "Connections a CAT round drops down to (special peers are kept)"],
  minReseed: ["MinReseed", "integer", "10", "With this many connections or fewer, peers come from the seed list"],
  maxIncoming: ["MaxIncoming", "integer", "36", "Refuse non-special incoming connections from this many peers on"],
  fanout: ["Fanout", "integer", "8", "Random non-special peers a broadcast goes to (plus all special peers)"],
  seedUrl: ["SeedURL", "string", "", "Seed list (ip:port lines): http(s) URL or file path; empty = none"],
  bindIp: ["BindIP", "string", "", "Local IP to listen on and dial from; empty = all interfaces"],
  listenPort: ["ListenPort", "port", "8108", "TCP port to listen on, announced in handshakes; 0 = any free port"],
  listenLimit: ["ListenLimit", "duration", "1s", "After accepting a connection from an IP, refuse more for this long"],
  pingInterval: ["PingInterval", "duration", "15s", "Ping a connection silent (no writes) this long"],
  redialInterval: ["RedialInterval", "duration", "2m", "Minimum time between two dials of the same endpoint"],
  manualBan: ["ManualBan", "duration", "7d", "How long a manual ban lasts"],
  handshakeTimeout: ["HandshakeTimeout", "duration", "5s", "Time limit for the handshake of a connection"],
  dialTimeout: ["DialTimeout", "duration", "5s", "Time limit for establishing an outgoing TCP connection"],
  readDeadline: ["ReadDeadline", "duration", "5m", "Max time to read one parcel; slower connections are dropped"],
  writeDeadline: ["WriteDeadline", "duration", "5m", "Max time to send one parcel; slower connections are dropped"],
  protocolVersion: ["ProtocolVersion", "protocol", "10", "Protocol version this node speaks: 9, 10 or 11"],
  protocolVersionMinimum: ["ProtocolVersionMinimum", "integer", "9", "Peers with an older protocol are refused"],
  channelCapacity: ["ChannelCapacity", "integer", "1000", "Capacity of each send queue and of the application queues"],
  enablePrometheus: ["EnablePrometheus", "boolean", "true", "Register the Prometheus instruments (--metrics needs it)"],
  peerResendFilter: ["PeerResendFilter", "boolean", "true", "Do not send a peer application parcels it sent us"],
  peerResendBuckets: ["PeerResendBuckets", "integer", "3", "Buckets the resend filter keeps (covers buckets × width)"],
  peerResendInterval: ["PeerResendInterval", "duration", "20s", "Width of one resend-filter bucket"],
  inputBudget: [
    "InputBudget",
    "integer",
    "268435456",
    "Max bytes of received input held across all connections (frames being received, parcels not yet taken by the application); a frame that does not fit waits unread, one larger than the budget closes its peer (catp2p)"
  ],
  frameProgressRate: [
    "FrameProgressRate",
    "integer",
    "1024",
    "Bytes/s a peer must send while a frame is incomplete, over frameProgressWindow; 0 = off (catp2p)"
  ],
  frameProgressWindow: [
    "FrameProgressWindow",
    "duration",
    "30s",
    "Window of frameProgressRate: a stalled frame is closed within about this long (catp2p)"
  ],
  maxPendingHandshakes: [
    "MaxPendingHandshakes",
    "integer",
    "32",
    "Max incoming handshakes in progress; more connections get a rejection with alternatives (catp2p)"
  ],
  maxPendingHandshakesPerIp: [
    "MaxPendingHandshakesPerIP",
    "integer",
    "4",
    "Max incoming handshakes in progress from one IP (catp2p)"
  ],
  discourageTime: [
    "DiscourageTime",
    "duration",
    "1h",
    "How long a peer that sent invalid data is refused and not dialed; 0 = off (catp2p)"
  ]
}

/**
 * Every field, in Go's order: name, Go name, kind, default (as text) and
 * description; what a CLI needs to generate flags, environment variables and docs.
 *
 * @since 0.1.0
 */
export const fields: ReadonlyArray<FieldInfo> = (Object.keys(Config.fields) as Array<keyof Config>).map((name) => {
  const [goName, kind, text, description] = TABLE[name]
  return { name, goName, kind, default: text, description }
})

/**
 * Go's `DefaultP2PConfiguration()`, with the code's values (Fanout 8,
 * HandshakeTimeout 5 s, ProtocolVersion 10, ...), not the README's.
 *
 * @since 0.1.0
 */
export const defaults: Config = Schema.decodeUnknownSync(Config)(
  Object.fromEntries(fields.map((field) => [field.name, field.default]))
)

/**
 * Encodes a configuration: durations as `"15m"`, the network by name (else
 * `0x`-hex), `special` as a comma-separated string; decodes back to an equal value.
 *
 * @since 0.1.0
 */
export const encode: (config: Config) => Encoded = Schema.encodeSync(Config)

/** `[ipv6]` as `ipv6`: Go listens on `BindIP + ":" + port`, so a Go config can bind IPv6 only as `[::1]`. */
const unbracket = (ip: string): string =>
  ip.startsWith("[") && ip.endsWith("]") && isIP(ip.slice(1, -1)) === 6 ? ip.slice(1, -1) : ip

/**
 * Go's `Sanitize`: caps `maxIncoming` and `dropTo` at `maxPeers`. Also
 * takes an IPv6 `bindIp` in brackets (`[::1]`, the form a Go node can bind)
 * as the bare address.
 *
 * @since 0.1.0
 */
export const sanitize = (config: Config): Config => ({
  ...config,
  bindIp: unbracket(config.bindIp),
  maxIncoming: Math.min(config.maxIncoming, config.maxPeers),
  dropTo: Math.min(config.dropTo, config.maxPeers)
})

type Rule = readonly [field: keyof Config, problem: (c: Config) => string | undefined]
type Keys<V> = { [K in keyof Config]: Config[K] extends V ? K : never }[keyof Config]

const atLeastOne = (field: Keys<number>): Rule => [field, (c) => (c[field] >= 1 ? undefined : "must be at least 1")]
const positive = (field: Keys<Duration.Duration>): Rule => [
  field,
  (c) => (Duration.isGreaterThan(c[field], Duration.zero) ? undefined : "must be greater than zero")
]
const atMost = (field: Keys<number>, limit: Keys<number>): Rule => [
  field,
  (c) => (c[field] <= c[limit] ? undefined : `must not exceed ${limit} (${c[limit]})`)
]
const whenOn = (flag: Keys<boolean>, [field, problem]: Rule): Rule => [
  field,
  (c) => {
    const problemWhenOn = c[flag] ? problem(c) : undefined
    return problemWhenOn === undefined ? undefined : `${problemWhenOn} while ${flag} is on`
  }
]

const isSeedSource = (source: string): boolean => {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source)?.[1]?.toLowerCase()
  if (scheme === undefined) return !source.includes("\0") // "" (no seed) or a file path
  if (!URL.canParse(source)) return false
  return scheme === "file" || ((scheme === "http" || scheme === "https") && new URL(source).host !== "")
}

const isUsableDuration = (v: unknown): boolean =>
  Duration.isDuration(v) && Duration.isFinite(v) && !Duration.isNegative(v)
const TYPES: { readonly [K in FieldKind]: readonly [test: (value: unknown) => boolean, expected: string] } = {
  network: [Text.isUint32, "a uint32 network id"],
  integer: [(v) => Number.isSafeInteger(v) && (v as number) >= 0, "a non-negative integer"],
  string: [(v) => typeof v === "string", "a string"],
  port: [(v) => typeof v === "string", "a string"],
  protocol: [Text.isProtocolVersion, "9, 10 or 11"],
  boolean: [(v) => typeof v === "boolean", "true or false"],
  duration: [isUsableDuration, "a finite, non-negative duration"],
  special: [(v) => Array.isArray(v) && v.every(Text.isValidSpecial), "a list of SpecialIp and valid Endpoint values"]
}

// Go's Check, in Go's order, then what Go leaves out.
const RULES: ReadonlyArray<Rule> = [
  [
    "listenPort",
    (c) =>
      c.listenPort === "0" || Endpoint.isValidPort(c.listenPort)
        ? undefined
        : "must be a port number in 1..65535, or 0 for any free port"
  ],
  atLeastOne("peerShareAmount"),
  positive("roundTime"),
  atLeastOne("targetPeers"),
  atLeastOne("fanout"),
  positive("handshakeTimeout"),
  positive("dialTimeout"),
  positive("readDeadline"),
  positive("writeDeadline"),
  ["protocolVersionMinimum", (c) => (c.protocolVersionMinimum <= 11 ? undefined : "must not exceed 11")],
  atLeastOne("channelCapacity"),
  positive("peerShareTimeout"),
  ["nodeId", (c) => (Text.isUint32(c.nodeId) ? undefined : "must be a uint32")],
  atMost("protocolVersionMinimum", "protocolVersion"),
  atMost("targetPeers", "maxPeers"),
  atMost("maxIncoming", "maxPeers"),
  atMost("dropTo", "maxPeers"),
  atMost("minReseed", "targetPeers"),
  whenOn("peerResendFilter", atLeastOne("peerResendBuckets")),
  whenOn("peerResendFilter", positive("peerResendInterval")),
  ["seedUrl", (c) => (isSeedSource(c.seedUrl) ? undefined : "must be empty, an http(s):// URL or a file path")],
  ["bindIp", (c) => (c.bindIp === "" || isIP(c.bindIp) !== 0 ? undefined : "must be empty or an IP address")],
  ["inputBudget", (c) => (c.inputBudget >= 65_536 ? undefined : "must be at least 65536 (64 KiB)")],
  positive("frameProgressWindow"),
  atLeastOne("maxPendingHandshakes"),
  atLeastOne("maxPendingHandshakesPerIp"),
  atMost("maxPendingHandshakesPerIp", "maxPendingHandshakes")
]

const shown = (value: unknown): string => (Duration.isDuration(value) ? Text.formatDuration(value) : show(value))

/**
 * Every problem of a configuration, at most one per field: value types first
 * (finite non-negative durations, non-negative integers, ...), then Go's
 * `Check` in Go's order, then the rules Go lacks. Empty when usable.
 *
 * @since 0.1.0
 */
export const validate = (config: Config): ReadonlyArray<ConfigError> => {
  const found = new Map<string, string>()
  const add = (field: keyof Config, message: string | undefined) => {
    if (message === undefined || found.has(field)) return
    found.set(field, `${message}, got ${shown(config[field])}`)
  }
  for (const { name, kind } of fields) {
    const [test, expected] = TYPES[kind]
    add(name, test(config[name]) ? undefined : `must be ${expected}`)
  }
  if (found.size === 0) for (const [field, problem] of RULES) add(field, problem(config))
  return Array.from(found, ([field, message]) => new ConfigError({ field, message }))
}

/**
 * Go's `Check` and more ({@link validate}): the configuration, or its first
 * problem. Like Go's, does not sanitize: unsanitized `dropTo` > `maxPeers` fails.
 *
 * @since 0.1.0
 */
export const check = (config: Config): Result.Result<Config, ConfigError> => {
  const [first] = validate(config)
  return first === undefined ? Result.succeed(config) : Result.fail(first)
}

/**
 * {@link defaults} with `overrides`, then {@link sanitize}, then {@link check}.
 *
 * @since 0.1.0
 */
export const make = (overrides: Partial<Config> = {}): Result.Result<Config, ConfigError> =>
  check(sanitize({ ...defaults, ...overrides }))

const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1({
  leafHook: (leaf) =>
    leaf._tag === "UnexpectedKey" ? "is not a configuration setting" : SchemaIssue.defaultLeafHook(leaf)
})
const decodeInput = Schema.decodeUnknownEffect(ConfigInput, { onExcessProperty: "error", reportInput: true })

/**
 * Decodes unknown input (parsed JSON, a config file, flags): missing fields
 * take their {@link defaults}, unknown keys are rejected, then the result is
 * sanitized and checked as by {@link make}. Every failure names its field.
 *
 * @since 0.1.0
 */
export const decode = (input: unknown): Effect.Effect<Config, ConfigError> =>
  decodeInput(input).pipe(
    Effect.mapError((error) => {
      const first = formatIssue(error.issue).issues[0]
      const key = first?.path?.[0]
      const field = key === undefined ? "config" : String(key)
      return new ConfigError({ field, message: first?.message ?? "invalid configuration" })
    }),
    Effect.flatMap((overrides) => Effect.fromResult(make(overrides)))
  )

/**
 * The node id in use, resolved as Go's `NewNetwork` does: `nodeId`, or when
 * it is 0, `StringToUint32(nodeName)` (the first 4 bytes of its SHA-256).
 *
 * @since 0.1.0
 */
export const nodeIdOf = (config: Pick<Config, "nodeId" | "nodeName">): number =>
  config.nodeId !== 0 ? config.nodeId : NetworkId.stringToUint32(config.nodeName)
