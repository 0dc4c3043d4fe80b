/**
 * Every instrument the Go package registers with Prometheus (its
 * `Prometheus` struct, `prometheus.go`), as Effect metrics under Go's names
 * and types: 23 gauges and the histogram `factomd_p2p_parcels_size`.
 *
 * Go registers them only when `EnablePrometheus` is true (its default), once
 * per process; so does this layer: with `enablePrometheus` false it registers
 * nothing and samples nothing. Go's instruments carry no labels. catp2p can
 * run many nodes in one process, so by default every series carries a `node`
 * attribute (the node's listen address `host:port`, or {@link Options.node});
 * `node: false` leaves it out and gives Go's series exactly (one node per
 * process, as Go: the `catp2p node` command does this).
 *
 * Nothing runs per parcel: the node's statistics have one owner,
 * `NodeStats` (its counters, each peer's messages and bytes and send queue,
 * the traffic counters the readers and writers bump), and a fiber reads its
 * snapshot once a second (`Clock`-driven, so it follows `TestClock`) and
 * sets the gauges; `Network.info` reads the same snapshot. A new metric is a
 * field of the snapshot and its line here (`names`, `help`, its source). Export them with `Telemetry` (e.g. `Telemetry.layerPrometheus`).
 *
 * Enable them with `P2PLayer.layer(config, { metrics: true })`, or add
 * `Metrics.layer()` to a node's layer yourself.
 *
 * | name | Prometheus type | Go field | meaning |
 * |---|---|---|---|
 * | `factomd_p2p_peers_online` | gauge | Connections | connected peers |
 * | `factomd_p2p_peers_connecting` | gauge | Connecting | connections dialing or in their handshake |
 * | `factomd_p2p_peers_incoming` | gauge | Incoming | peers that dialed us |
 * | `factomd_p2p_peers_outgoing` | gauge | Outgoing | peers we dialed |
 * | `factomd_p2p_to_network` | gauge | ToNetwork | parcels waiting in the peers' send queues (catp2p has no ToNetwork channel: `Network.send` routes straight to them) |
 * | `factomd_p2p_to_network_ratio` | gauge | ToNetworkRatio | fill ratio of all send queues together (queued / capacity) |
 * | `factomd_p2p_from_network` | gauge | FromNetwork | application parcels waiting for the application (`Network.messages`) |
 * | `factomd_p2p_from_network_ratio` | gauge | FromNetworkRatio | its fill ratio (of `channelCapacity`) |
 * | `factomd_p2p_cat_rounds` | gauge | CatRounds | CAT rounds run (a running total) |
 * | `factomd_p2p_tech_sendroutines` | gauge | SendRoutines | peer writer fibers (one per peer) |
 * | `factomd_p2p_tech_receiveroutines` | gauge | ReceiveRoutines | peer reader fibers (one per peer) |
 * | `factomd_p2p_parcels_sent` | gauge | ParcelsSent | parcels written to peers (a running total) |
 * | `factomd_p2p_parcels_received` | gauge | ParcelsReceived | parcels decoded from peers (a running total) |
 * | `factomd_p2p_parcels_invalid` | gauge | Invalid | invalid parcels, each closed its peer (a running total) |
 * | `factomd_p2p_messages_sent` | gauge | AppSent | application parcels written to peers (a running total) |
 * | `factomd_p2p_messages_received` | gauge | AppReceived | application parcels decoded from peers (a running total) |
 * | `factomd_p2p_byte_rate_down` | gauge | ByteRateDown | bytes/s received, summed over peers |
 * | `factomd_p2p_byte_rate_up` | gauge | ByteRateUp | bytes/s sent |
 * | `factomd_p2p_msg_rate_down` | gauge | MessageRateDown | parcels/s received |
 * | `factomd_p2p_msg_rate_up` | gauge | MessageRateUp | parcels/s sent |
 * | `factomd_p2p_dropped_peer_send` | gauge | DroppedPeerSend | parcels dropped by full peer send queues (a running total; Go never sets it) |
 * | `factomd_p2p_dropped_from_network` | gauge | DroppedFromNetwork | parcels dropped because the application did not read them fast enough (a running total) |
 * | `factomd_p2p_dropped_to_network` | gauge | DroppedToNetwork | always 0: with no ToNetwork channel, these drops count as `dropped_peer_send` |
 * | `factomd_p2p_parcels_size` | histogram | ParcelSize | parcel sizes in KiB, both directions, as Go observes them (received: payload; sent: payload + 32 bytes), buckets 1, 2, 4, …, 32768 |
 * | `factomd_p2p_bytes_sent` | counter (`_total`) | (catp2p) | bytes written to peers |
 * | `factomd_p2p_bytes_received` | counter (`_total`) | (catp2p) | bytes read from peers |
 * | `factomd_p2p_connections_refused` | counter (`_total`) | (catp2p) | incoming connections refused (full, rate limit, ban, per-IP limit) |
 * | `factomd_p2p_misbehaviour` | counter (`_total`) | (catp2p) | peers closed for misbehaviour, attribute `kind` (`MalformedFrame`, `FrameTooLarge`, `MalformedHandshake`, `StalledFrame`; see `Guard`) |
 *
 * Types: Go registers every instrument as a plain gauge (`prometheus.NewGauge`,
 * its running totals too), so catp2p's Go series are gauges holding the
 * running total, scraped under Go's names (no `_total`). catp2p's own
 * extras are counters, so Prometheus shows them with `_total`.
 *
 * @example
 * ```ts
 * import { Config, P2PLayer, Telemetry } from "@catp2p/p2p"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Layer, Result } from "effect"
 *
 * const config = Result.getOrThrow(Config.make({ listenPort: "8110" }))
 * const prometheus = Telemetry.layerPrometheus({ host: "127.0.0.1", port: 9100 })
 * const node = P2PLayer.layer(config, { metrics: { node: false } }).pipe(Layer.provide(prometheus))
 * NodeRuntime.runMain(Layer.launch(node))
 * // curl http://127.0.0.1:9100/metrics
 * ```
 * @since 0.1.0
 * @module
 */
