/**
 * The configuration's field table: each field written once, with its Go
 * name, kind, default (as text), documentation, flag and environment
 * variable, and its Schema (how it is read from text, and its rule). The
 * `Config` Schema, the defaults, the CLI's flags and the README's table are
 * all derived from it.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as Text from "./Text.ts"
import * as Rules from "./Rules.ts"

/**
 * What kind of value a field holds (for generated flags and docs).
 *
 * @since 0.1.0
 */
export type FieldKind = "network" | "integer" | "string" | "duration" | "special" | "port" | "protocol" | "boolean"

/**
 * One row of the table.
 *
 * @since 0.1.0
 */
export interface Field<S extends Schema.Top> {
  readonly goName: string
  readonly kind: FieldKind
  /** The default in its encoded (text) form, e.g. `"15m"`, `"MainNet"`, `"8"`, `""`. */
  readonly default: string
  /** Its Schema: decodes its text form and checks its rule. */
  readonly schema: S
  readonly description: string
}

const field = <S extends Schema.Top>(
  goName: string,
  kind: FieldKind,
  defaultText: string,
  schema: S,
  description: string
): Field<S> => ({ goName, kind, default: defaultText, schema, description })

const Count = Text.CountFromText
const Dur = Text.DurationFromText.check(Rules.usable)
const Positive = Dur.check(Rules.positive)
const AtLeastOne = Count.check(Rules.atLeast(1))
const Flag = Text.BooleanFromText

