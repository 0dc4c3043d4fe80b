import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Exit, Fiber, Layer, Metric, Queue, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import {
  Endpoint,
  MemoryTransport,
  Metrics,
  Network,
  P2PLayer,
  Parcel,
  ParcelType,
  type Peer,
  Telemetry,
  Traffic
} from "@catp2p/p2p"
import { eventually, testConfig, text } from "./node-support.ts"

type Metered = Effect.Success<ReturnType<typeof startMetered>>

/** A node (TCP on 127.0.0.1, or in memory) with its metrics on. */
const startMetered = Effect.fnUntraced(function* (
  options: {
    readonly memory?: MemoryTransport.Network
    readonly host?: string
    readonly interval?: Duration.Input
  } = {}
) {
  const metrics = { metrics: { interval: options.interval ?? Duration.millis(100) } }
  const layer =
    options.memory === undefined || options.host === undefined
      ? P2PLayer.layer(testConfig(), metrics)
      : P2PLayer.layerWith(
          testConfig({ bindIp: options.host, listenPort: "8108", targetPeers: 1, minReseed: 0 }),
          MemoryTransport.layerHost(options.memory, options.host),
          metrics
        )
  const context = yield* Layer.build(layer)
  const network = Context.get(context, Network.Network)
  const meter = Context.get(context, Metrics.Metrics)
  return {
    network,
    metrics: meter,
    node: meter.node,
    endpoint: Endpoint.unsafeMake(options.host ?? "127.0.0.1", String(network.address.port))
  }
})

const receive = (node: Metered, n: number) =>
  node.network.messages.pipe(Stream.take(n), Stream.runDrain, Effect.timeout("10 seconds"), Effect.orDie)

const prometheusOnRandomPort = Effect.map(
  Layer.build(Telemetry.prometheus({ host: "127.0.0.1", port: 0 })),
  Context.get(Telemetry.PrometheusEndpoint)
)

