import { assert, describe, it } from "@effect/vitest"
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base"
import { Context, Duration, Effect, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import { Config, Endpoint, Network, NetworkId, P2PLayer, Telemetry } from "@catp2p/p2p"
import { MemoryTransport } from "@catp2p/p2p/testing"

describe("Network spans", () => {
  it.effect("the application's calls are traced under their Network.* names; send is not", () => {
    const exporter = new InMemorySpanExporter()
    return Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const node = (host: string) => {
        const config = Result.getOrThrow(
          Config.make({
            network: NetworkId.fromName("spans"),
            nodeName: host,
            bindIp: host,
            listenPort: "8108",
            targetPeers: 1,
            minReseed: 0,
            roundTime: Duration.hours(1)
          })
        )
        return Effect.map(Layer.build(P2PLayer.layerWith(config, MemoryTransport.layerHost(memory, host))), (c) =>
          Context.get(c, Network.Network)
        )
      }
      const a = yield* node("10.9.0.1")
      yield* node("10.9.0.2")
      const peer = yield* a.dial(Endpoint.unsafeMake("10.9.0.2", "8108"))
      yield* a.peers
      yield* a.info
      yield* a.send({ type: 6, address: peer.hash, payload: new Uint8Array([1]) })
      yield* a.setSpecial("10.9.0.3")
      yield* Effect.flip(a.setSpecial("not an address"))
      yield* a.ban(peer.hash)
      yield* a.disconnect(peer.hash)
      yield* TestClock.adjust("1 second")

      const names = exporter.getFinishedSpans().map((s) => s.name)
      for (const name of ["Network.dial", "Network.peers", "Network.info", "Network.ban", "Network.disconnect"]) {
        assert.include(names, name)
      }
      assert.strictEqual(names.filter((n) => n === "Network.setSpecial").length, 2)
      assert.notInclude(names, "Network.send", "send, the hot path, has no span")
      // the node's own dial span is a child of the application's call
      const spans = exporter.getFinishedSpans()
      const call = spans.find((s) => s.name === "Network.dial")!
      const dial = spans.find((s) => s.name === "p2p.dial" && s.attributes["p2p.peer.address"] === "10.9.0.2:8108")!
      assert.strictEqual(dial.parentSpanContext?.spanId, call.spanContext().spanId)
    }).pipe(Effect.provide(Telemetry.layerTracing(exporter, { batch: false })))
  })
})