// Go's Configuration fields in Go's order (defaults: DefaultP2PConfiguration, the code's values, not the
// README's), then catp2p's protections against hostile peers (see RELIABILITY.md), named as Go would name them.
const TABLE = {
  network: field(
    "Network",
    "network",
    "MainNet",
    Text.NetworkFromText,
    "Network to join; nodes only talk to nodes of the same network"
  ),
  nodeId: field(
    "NodeID",
    "integer",
    "0",
    Count.check(Rules.rule<number>(Text.isUint32, "must be a uint32")),
    "Id of this node, sent in handshakes; 0 = derive from nodeName"
  ),
  nodeName: field(
    "NodeName",
    "string",
    "FNode0",
    Schema.String,
    "Internal name of the node (logs; source of the id when nodeId is 0)"
  ),
  peerRequestInterval: field(
    "PeerRequestInterval",
    "duration",
    "5s",
    Dur,
    "How often a neighbour may be asked for peers"
  ),
  peerReseedInterval: field(
    "PeerReseedInterval",
    "duration",
    "4h",
    Dur,
    "How often the seed list is re-read (its cache time)"
  ),
  peerIpLimitIncoming: field(
    "PeerIPLimitIncoming",
    "integer",
    "0",
    Count,
    "Max incoming connections from one IP; 0 = unlimited"
  ),
  peerIpLimitOutgoing: field(
    "PeerIPLimitOutgoing",
    "integer",
    "0",
    Count,
    "Max outgoing connections to one IP; 0 = unlimited"
  ),
  special: field(
    "Special",
    "special",
    "",
    Text.SpecialFromText.check(
      Rules.rule<ReadonlyArray<unknown>>(
        (peers) => peers.every(Text.isValidSpecial),
        "must be a list of SpecialIp and valid Endpoint values"
      )
    ),
    "Peers always dialled, never dropped: ip:port or bare IP, comma-separated"
  ),
  peerCacheFile: field(
    "PeerCacheFile",
    "string",
    "",
    Schema.String,
    "File the peers and bans are saved to every CAT round; empty = none"
  ),
  peerCacheAge: field("PeerCacheAge", "duration", "1h", Dur, "Max age of the peer file to bootstrap from"),
  peerShareAmount: field(
    "PeerShareAmount",
    "integer",
    "3",
    AtLeastOne,
    "Number of peers given to a peer that asks for a peer share"
  ),
  peerShareTimeout: field("PeerShareTimeout", "duration", "5s", Positive, "Max wait for the reply to a peer request"),
  roundTime: field(
    "RoundTime",
    "duration",
    "15m",
    Positive,
    "How often a CAT round runs (persist peers, drop down to dropTo)"
  ),
  targetPeers: field(
    "TargetPeers",
    "integer",
    "32",
    AtLeastOne,
    "Desired number of connections; below it the node dials more"
  ),
  maxPeers: field(
    "MaxPeers",
    "integer",
    "36",
    Count,
    "Hard cap of connections; maxIncoming and dropTo are capped at it"
  ),
  dropTo: field("DropTo", "integer", "30", Count, "Connections a CAT round drops down to (special peers are kept)"),
  minReseed: field(
    "MinReseed",
    "integer",
    "10",
    Count,
    "With this many connections or fewer, peers come from the seed list"
  ),
  maxIncoming: field(
    "MaxIncoming",
    "integer",
    "36",
    Count,
    "Refuse non-special incoming connections from this many peers on"
  ),
  fanout: field(
    "Fanout",
    "integer",
    "8",
    AtLeastOne,
    "Random non-special peers a broadcast goes to (plus all special peers)"
  ),
  seedUrl: field(
    "SeedURL",
    "string",
    "",
    Schema.String.check(Rules.seedSource),
    "Seed list (ip:port lines): http(s) URL or file path; empty = none"
  ),
  bindIp: field(
    "BindIP",
    "string",
    "",
    Rules.BindIpFromText.check(Rules.ipOrEmpty),
    "Local IP to listen on and dial from; empty = all interfaces"
  ),
  listenPort: field(
    "ListenPort",
    "port",
    "8108",
    Text.StringFromText.check(Rules.listenPort),
    "TCP port to listen on, announced in handshakes; 0 = any free port"
  ),
  listenLimit: field(
    "ListenLimit",
    "duration",
    "1s",
    Dur,
    "After accepting a connection from an IP, refuse more for this long"
  ),
  pingInterval: field("PingInterval", "duration", "15s", Dur, "Ping a connection silent (no writes) this long"),
  redialInterval: field("RedialInterval", "duration", "2m", Dur, "Minimum time between two dials of the same endpoint"),
  manualBan: field("ManualBan", "duration", "7d", Dur, "How long a manual ban lasts"),
  handshakeTimeout: field(
    "HandshakeTimeout",
    "duration",
    "5s",
    Positive,
    "Time limit for the handshake of a connection"
  ),
  dialTimeout: field(
    "DialTimeout",
    "duration",
    "5s",
    Positive,
    "Time limit for establishing an outgoing TCP connection"
  ),
  readDeadline: field(
    "ReadDeadline",
    "duration",
    "5m",
    Positive,
    "Max time to read one parcel; slower connections are dropped"
  ),
  writeDeadline: field(
    "WriteDeadline",
    "duration",
    "5m",
    Positive,
    "Max time to send one parcel; slower connections are dropped"
  ),
  protocolVersion: field(
    "ProtocolVersion",
    "protocol",
    "10",
    Text.ProtocolFromText,
    "Protocol version this node speaks: 9, 10 or 11"
  ),
  protocolVersionMinimum: field(
    "ProtocolVersionMinimum",
    "integer",
    "9",
    Count.check(Rules.rule<number>((n) => n <= 11, "must not exceed 11")),
    "Peers with an older protocol are refused"
  ),
  channelCapacity: field(
    "ChannelCapacity",
    "integer",
    "1000",
    AtLeastOne,
    "Capacity of each send queue and of the application queues"
  ),
  enablePrometheus: field(
    "EnablePrometheus",
    "boolean",
    "true",
    Flag,
    "Register the Prometheus instruments (--metrics needs it)"
  ),
  peerResendFilter: field(
    "PeerResendFilter",
    "boolean",
    "true",
    Flag,
    "Do not send a peer application parcels it sent us"
  ),
  peerResendBuckets: field(
    "PeerResendBuckets",
    "integer",
    "3",
    Count,
    "Buckets the resend filter keeps (covers buckets × width)"
  ),
  peerResendInterval: field("PeerResendInterval", "duration", "20s", Dur, "Width of one resend-filter bucket"),
  inputBudget: field(
    "InputBudget",
    "integer",
    "268435456",
    Count.check(Rules.atLeast(65_536, "must be at least 65536 (64 KiB)")),
    "Max bytes of received input held across all connections (frames being received, parcels not yet taken by the application); a frame that does not fit waits unread, one larger than the budget closes its peer (catp2p)"
  ),
  frameProgressRate: field(
    "FrameProgressRate",
    "integer",
    "1024",
    Count,
    "Bytes/s a peer must send while a frame is incomplete, over frameProgressWindow; 0 = off (catp2p)"
  ),
  frameProgressWindow: field(
    "FrameProgressWindow",
    "duration",
    "30s",
    Positive,
    "Window of frameProgressRate: a stalled frame is closed within about this long (catp2p)"
  ),
  maxPendingHandshakes: field(
    "MaxPendingHandshakes",
    "integer",
    "32",
    AtLeastOne,
    "Max incoming handshakes in progress; more connections get a rejection with alternatives (catp2p)"
  ),
  maxPendingHandshakesPerIp: field(
    "MaxPendingHandshakesPerIP",
    "integer",
    "4",
    AtLeastOne,
    "Max incoming handshakes in progress from one IP (catp2p)"
  ),
  discourageTime: field(
    "DiscourageTime",
    "duration",
    "1h",
    Dur,
    "How long a peer that sent invalid data is refused and not dialed; 0 = off (catp2p)"
  ),
  shutdownFlushTimeout: field(
    "ShutdownFlushTimeout",
    "duration",
    "2s",
    Dur,
    "On stop, how long peers may take to send what the application already sent; what is left is dropped and logged; 0 = drop at once (catp2p)"
  )
}

