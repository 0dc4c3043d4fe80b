import { Endpoint, Metrics, Network, P2PLayer, Parcel, type PeerInfo, Telemetry } from "@catp2p/p2p"
import { MemoryTransport } from "@catp2p/p2p/testing"
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Exit, Layer, Metric, Queue, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import { settle } from "./support/memory.ts"
import { eventually, testConfig, text } from "./support/node.ts"

type Metered = Effect.Success<ReturnType<typeof startMetered>>

/** A node (TCP on 127.0.0.1, or in memory) with its metrics on. */
const startMetered = Effect.fnUntraced(function* (
  options: {
    readonly memory?: MemoryTransport.MemoryNetwork
    readonly host?: string
    readonly interval?: Duration.Input
    readonly node?: string | false
    readonly enablePrometheus?: boolean
  } = {}
) {
  const metrics = {
    metrics: {
      interval: options.interval ?? Duration.millis(100),
      ...(options.node === undefined ? {} : { node: options.node })
    }
  }
  const enablePrometheus = options.enablePrometheus ?? true
  const layer =
    options.memory === undefined || options.host === undefined
      ? P2PLayer.layer(testConfig({ enablePrometheus }), metrics)
      : P2PLayer.layerWith(
          testConfig({ bindIp: options.host, listenPort: "8108", targetPeers: 1, minReseed: 0, enablePrometheus }),
          MemoryTransport.layerHost(options.memory, options.host),
          metrics
        )
  const context = yield* Layer.build(layer)
  const network = Context.get(context, Network.Network)
  const meter = Context.get(context, Metrics.Metrics)
  return {
    network,
    metrics: meter,
    node: meter.node ?? "",
    endpoint: Endpoint.unsafeMake(options.host ?? "127.0.0.1", String(network.address.port))
  }
})

const receive = (node: Metered, n: number) =>
  node.network.messages.pipe(Stream.take(n), Stream.runDrain, Effect.timeout("10 seconds"), Effect.orDie)

const prometheusOnRandomPort = Effect.map(
  Layer.build(Telemetry.layerPrometheus({ host: "127.0.0.1", port: 0 })),
  Context.get(Telemetry.PrometheusEndpoint)
)

const scrape = (url: string) =>
  Effect.promise(() =>
    fetch(url).then((r) => {
      assert.strictEqual(r.status, 200)
      return r.text()
    })
  )

/**
 * The instruments of Go's `Prometheus` struct as Go registers them
 * (github.com/whosoup/factom-p2p, `prometheus.go` at 3cfdb9b, `_setup`):
 * every one a plain gauge made by `prometheus.NewGauge` (even those its
 * struct types as `prometheus.Counter`), and one histogram.
 */
const GO_INSTRUMENTS: ReadonlyArray<readonly [name: string, type: "gauge" | "histogram"]> = [
  ["factomd_p2p_peers_online", "gauge"],
  ["factomd_p2p_peers_connecting", "gauge"],
  ["factomd_p2p_peers_incoming", "gauge"],
  ["factomd_p2p_peers_outgoing", "gauge"],
  ["factomd_p2p_to_network", "gauge"],
  ["factomd_p2p_to_network_ratio", "gauge"],
  ["factomd_p2p_from_network", "gauge"],
  ["factomd_p2p_from_network_ratio", "gauge"],
  ["factomd_p2p_cat_rounds", "gauge"],
  ["factomd_p2p_tech_sendroutines", "gauge"],
  ["factomd_p2p_tech_receiveroutines", "gauge"],
  ["factomd_p2p_parcels_sent", "gauge"],
  ["factomd_p2p_parcels_received", "gauge"],
  ["factomd_p2p_parcels_invalid", "gauge"],
  ["factomd_p2p_messages_sent", "gauge"],
  ["factomd_p2p_messages_received", "gauge"],
  ["factomd_p2p_byte_rate_down", "gauge"],
  ["factomd_p2p_byte_rate_up", "gauge"],
  ["factomd_p2p_msg_rate_down", "gauge"],
  ["factomd_p2p_msg_rate_up", "gauge"],
  ["factomd_p2p_dropped_peer_send", "gauge"],
  ["factomd_p2p_dropped_from_network", "gauge"],
  ["factomd_p2p_dropped_to_network", "gauge"],
  ["factomd_p2p_parcels_size", "histogram"]
]