import { Context, Duration, Effect, Layer, Metric, Schedule } from "effect"
import { Inbox } from "./internal/node/Inbox.ts"
import * as Misbehaviour from "./Misbehaviour.ts"
import { Network } from "./Network.ts"
import { NodeConfig } from "./internal/node/NodeConfig.ts"
import { PeerStore } from "./internal/node/PeerStore.ts"
import { NodeStats, type Snapshot } from "./internal/stats/NodeStats.ts"
import { SIZE_BOUNDARIES_KIB } from "./internal/stats/Traffic.ts"

/**
 * The metric names (Effect metric ids), by Go field.
 *
 * @category constants
 * @since 0.1.0
 */
export const names = {
  connections: "factomd_p2p_peers_online",
  connecting: "factomd_p2p_peers_connecting",
  incoming: "factomd_p2p_peers_incoming",
  outgoing: "factomd_p2p_peers_outgoing",
  toNetwork: "factomd_p2p_to_network",
  toNetworkRatio: "factomd_p2p_to_network_ratio",
  fromNetwork: "factomd_p2p_from_network",
  fromNetworkRatio: "factomd_p2p_from_network_ratio",
  catRounds: "factomd_p2p_cat_rounds",
  sendRoutines: "factomd_p2p_tech_sendroutines",
  receiveRoutines: "factomd_p2p_tech_receiveroutines",
  parcelsSent: "factomd_p2p_parcels_sent",
  parcelsReceived: "factomd_p2p_parcels_received",
  invalid: "factomd_p2p_parcels_invalid",
  appSent: "factomd_p2p_messages_sent",
  appReceived: "factomd_p2p_messages_received",
  byteRateDown: "factomd_p2p_byte_rate_down",
  byteRateUp: "factomd_p2p_byte_rate_up",
  messageRateDown: "factomd_p2p_msg_rate_down",
  messageRateUp: "factomd_p2p_msg_rate_up",
  droppedPeerSend: "factomd_p2p_dropped_peer_send",
  droppedFromNetwork: "factomd_p2p_dropped_from_network",
  droppedToNetwork: "factomd_p2p_dropped_to_network",
  parcelSize: "factomd_p2p_parcels_size",
  bytesSent: "factomd_p2p_bytes_sent",
  bytesReceived: "factomd_p2p_bytes_received",
  refused: "factomd_p2p_connections_refused"
} as const

