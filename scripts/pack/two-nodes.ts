// Installed-package check (scripts/check-pack.sh), in TypeScript: type-checked
// with strict and skipLibCheck: false against the installed .d.ts, then run by
// Node's type stripping.
import { Config, Endpoint, Network, NetworkId, P2PLayer, Parcel } from "@catp2p/p2p"
import { NodeRuntime } from "@effect/platform-node"
import { Context, Duration, Effect, Layer, Result, type Scope, Stream } from "effect"

const node = (name: string): Effect.Effect<Network.NetworkService, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const config: Config.Config = Result.getOrThrow(
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
  const first: Parcel.Parcel | undefined = got[0]
  const text = first === undefined ? "" : new TextDecoder().decode(first.payload)
  if (text !== "hello from a") return yield* Effect.fail(`b received ${JSON.stringify(text)}`)
  yield* Effect.log(`typescript: b received "${text}"`)
})

NodeRuntime.runMain(Effect.scoped(program).pipe(Effect.timeout(Duration.seconds(30))))