/** Go's `ParcelSize` buckets: `prometheus.ExponentialBuckets(1, 2, 16)`, as client_golang writes `le`. */
const GO_PARCEL_SIZE_LE = [..."1 2 4 8 16 32 64 128 256 512 1024 2048 4096 8192 16384 32768".split(" "), "+Inf"]

/** The `# TYPE` lines of a scrape: name → type. */
const typesOf = (scraped: string): Map<string, string> =>
  new Map(
    scraped
      .split("\n")
      .filter((line) => line.startsWith("# TYPE "))
      .map((line) => line.slice("# TYPE ".length).split(" ") as [string, string])
  )

/** The value of the series `name` of `node` in a Prometheus text scrape (undefined: no such series). */
const seriesValue = (scraped: string, name: string, node: string, more = ""): number | undefined => {
  for (const line of scraped.split("\n")) {
    if (!line.startsWith(`${name}{`) || !line.includes(`node="${node}"`) || !line.includes(more)) continue
    return Number(line.slice(line.lastIndexOf(" ") + 1))
  }
  return undefined
}

const series = (scraped: string, name: string, node: string, more = "") => {
  const v = seriesValue(scraped, name, node, more)
  assert.isDefined(v, `${name}{node="${node}"${more}} in the scrape`)
  return v as number
}

/** A node's series `name` from the metric registry. */
const snapshotOf = (name: string, node: string) =>
  Effect.map(Metric.snapshot, (all) => all.find((m) => m.id === name && m.attributes?.node === node)?.state)