/** Go's instruments that catp2p samples as levels. */
const LEVELS = [
  "connections",
  "connecting",
  "incoming",
  "outgoing",
  "toNetwork",
  "toNetworkRatio",
  "fromNetwork",
  "fromNetworkRatio",
  "sendRoutines",
  "receiveRoutines",
  "byteRateDown",
  "byteRateUp",
  "messageRateDown",
  "messageRateUp"
] as const

/** Go's instruments that hold running totals (gauges in Go too). */
const TOTALS = [
  "catRounds",
  "parcelsSent",
  "parcelsReceived",
  "invalid",
  "appSent",
  "appReceived",
  "droppedPeerSend",
  "droppedFromNetwork",
  "droppedToNetwork"
] as const

/** catp2p's own counters (not Go's). */
const COUNTERS = ["bytesSent", "bytesReceived", "refused"] as const

/** The levels the snapshot does not hold, read from their owners (peer store, inbox). */
interface Levels {
  readonly connections: number
  readonly incoming: number
  readonly outgoing: number
  readonly fromNetwork: number
  readonly fromNetworkCapacity: number
}

/** Where each of Go's levels comes from. */
const levels: { readonly [K in (typeof LEVELS)[number]]: (s: Snapshot, l: Levels) => number } = {
  connections: (_, l) => l.connections,
  connecting: (s) => s.connecting,
  incoming: (_, l) => l.incoming,
  outgoing: (_, l) => l.outgoing,
  toNetwork: (s) => s.toNetwork,
  toNetworkRatio: (s) => (s.toNetworkCapacity === 0 ? 0 : s.toNetwork / s.toNetworkCapacity),
  fromNetwork: (_, l) => l.fromNetwork,
  fromNetworkRatio: (_, l) => l.fromNetwork / Math.max(1, l.fromNetworkCapacity),
  sendRoutines: (_, l) => l.connections,
  receiveRoutines: (_, l) => l.connections,
  byteRateDown: (s) => s.byteRateDown,
  byteRateUp: (s) => s.byteRateUp,
  messageRateDown: (s) => s.messageRateDown,
  messageRateUp: (s) => s.messageRateUp
}

/** Where each of Go's running totals comes from (NodeStats' snapshot). */
const totals: { readonly [K in TotalKey]: (s: Snapshot) => number } = {
  catRounds: (s) => s.rounds,
  parcelsSent: (s) => s.parcelsSent,
  parcelsReceived: (s) => s.parcelsReceived,
  invalid: (s) => s.invalid,
  appSent: (s) => s.appSent,
  appReceived: (s) => s.appReceived,
  droppedPeerSend: (s) => s.droppedPeerSend,
  droppedFromNetwork: (s) => s.droppedFromNetwork,
  droppedToNetwork: () => 0
}

type TotalKey = (typeof TOTALS)[number]
type GaugeKey = (typeof LEVELS)[number] | TotalKey
type CounterKey = (typeof COUNTERS)[number]

const GAUGES: ReadonlyArray<GaugeKey> = [...LEVELS, ...TOTALS]

