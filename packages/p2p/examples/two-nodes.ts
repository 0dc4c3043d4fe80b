/**
 * Two catp2p nodes on loopback exchange messages and print them.
 *
 *   npm run example:two-nodes
 *
 * Each node is `P2PLayer.layer(config)` composed into an ordinary Effect
 * program: node A dials node B, both send a few parcels, each prints what it
 * receives, and the program ends, closing both nodes.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Context, Duration, Effect, Layer, Result, Stream } from "effect"
import { Config, Endpoint, Network, NetworkId, P2PLayer, Parcel } from "@catp2p/p2p"

const node = (name: string, protocolVersion: 9 | 10 | 11) =>
  Effect.gen(function* () {
    const config = Result.getOrThrow(
      Config.make({
        network: NetworkId.fromName("example"),
        nodeName: name,
        bindIp: "127.0.0.1",
        listenPort: "0", // any free port
        listenLimit: Duration.zero,
        protocolVersion
      })
    )
    const context = yield* Layer.build(P2PLayer.layer(config))
    return Context.get(context, Network.Network)
  })

const printMessages = (name: string, network: Network.NetworkService, count: number) =>
  network.messages.pipe(
    Stream.take(count),
    Stream.runForEach((parcel) =>
      Console.log(`[${name}] from ${parcel.address}: ${new TextDecoder().decode(parcel.payload)}`)
    )
  )

const program = Effect.gen(function* () {
  const a = yield* node("node-a", 10)
  const b = yield* node("node-b", 11)
  yield* Console.log(`node-a listens on ${a.address.port}, node-b on ${b.address.port}`)

  const bAtA = yield* a.dial(Endpoint.unsafeMake("127.0.0.1", String(b.address.port)))
  yield* Console.log(`node-a connected to ${bAtA.hash} using protocol ${bAtA.version}`)

  const readers = Effect.all([printMessages("node-a", a, 3), printMessages("node-b", b, 3)], { concurrency: 2 })
  const writers = Effect.gen(function* () {
    for (let i = 1; i <= 3; i++) {
      yield* a.send(Parcel.make(Parcel.Broadcast, new TextEncoder().encode(`hello #${i} from node-a`)))
      yield* b.send(Parcel.make(Parcel.RandomPeer, new TextEncoder().encode(`hello #${i} from node-b`)))
    }
  })
  yield* Effect.all([readers, writers], { concurrency: 2 })
  yield* Console.log("done: both nodes close with the program's scope")
})

NodeRuntime.runMain(Effect.scoped(program))