describe("metrics", () => {
  it.live(
    "a scrape shows Go's instruments under Go's names and types, unlabeled, and sent sizes as Go observes them",
    () =>
      Effect.gen(function* () {
        const endpoint = yield* prometheusOnRandomPort
        assert.notStrictEqual(endpoint.port, 0)
        assert.strictEqual(endpoint.url, `http://127.0.0.1:${endpoint.port}/metrics`)
        const memory = yield* MemoryTransport.makeNetwork()
        // a: Go's series exactly (no `node` label); b: the default, labelled
        const a = yield* startMetered({ memory, host: "10.9.2.1", node: false })
        const b = yield* startMetered({ memory, host: "10.9.2.2" })
        assert.isUndefined(a.metrics.node)
        const peer = yield* a.network.dial(b.endpoint)
        // in memory: b has attached a once the fibers already started have run
        yield* settle()
        assert.strictEqual(yield* b.network.total, 1)
        // 1000-byte payloads: Go observes a sent one as 1032 bytes (le="2"), a received one as 1000 (le="1")
        for (let i = 0; i < 5; i++) yield* a.network.send(Parcel.make(peer.hash, new Uint8Array(1000).fill(i)))
        yield* receive(b, 5)
        yield* a.metrics.sample
        yield* b.metrics.sample
        const scraped = yield* scrape(endpoint.url)

        const types = typesOf(scraped)
        for (const [name, type] of GO_INSTRUMENTS) {
          assert.strictEqual(types.get(name), type, `# TYPE ${name} ${type}`)
          assert.isFalse(types.has(`${name}_total`), `no ${name}_total`)
        }
        // the rest are catp2p's own, under names Go does not use
        const go = new Set(GO_INSTRUMENTS.map(([name]) => name))
        assert.deepStrictEqual([...types.keys()].filter((name) => !go.has(name)).sort(), [
          "factomd_p2p_bytes_received_total",
          "factomd_p2p_bytes_sent_total",
          "factomd_p2p_connections_refused_total",
          "factomd_p2p_misbehaviour_total"
        ])
        assert.notInclude(scraped, "target_info")
        // a's Go series carry no label at all
        const unlabeled = (name: string) => {
          const m = new RegExp(String.raw`^${name} (\S+)$`, "m").exec(scraped)
          assert.isNotNull(m, `${name} without labels`)
          return Number(m?.[1])
        }
        for (const [name, type] of GO_INSTRUMENTS) if (type === "gauge") unlabeled(name)
        assert.deepStrictEqual(
          [...scraped.matchAll(/^factomd_p2p_parcels_size_bucket\{le="([^"]+)"\} \S+$/gm)].map((m) => m[1]),
          GO_PARCEL_SIZE_LE
        )
        const le = (bound: string) => {
          const line = scraped.split("\n").find((l) => l.startsWith(`factomd_p2p_parcels_size_bucket{le="${bound}"} `))
          assert.isDefined(line, `le="${bound}" without other labels`)
          return Number(line?.slice(line.lastIndexOf(" ") + 1))
        }
        assert.isAtLeast(le("2") - le("1"), 5, "a's five sent parcels as 1032 bytes")
        assert.strictEqual(unlabeled("factomd_p2p_parcels_size_count"), le("+Inf"))
        assert.isAbove(unlabeled("factomd_p2p_parcels_size_sum"), 5 * (1032 / 1024) - 0.001)
        assert.strictEqual(unlabeled("factomd_p2p_peers_online"), 1)
        assert.strictEqual(unlabeled("factomd_p2p_peers_outgoing"), 1)
        assert.strictEqual(unlabeled("factomd_p2p_messages_sent"), 5)
        // b received them as 1000 bytes: its le="1" bucket
        assert.isAtLeast(series(scraped, "factomd_p2p_parcels_size_bucket", b.node, 'le="1"'), 5)
        assert.strictEqual(series(scraped, "factomd_p2p_messages_received", b.node), 5)
        assert.strictEqual(series(scraped, "factomd_p2p_peers_incoming", b.node), 1)
        assert.match(scraped, /factomd_p2p_misbehaviour_total\{[^}]*kind="MalformedFrame"[^}]*\} 0/)

        // running totals grow between scrapes, still as gauges (that the sampler
        // runs by itself, once an interval, is the TestClock test below)
        for (let i = 0; i < 7; i++) yield* a.network.send(Parcel.make(peer.hash, text(`second ${i} `.repeat(250))))
        yield* receive(b, 7)
        yield* b.metrics.sample
        const second = yield* scrape(endpoint.url)
        const grew = (name: string) =>
          assert.isAbove(series(second, name, b.node), series(scraped, name, b.node), `${name} grew`)
        grew("factomd_p2p_parcels_received")
        grew("factomd_p2p_bytes_received_total")
        grew("factomd_p2p_parcels_size_count")
        assert.strictEqual(series(second, "factomd_p2p_messages_received", b.node), 12)
        // 2.5 KB payloads: in the le="4" KiB bucket, not in le="2"
        const leB = (bound: string) => series(second, "factomd_p2p_parcels_size_bucket", b.node, `le="${bound}"`)
        assert.isAtLeast(leB("4") - leB("2"), 7)
      })
  )

  it.effect("enablePrometheus false (Go: EnablePrometheus): the layer registers and samples nothing", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const off = yield* startMetered({ memory, host: "10.9.3.1", enablePrometheus: false })
      const on = yield* startMetered({ memory, host: "10.9.3.2" })
      assert.isFalse(off.metrics.enabled)
      assert.isTrue(on.metrics.enabled)
      yield* off.network.dial(on.endpoint)
      yield* TestClock.adjust("2 seconds")
      yield* off.metrics.sample
      const nodes = (yield* Metric.snapshot).map((m) => m.attributes?.node)
      assert.notInclude(nodes, off.node)
      assert.include(nodes, on.node)
    })
  )

  it.live("two nodes in one process have their own series; a stopped node's series are removed", () =>
    Effect.gen(function* () {
      const endpoint = yield* prometheusOnRandomPort
      const a = yield* startMetered()
      const scope = yield* Scope.make()
      const b = yield* Scope.provide(startMetered(), scope)
      assert.notStrictEqual(a.node, b.node)
      const peer = yield* a.network.dial(b.endpoint)
      // over TCP: b attaches a when its side of the handshake ends
      yield* eventually("b sees a", b.network.total, (n) => n === 1)
      for (let i = 0; i < 3; i++) yield* a.network.send(Parcel.make(peer.hash, text(`only a sends ${i}`)))
      yield* receive(b, 3)
      yield* a.metrics.sample
      yield* b.metrics.sample
      const scraped = yield* scrape(endpoint.url)
      assert.strictEqual(series(scraped, "factomd_p2p_messages_sent", a.node), 3)
      assert.strictEqual(series(scraped, "factomd_p2p_messages_sent", b.node), 0)
      assert.strictEqual(series(scraped, "factomd_p2p_messages_received", a.node), 0)
      assert.strictEqual(series(scraped, "factomd_p2p_messages_received", b.node), 3)
      assert.strictEqual(series(scraped, "factomd_p2p_peers_outgoing", a.node), 1)
      assert.strictEqual(series(scraped, "factomd_p2p_peers_outgoing", b.node), 0)

      yield* Scope.close(scope, Exit.void)
      const after = yield* scrape(endpoint.url)
      assert.notInclude(after, `node="${b.node}"`)
      series(after, "factomd_p2p_peers_online", a.node)
    })
  )

  it.live("the endpoint answers 404 elsewhere, and a port in use is a TelemetryError", () =>
    Effect.gen(function* () {
      const endpoint = yield* prometheusOnRandomPort
      const other = yield* Effect.promise(() => fetch(`http://127.0.0.1:${endpoint.port}/other`))
      assert.strictEqual(other.status, 404)
      const taken = yield* Effect.flip(Layer.build(Telemetry.layerPrometheus({ host: "127.0.0.1", port: endpoint.port })))
      assert.strictEqual(taken._tag, "TelemetryError")
      assert.include(taken.message, `127.0.0.1:${endpoint.port}`)
      const bad = yield* Effect.flip(Layer.build(Telemetry.layer({ metrics: "nowhere" })))
      assert.strictEqual(bad._tag, "TelemetryError")
    })
  )

  it.effect("under TestClock: sampled once a second; totals survive the peers that leave", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const a = yield* startMetered({ memory, host: "10.9.0.1", interval: "1 second" })
      const b = yield* startMetered({ memory, host: "10.9.0.2", interval: "1 second" })
      assert.strictEqual(a.node, "10.9.0.1:8108")
      const peer = yield* a.network.dial(b.endpoint)
      for (let i = 0; i < 4; i++) yield* a.network.send(Parcel.make(peer.hash, text(`m${i}`)))
      yield* receive(b, 4)
      const sent = snapshotOf(Metrics.names.appSent, a.node)
      const online = snapshotOf(Metrics.names.connections, a.node)
      assert.deepInclude(yield* sent, { value: 0 }, "not sampled yet")
      yield* TestClock.adjust("1 second")
      assert.deepInclude(yield* sent, { value: 4 })
      assert.deepInclude(yield* online, { value: 1 })

      // the peer leaves before the next sample: its parcels still count
      for (let i = 0; i < 2; i++) yield* a.network.send(Parcel.make(peer.hash, text(`late ${i}`)))
      yield* receive(b, 2)
      yield* a.network.disconnect(peer.hash)
      yield* TestClock.adjust("1 second")
      assert.deepInclude(yield* sent, { value: 6 })
      assert.deepInclude(yield* online, { value: 0 })
      const parcels = yield* snapshotOf(Metrics.names.parcelsSent, a.node)
      assert.isAtLeast((parcels as Metric.GaugeState<number>).value, 6)
    })
  )

  it.effect("the metrics hook gets every connected peer's metrics about once a second, until removed", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const a = yield* startMetered({ memory, host: "10.9.1.1" })
      const b = yield* startMetered({ memory, host: "10.9.1.2" })
      const peer: PeerInfo.PeerInfo = yield* a.network.dial(b.endpoint)
      const calls = yield* Queue.unbounded<ReadonlyMap<string, PeerInfo.PeerMetrics>>()
      yield* a.network.setMetricsHook((m) => Queue.offer(calls, m))
      yield* TestClock.adjust("500 millis")
      assert.strictEqual(yield* Queue.size(calls), 0)
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual(yield* Queue.size(calls), 3)
      const [first] = yield* Queue.takeAll(calls)
      assert.deepStrictEqual([...first!.keys()], [peer.hash])
      assert.strictEqual(first!.get(peer.hash)?.connectionState, `v${peer.version}`)
      // Go's PeerQuality: Go no longer sets it, so it is 0
      assert.strictEqual(first!.get(peer.hash)?.peerQuality, 0)

      // a failing hook is logged and called again; undefined removes it
      yield* a.network.setMetricsHook(() => Effect.die("boom"))
      yield* TestClock.adjust("2 seconds")
      yield* Network.setMetricsHook((m) => Queue.offer(calls, m)).pipe(
        Effect.provideService(Network.Network, a.network)
      )
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Queue.size(calls), 1)
      yield* a.network.setMetricsHook(undefined)
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual(yield* Queue.size(calls), 1)
    })
  )
})
