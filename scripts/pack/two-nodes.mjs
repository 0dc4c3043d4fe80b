// Installed-package check (scripts/check-pack.sh): two nodes on loopback,
// one parcel from A to B; exits 0 when it arrives, non-zero otherwise.
import { Config, Endpoint, Network, NetworkId, P2PLayer, Parcel } from "@catp2p/p2p"
import { NodeRuntime } from "@effect/platform-node"
import { Context, Duration, Effect, Layer, Result, Stream } from "effect"

const node = (name) =>
  Effect.gen(function* () {
    const config = Result.getOrThrow(
      Config.make({ network: NetworkId.fromName("pack-check"), nodeName: name, bindIp: "127.0.0.1", listenPort: "0" })
    )
    const context = yield* Layer.build(P2PLayer.layer(config))
    return Context.get(context, Network.Network)
  })

const program = Effect.gen(function* () {
  const a = yield* node("a")
  const b = yield* node("b")
  yield* a.dial(Endpoint.unsafeMake("127.0.0.1", String(b.address.port)))
  yield* a.send(Parcel.make(Parcel.Broadcast, new TextEncoder().encode("hello from a")))
  const got = yield* b.messages.pipe(Stream.take(1), Stream.runCollect)
  const text = new TextDecoder().decode(got[0].payload)
  if (text !== "hello from a") return yield* Effect.fail(`b received ${JSON.stringify(text)}`)
  yield* Effect.log(`esm: b received "${text}"`)
})

NodeRuntime.runMain(Effect.scoped(program).pipe(Effect.timeout(Duration.seconds(30))))