const scrape = (url: string) =>
  Effect.promise(() =>
    fetch(url).then((r) => {
      assert.strictEqual(r.status, 200)
      return r.text()
    })
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
  it.live("a Prometheus endpoint on a random port serves every instrument; counters move between scrapes", () =>
    Effect.gen(function* () {
      const endpoint = yield* prometheusOnRandomPort
      assert.notStrictEqual(endpoint.port, 0)
      assert.strictEqual(endpoint.url, `http://127.0.0.1:${endpoint.port}/metrics`)
      const a = yield* startMetered()
      const b = yield* startMetered()
      const peer = yield* a.network.dial(b.endpoint)
      yield* eventually("b sees a", b.network.total, (n) => n === 1)

      for (let i = 0; i < 5; i++) yield* a.network.send(Parcel.make(peer.hash, text(`first ${i}`)))
      yield* receive(b, 5)
      yield* a.metrics.sample
      yield* b.metrics.sample
      const first = yield* scrape(endpoint.url)

      // every instrument under Go's name; counters with Prometheus's _total suffix
      const counters = new Set(["cat_rounds", "parcels_sent", "parcels_received", "parcels_invalid"])
      for (const n of ["messages_sent", "messages_received", "bytes_sent", "bytes_received", "connections_refused"]) {
        counters.add(n)
      }
      for (const n of ["dropped_peer_send", "dropped_from_network", "dropped_to_network"]) counters.add(n)
      // misbehaviour, one series per kind
      assert.include(first, "# TYPE factomd_p2p_misbehaviour_total counter")
      assert.match(first, /factomd_p2p_misbehaviour_total\{[^}]*kind="MalformedFrame"[^}]*\} 0/)
      for (const name of Object.values(Metrics.names)) {
        const short = name.replace("factomd_p2p_", "")
        if (short === "parcels_size") continue
        const [exported, type] = counters.has(short) ? [`${name}_total`, "counter"] : [name, "gauge"]
        assert.include(first, `# TYPE ${exported} ${type}`)
        series(first, exported, a.node)
        series(first, exported, b.node)
      }
      assert.include(first, "# TYPE factomd_p2p_parcels_size histogram")
      assert.isAtLeast(series(first, "factomd_p2p_parcels_size_count", a.node), 5)
      assert.isAtLeast(series(first, "factomd_p2p_parcels_size_bucket", a.node, 'le="1"'), 5)
      assert.strictEqual(series(first, "factomd_p2p_peers_online", a.node), 1)
      assert.strictEqual(series(first, "factomd_p2p_peers_outgoing", a.node), 1)
      assert.strictEqual(series(first, "factomd_p2p_peers_incoming", b.node), 1)
      assert.strictEqual(series(first, "factomd_p2p_tech_sendroutines", b.node), 1)
      assert.strictEqual(series(first, "factomd_p2p_messages_sent_total", a.node), 5)
      assert.strictEqual(series(first, "factomd_p2p_messages_received_total", b.node), 5)

      for (let i = 0; i < 7; i++) yield* a.network.send(Parcel.make(peer.hash, text(`second ${i} `.repeat(250))))
      yield* receive(b, 7)
      // the sampler (every 100 ms) picks them up by itself
      const second = yield* eventually(
        "the sampler to see the second batch",
        scrape(endpoint.url),
        (s) => (seriesValue(s, "factomd_p2p_messages_received_total", b.node) ?? 0) >= 12,
        "5 seconds"
      )
      const grew = (name: string, node: string) =>
        assert.isAbove(series(second, name, node), series(first, name, node), `${name}{node="${node}"} grew`)
      grew("factomd_p2p_parcels_sent_total", a.node)
      grew("factomd_p2p_messages_sent_total", a.node)
      grew("factomd_p2p_bytes_sent_total", a.node)
      grew("factomd_p2p_parcels_received_total", b.node)
      grew("factomd_p2p_messages_received_total", b.node)
      grew("factomd_p2p_bytes_received_total", b.node)
      grew("factomd_p2p_parcels_size_count", b.node)
      assert.strictEqual(series(second, "factomd_p2p_messages_sent_total", a.node), 12)
      assert.strictEqual(series(second, "factomd_p2p_messages_received_total", b.node), 12)
      // 2.5 KB payloads: in the le="4" KiB bucket, not in le="2"
      const le = (bound: string) => series(second, "factomd_p2p_parcels_size_bucket", b.node, `le="${bound}"`)
      assert.isAtLeast(le("4") - le("2"), 7)
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
      yield* eventually("b sees a", b.network.total, (n) => n === 1)
      for (let i = 0; i < 3; i++) yield* a.network.send(Parcel.make(peer.hash, text(`only a sends ${i}`)))
      yield* receive(b, 3)
      yield* a.metrics.sample
      yield* b.metrics.sample
      const scraped = yield* scrape(endpoint.url)
      assert.strictEqual(series(scraped, "factomd_p2p_messages_sent_total", a.node), 3)
      assert.strictEqual(series(scraped, "factomd_p2p_messages_sent_total", b.node), 0)
      assert.strictEqual(series(scraped, "factomd_p2p_messages_received_total", a.node), 0)
      assert.strictEqual(series(scraped, "factomd_p2p_messages_received_total", b.node), 3)
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
      const taken = yield* Effect.flip(Layer.build(Telemetry.prometheus({ host: "127.0.0.1", port: endpoint.port })))
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
      assert.deepInclude(yield* sent, { count: 0 }, "not sampled yet")
      yield* TestClock.adjust("1 second")
      assert.deepInclude(yield* sent, { count: 4 })
      assert.deepInclude(yield* online, { value: 1 })

      // the peer leaves before the next sample: its parcels still count
      for (let i = 0; i < 2; i++) yield* a.network.send(Parcel.make(peer.hash, text(`late ${i}`)))
      yield* receive(b, 2)
      yield* a.network.disconnect(peer.hash)
      yield* TestClock.adjust("1 second")
      assert.deepInclude(yield* sent, { count: 6 })
      assert.deepInclude(yield* online, { value: 0 })
      const parcels = yield* snapshotOf(Metrics.names.parcelsSent, a.node)
      assert.isAtLeast((parcels as Metric.CounterState<number>).count, 6)
    })
  )

  it.effect("the metrics hook gets every connected peer's metrics about once a second, until removed", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const a = yield* startMetered({ memory, host: "10.9.1.1" })
      const b = yield* startMetered({ memory, host: "10.9.1.2" })
      const peer: Peer.Peer = yield* a.network.dial(b.endpoint)
      const calls = yield* Queue.unbounded<ReadonlyMap<string, Peer.PeerMetrics>>()
      yield* a.network.setMetricsHook((m) => Queue.offer(calls, m))
      yield* TestClock.adjust("500 millis")
      assert.strictEqual(yield* Queue.size(calls), 0)
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual(yield* Queue.size(calls), 3)
      const [first] = yield* Queue.takeAll(calls)
      assert.deepStrictEqual([...first!.keys()], [peer.hash])
      assert.strictEqual(first!.get(peer.hash)?.connectionState, `v${peer.protocol.version}`)

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

  it("Traffic: Go's KiB buckets, application parcels, both directions", () => {
    const t = new Traffic.Traffic()
    const at = (bytes: number) => {
      const before = Array.from(t.sizes)
      t.received(ParcelType.Ping, bytes)
      return Array.from(t.sizes).findIndex((n, i) => n !== before[i])
    }
    assert.deepStrictEqual(Traffic.SIZE_BOUNDARIES_KIB.slice(0, 4), [1, 2, 4, 8])
    assert.strictEqual(Traffic.SIZE_BOUNDARIES_KIB.at(-1), 32768)
    assert.strictEqual(at(0), 0)
    assert.strictEqual(at(1024), 0)
    assert.strictEqual(at(1025), 1)
    assert.strictEqual(at(2048), 1)
    assert.strictEqual(at(3000), 2)
    assert.strictEqual(at(32768 * 1024), 15)
    assert.strictEqual(at(32768 * 1024 + 1), 16)
    assert.strictEqual(t.appReceived, 0)
    t.received(ParcelType.Message, 10)
    t.received(ParcelType.MessagePart, 10)
    t.sent(ParcelType.Message, 10)
    t.sent(ParcelType.Pong, 10)
    assert.deepStrictEqual([t.appReceived, t.appSent], [2, 1])
    assert.strictEqual(
      Array.from(t.sizes).reduce((a, b) => a + b),
      11
    )
  })

  it.effect("Traffic.connecting counts a dial or handshake while it runs, however it ends", () =>
    Effect.gen(function* () {
      const t = new Traffic.Traffic()
      const connecting = Traffic.connecting(t)
      const seen = yield* connecting(Effect.sync(() => t.connecting))
      assert.strictEqual(seen, 1)
      yield* Effect.flip(connecting(Effect.fail("refused")))
      const fiber = yield* Effect.forkChild(connecting(Effect.never))
      yield* Effect.yieldNow
      assert.strictEqual(t.connecting, 1)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(t.connecting, 0)
    })
  )
})