const help: Record<keyof typeof names, string> = {
  connections: "Number of established connections",
  connecting: "Number of connections currently dialing or awaiting handshake",
  incoming: "Number of peers that have dialed to this node",
  outgoing: "Number of peers that this node has dialed to",
  toNetwork: "The number of parcels waiting in the peers' send queues",
  toNetworkRatio: "The fill ratio of the peers' send queues",
  fromNetwork: "The number of parcels waiting for the application",
  fromNetworkRatio: "The fill ratio of the application's parcel queue",
  catRounds: "Number of CAT rounds",
  sendRoutines: "Number of active send routines",
  receiveRoutines: "Number of active receive routines",
  parcelsSent: "Total number of parcels sent out",
  parcelsReceived: "Total number of parcels received",
  invalid: "Total number of invalid parcels received",
  appSent: "Total number of application messages sent",
  appReceived: "Total number of application messages received",
  byteRateDown: "Current rate of incoming traffic (in bytes/sec)",
  byteRateUp: "Current rate of outgoing traffic (in bytes/sec)",
  messageRateDown: "Current rate of incoming traffic (in messages/sec)",
  messageRateUp: "Current rate of outgoing traffic (in messages/sec)",
  droppedPeerSend: "Number of parcels that were unable to be sent because of peer's lack of bandwidth",
  droppedFromNetwork: "Number of parcels that were dropped because application is not reading parcels fast enough",
  droppedToNetwork: "Number of parcels that were dropped because application is sending parcels too fast",
  parcelSize: "Number of parcels encountered for specific sizes (in KiBi)",
  bytesSent: "Total number of bytes sent to peers",
  bytesReceived: "Total number of bytes received from peers",
  refused: "Total number of incoming connections refused"
}

/**
 * One node's instruments: Go's as gauges and the histogram, catp2p's own as
 * counters; every series carries `{ node }` unless created without one.
 *
 * @category models
 * @since 0.1.0
 */
export interface Instruments {
  readonly gauges: { readonly [K in GaugeKey]: Metric.Gauge<number> }
  readonly counters: { readonly [K in CounterKey]: Metric.Counter<number> }
  readonly parcelSize: Metric.Histogram<number>
}

/**
 * Creates the instruments of the node named `node`, or Go's unlabeled ones
 * for `false` (they hold no state: the series live in the `MetricRegistry`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const instruments = (node: string | false): Instruments => {
  const attributes = node === false ? undefined : { node }
  const gauges = {} as { [K in GaugeKey]: Metric.Gauge<number> }
  for (const k of GAUGES) gauges[k] = Metric.gauge(names[k], { description: help[k], attributes })
  const counters = {} as { [K in CounterKey]: Metric.Counter<number> }
  for (const k of COUNTERS) {
    counters[k] = Metric.counter(names[k], { description: help[k], attributes, incremental: true })
  }
  const parcelSize = Metric.histogram(names.parcelSize, {
    description: help.parcelSize,
    attributes,
    boundaries: SIZE_BOUNDARIES_KIB
  })
  return { gauges, counters, parcelSize }
}

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /**
   * The `node` attribute of the node's series (default: its listen address,
   * `host:port`); `false`: no attribute, Go's series exactly (only one node
   * of the process may then have metrics, as in Go).
   */
  readonly node?: string | false
  /** How often the node's counters are sampled (default 1 second). */
  readonly interval?: Duration.Input
}

/**
 * @category services
 * @since 0.1.0
 */
export interface MetricsService {
  /** The `node` attribute of this node's series (`undefined`: none, see {@link Options.node}). */
  readonly node: string | undefined
  /** Whether the instruments are registered: the node's `enablePrometheus` (Go: `EnablePrometheus`). */
  readonly enabled: boolean
  /** Samples the node's counters into the metrics now (the layer does it every `interval`; nothing when not enabled). */
  readonly sample: Effect.Effect<void>
}

