import * as Http from "node:http"
import { assert, describe, it, vi } from "@effect/vitest"
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { Context, Duration, Effect, Layer, Logger, References } from "effect"
import { TestClock } from "effect/testing"
import { Endpoint, Network, NetworkId, P2PLayer, Telemetry } from "@catp2p/p2p"
import { MemoryTransport } from "@catp2p/p2p/testing"
import { startNode, testConfig } from "./support/node.ts"

const OK = 1
const ERROR = 2

const named = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((s) => s.name === name)
const only = (spans: ReadonlyArray<ReadableSpan>, name: string, where: (s: ReadableSpan) => boolean = () => true) => {
  const found = named(spans, name).filter(where)
  assert.strictEqual(found.length, 1, `one ${name} span`)
  return found[0]!
}
const attr = (key: string, value: unknown) => (s: ReadableSpan) => s.attributes[key] === value

describe("traces", () => {
  it.effect("dial, handshake, peer, replenish and round spans, with their attributes; peer logs carry the hash", () => {
    const exporter = new InMemorySpanExporter()
    const logs: Array<{ readonly message: string; readonly peer: unknown }> = []
    const capture = Logger.make((o) => {
      const message = Array.isArray(o.message) ? o.message.join(" ") : String(o.message)
      logs.push({ message, peer: o.fiber.getRef(References.CurrentLogAnnotations).peer })
    })
    return Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const start = (host: string, more: Parameters<typeof startNode>[0] = {}) =>
        startNode(
          {
            bindIp: host,
            listenPort: "8108",
            targetPeers: 1,
            minReseed: 0,
            roundTime: Duration.minutes(1),
            ...more
          },
          MemoryTransport.layerHost(memory, host)
        )
      const a = yield* start("10.8.0.1", { protocolVersion: 10 })
      const b = yield* start("10.8.0.2")
      const other = yield* start("10.8.0.3", { network: NetworkId.fromName("another network") })
      yield* TestClock.adjust("1 second") // a replenish pass on each node

      const peer = yield* a.network.dial(b.endpoint)
      // the other network's node hangs up on us: the dialer sees the connection close
      const wrong = yield* Effect.flip(a.network.dial(other.endpoint))
      assert.strictEqual(wrong._tag === "HandshakeError" && wrong.reason._tag, "Closed")
      yield* a.network.disconnect(peer.hash)
      yield* TestClock.adjust("1 minute") // the first CAT round
      const spans = exporter.getFinishedSpans()

      // the dial, and its handshake as a child
      const dial = only(spans, "p2p.dial", attr("p2p.peer.address", "10.8.0.2:8108"))
      assert.strictEqual(dial.attributes["p2p.dial.outcome"], "connected")
      assert.strictEqual(dial.attributes["p2p.peer.hash"], peer.hash)
      assert.strictEqual(dial.attributes["p2p.protocol.version"], 10)
      assert.strictEqual(dial.status.code, OK)
      const outgoing = only(spans, "p2p.handshake", (s) => s.parentSpanContext?.spanId === dial.spanContext().spanId)
      assert.strictEqual(outgoing.attributes["p2p.direction"], "outgoing")
      assert.strictEqual(outgoing.attributes["p2p.handshake.outcome"], "ok")
      assert.strictEqual(outgoing.attributes["p2p.protocol.version"], 10)
      assert.strictEqual(outgoing.attributes["p2p.peer.address"], "10.8.0.2:8108")
      assert.strictEqual(outgoing.spanContext().traceId, dial.spanContext().traceId)

      // the accepting side's handshake starts a trace of its own
      const incoming = only(
        spans,
        "p2p.handshake",
        (s) => s.attributes["p2p.direction"] === "incoming" && s.attributes["p2p.handshake.outcome"] === "ok"
      )
      assert.isUndefined(incoming.parentSpanContext)
      assert.strictEqual(incoming.attributes["p2p.protocol.version"], 10)
      assert.match(String(incoming.attributes["p2p.peer.address"]), /^10\.8\.0\.1:\d+$/)

      // a failed dial: the reason, on the dial and its handshake, and on the other side's handshake
      const failed = only(spans, "p2p.dial", attr("p2p.peer.address", "10.8.0.3:8108"))
      assert.strictEqual(failed.attributes["p2p.dial.outcome"], "Closed")
      assert.include(String(failed.attributes["p2p.dial.reason"]), "handshake failed (Closed)")
      assert.strictEqual(failed.status.code, ERROR)
      const hungUp = only(spans, "p2p.handshake", (s) => s.parentSpanContext?.spanId === failed.spanContext().spanId)
      assert.strictEqual(hungUp.attributes["p2p.handshake.outcome"], "Closed")
      assert.strictEqual(hungUp.status.code, ERROR)
      const refused = only(spans, "p2p.handshake", attr("p2p.handshake.outcome", "WrongNetwork"))
      assert.strictEqual(refused.attributes["p2p.direction"], "incoming")
      assert.isUndefined(refused.attributes["p2p.protocol.version"])
      assert.strictEqual(refused.status.code, ERROR)

      // the peer's lifetime on both sides, with why it ended
      const ours = only(spans, "p2p.peer", attr("p2p.peer.hash", peer.hash))
      assert.isUndefined(ours.parentSpanContext)
      assert.strictEqual(ours.attributes["p2p.direction"], "outgoing")
      assert.strictEqual(ours.attributes["p2p.protocol.version"], 10)
      assert.strictEqual(ours.attributes["p2p.peer.address"], "10.8.0.2:8108")
      assert.strictEqual(ours.attributes["p2p.peer.close_reason"], "Stopped")
      assert.strictEqual(ours.attributes["p2p.peer.close_message"], "disconnected")
      const theirs = only(spans, "p2p.peer", attr("p2p.direction", "incoming"))
      assert.strictEqual(theirs.attributes["p2p.peer.close_reason"], "RemoteClosed")
      assert.strictEqual(theirs.attributes["p2p.peer.address"], "10.8.0.1:8108")

      // CAT: replenish passes and the round
      const passes = named(spans, "p2p.replenish")
      assert.isAtLeast(passes.length, 3)
      assert.isTrue(passes.every((s) => s.attributes["p2p.peers.target"] === 1))
      const rounds = named(spans, "p2p.round")
      assert.strictEqual(rounds.length, 3, "one round per node")
      assert.isTrue(rounds.every((s) => s.attributes["p2p.round"] === 1 && s.attributes["p2p.round.dropped"] === 0))

      // logs in a peer's lifetime carry its hash
      const closedLog = logs.find((l) => l.message === "peer closed (Stopped): disconnected")
      assert.isDefined(closedLog)
      assert.strictEqual(closedLog!.peer, peer.hash)
    }).pipe(
      Effect.provide(Telemetry.layerTracing(exporter, { batch: false })),
      Effect.provide(Logger.layer([capture])),
      Effect.provideService(References.MinimumLogLevel, "Debug")
    )
  })

  it.effect("a tracer provided to a node's layer traces that node's own work only", () =>
    Effect.gen(function* () {
      const exporter = new InMemorySpanExporter()
      const memory = yield* MemoryTransport.makeNetwork()
      const node = (host: string, tracer?: Layer.Layer<never>) => {
        const layer = P2PLayer.layerWith(
          testConfig({ bindIp: host, listenPort: "8108", targetPeers: 1, minReseed: 0 }),
          MemoryTransport.layerHost(memory, host)
        )
        return Effect.map(Layer.build(tracer === undefined ? layer : Layer.provide(layer, tracer)), (c) =>
          Context.get(c, Network.Network)
        )
      }
      const a = yield* node("10.7.0.1", Telemetry.layerTracing(exporter, { batch: false }))
      const b = yield* node("10.7.0.2")
      yield* TestClock.adjust("1 second")
      // b (untraced) dials a (traced): a's side of it is recorded, b's is not
      const peer = yield* b.dial(Endpoint.unsafeMake("10.7.0.1", "8108"))
      yield* a.disconnect([...(yield* a.peerMetrics).keys()][0]!)
      const spans = exporter.getFinishedSpans()
      assert.strictEqual(named(spans, "p2p.dial").length, 0)
      only(spans, "p2p.handshake", attr("p2p.direction", "incoming"))
      only(spans, "p2p.peer", attr("p2p.direction", "incoming"))
      assert.isAtLeast(named(spans, "p2p.replenish").length, 1)
      assert.isTrue(named(spans, "p2p.replenish").every((s) => s.resource.attributes["service.name"] === "catp2p"))
      assert.notInclude(
        spans.map((s) => s.attributes["p2p.peer.hash"]),
        peer.hash,
        "b's peer span is not recorded"
      )
    })
  )

  it.live("OTLP/HTTP: spans are posted to the collector's URL (flushed when the layer closes)", () =>
    Effect.gen(function* () {
      const posts: Array<{ readonly url: string; readonly body: string }> = []
      const server = Http.createServer((req, res) => {
        let body = ""
        req.on("data", (c: Buffer) => {
          body += c.toString("latin1")
        })
        req.on("end", () => {
          posts.push({ url: req.url ?? "", body })
          res.writeHead(200, { "content-type": "application/json" }).end("{}")
        })
      })
      yield* Effect.acquireRelease(
        Effect.callback<void>((resume) => {
          server.listen(0, "127.0.0.1", () => resume(Effect.void))
        }),
        () => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
      )
      const port = (server.address() as { port: number }).port
      yield* Effect.void.pipe(
        Effect.withSpan("p2p.round", { attributes: { "p2p.round": 7 } }),
        Effect.provide(Telemetry.layerOtlpTracing({ url: `http://127.0.0.1:${port}/v1/traces`, serviceName: "otlp-test" }))
      )
      assert.strictEqual(posts.length, 1)
      assert.strictEqual(posts[0]!.url, "/v1/traces")
      assert.include(posts[0]!.body, "p2p.round")
      assert.include(posts[0]!.body, "otlp-test")
    })
  )

  it.effect("the console exporter prints each span as it ends", () =>
    Effect.gen(function* () {
      const printed: Array<unknown> = []
      const dir = vi.spyOn(console, "dir").mockImplementation((x) => void printed.push(x))
      yield* Effect.addFinalizer(() => Effect.sync(() => dir.mockRestore()))
      yield* Effect.void.pipe(
        Effect.withSpan("p2p.replenish", { attributes: { "p2p.peers": 3 } }),
        Effect.provide(Telemetry.layerConsoleTracing())
      )
      assert.strictEqual(printed.length, 1)
      assert.deepInclude(printed[0] as object, { name: "p2p.replenish", attributes: { "p2p.peers": 3 } })
    })
  )

  it("parses host:port for --metrics style flags", () => {
    const ok = (raw: string, host: string, port: number) => {
      const r = Telemetry.parseHostPort(raw)
      assert.isTrue(r._tag === "Success", raw)
      if (r._tag === "Success") assert.deepStrictEqual(r.success, { host, port })
    }
    ok("127.0.0.1:9100", "127.0.0.1", 9100)
    ok("0.0.0.0:0", "0.0.0.0", 0)
    ok(":9100", "127.0.0.1", 9100)
    ok("9100", "127.0.0.1", 9100)
    ok("[::1]:9100", "::1", 9100)
    ok("localhost:80", "localhost", 80)
    for (const bad of ["", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "host:port", "1:2:3"]) {
      assert.strictEqual(Telemetry.parseHostPort(bad)._tag, "Failure", bad)
    }
  })
})