/**
 * A field's name (camelCase).
 *
 * @since 0.1.0
 */
export type Name = keyof typeof TABLE

/**
 * The Schema of every field, by name, in Go's order, annotated with its
 * description: what `Schema.Struct` takes.
 *
 * @since 0.1.0
 */
export const schemas = Object.fromEntries(
  Object.entries(TABLE).map(([name, row]) => [name, row.schema.annotate({ description: row.description })])
) as {
  readonly [K in Name]: (typeof TABLE)[K]["schema"]
}

const words = (name: string): Array<string> => name.split(/(?=[A-Z])/).map((w) => w.toLowerCase())

/**
 * The flag of a field, without the leading `--`: `targetPeers` → `target-peers`.
 *
 * @since 0.1.0
 */
export const flagName = (name: string): string => words(name).join("-")

/**
 * The environment variable of a field: `targetPeers` → `CATP2P_TARGET_PEERS`.
 *
 * @since 0.1.0
 */
export const envName = (name: string): string => `CATP2P_${words(name).join("_").toUpperCase()}`

/**
 * Machine-readable description of one field, for CLIs and docs.
 *
 * @since 0.1.0
 */
export interface FieldInfo {
  readonly name: Name
  readonly goName: string
  readonly kind: FieldKind
  /** The default in its encoded (text) form, e.g. `"15m"`, `"MainNet"`, `"8"`, `""`. */
  readonly default: string
  readonly description: string
  /** The command-line flag, without `--`: `target-peers`. */
  readonly flag: string
  /** The environment variable: `CATP2P_TARGET_PEERS`. */
  readonly env: string
}

/**
 * Every field, in Go's order.
 *
 * @since 0.1.0
 */
export const fields: ReadonlyArray<FieldInfo> = (Object.keys(TABLE) as Array<Name>).map((name) => {
  const { goName, kind, default: text, description } = TABLE[name]
  return { name, goName, kind, default: text, description, flag: flagName(name), env: envName(name) }
})

/**
 * The configuration Schema, built from the table: decoded type is the configuration, encoded type its text form.
 *
 * @since 0.1.0
 */
export const ConfigSchema = Schema.Struct(schemas)

/**
 * A decoded configuration.
 *
 * @since 0.1.0
 */
export type Config = typeof ConfigSchema.Type