/**
 * A node's metrics: if the node's `enablePrometheus` is true (Go's default),
 * the layer registers its series, samples them every `interval` while it
 * lives, and removes the series when it closes; if false, it registers and
 * samples nothing (Go: no instruments unless `EnablePrometheus`).
 *
 * @category services
 * @since 0.1.0
 */
export class Metrics extends Context.Service<Metrics, MetricsService>()("@catp2p/p2p/Metrics") {
  static readonly layer = (
    options: Options = {}
  ): Layer.Layer<Metrics, never, Network | NodeConfig | PeerStore | Inbox | NodeStats> =>
    Layer.effect(
      Metrics,
      Effect.gen(function* () {
        const network = yield* Network
        const { config } = yield* NodeConfig
        const store = yield* PeerStore
        const inbox = yield* Inbox
        const stats = yield* NodeStats
        const label = options.node ?? `${network.address.host}:${network.address.port}`
        const node = label === false ? undefined : label
        if (!config.enablePrometheus) return Metrics.of({ node, enabled: false, sample: Effect.void })
        const { gauges, counters, parcelSize } = instruments(label)
        const context = yield* Effect.context<never>()

        // running totals only grow (NodeStats keeps them monotonic); a total
        // still shows the highest value seen, and the counters add the growth
        const seen = {} as Record<TotalKey | CounterKey, number>
        for (const k of TOTALS) seen[k] = 0
        for (const k of COUNTERS) {
          seen[k] = 0
          counters[k].updateUnsafe(0, context)
        }
        const set = (k: GaugeKey, value: number) => gauges[k].updateUnsafe(value, context)
        const total = (k: TotalKey, value: number) => {
          if (value > seen[k]) seen[k] = value
          set(k, seen[k])
        }
        const add = (k: CounterKey, value: number) => {
          const grown = value - seen[k]
          if (grown > 0) {
            counters[k].updateUnsafe(grown, context)
            seen[k] = value
          }
        }
        // misbehaviour by kind, one series per kind
        const misbehaviour = Misbehaviour.kinds.map((kind) => ({
          kind,
          seen: 0,
          counter: Metric.counter("factomd_p2p_misbehaviour", {
            description: "Peers closed for misbehaviour, by kind (catp2p)",
            attributes: node === undefined ? { kind } : { node, kind },
            incremental: true
          })
        }))
        for (const m of misbehaviour) m.counter.updateUnsafe(0, context)

        let histogram = stats.traffic.histogram()
        const registration = Metric.registerUnsafe(parcelSize, context, {
          get: () => histogram,
          update: () => {},
          modify: () => {}
        })

        const sampleNow = () => {
          const snapshot = stats.snapshot()
          const now: Levels = {
            connections: store.total,
            incoming: store.incoming,
            outgoing: store.outgoing,
            fromNetwork: inbox.size(),
            fromNetworkCapacity: inbox.capacity
          }
          for (const k of LEVELS) set(k, levels[k](snapshot, now))
          for (const k of TOTALS) total(k, totals[k](snapshot))
          for (const k of COUNTERS) add(k, snapshot[k])
          histogram = stats.traffic.histogram()
          for (const m of misbehaviour) {
            const total = snapshot.misbehaviour[m.kind]
            if (total > m.seen) {
              m.counter.updateUnsafe(total - m.seen, context)
              m.seen = total
            }
          }
        }
        const sample = Effect.sync(sampleNow)

        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            registration.remove()
            for (const k of GAUGES) Metric.removeUnsafe(gauges[k], context)
            for (const k of COUNTERS) Metric.removeUnsafe(counters[k], context)
            for (const m of misbehaviour) Metric.removeUnsafe(m.counter, context)
          })
        )
        sampleNow()
        yield* sample.pipe(Effect.repeat(Schedule.spaced(options.interval ?? Duration.seconds(1))), Effect.forkScoped)
        return Metrics.of({ node, enabled: true, sample })
      })
    )
}
