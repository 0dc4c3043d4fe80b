import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import { Config, Endpoint, type Parcel, ParcelType, Wire } from "@catp2p/p2p"
import { NodeConfig } from "../../../src/internal/node/NodeConfig.ts"
import { Tick } from "../../../src/internal/node/Tick.ts"
import { Control } from "../../../src/internal/peer/Control.ts"

/** A control protocol over V11, recording what it sends and the Peer-Requests it ignores. */
const setup = () => {
  const sent: Array<Parcel.Parcel> = []
  const counts = { tooSoon: 0, lastReceive: 0 }
  const share = [Endpoint.unsafeMake("10.0.0.2", "8108"), Endpoint.unsafeMake("10.0.0.3", "8108")]
  const link = {
    endpoint: Endpoint.unsafeMake("10.0.0.1", "8108"),
    protocol: new Wire.V11.V11(),
    get lastReceive() {
      return counts.lastReceive
    },
    sendControl: (parcel: Parcel.Parcel) => {
      sent.push(parcel)
      return 0
    }
  }
  const control = new Control(
    link,
    { peerRequestInterval: Duration.seconds(10), pingInterval: Duration.seconds(15) },
    {
      shareFor: (exclude) => Effect.succeed(share.filter((ep) => !exclude(ep))),
      tooSoon: () => {
        counts.tooSoon++
      }
    }
  )
  return { control, sent, counts, share }
}

const parcel = (type: ParcelType.ParcelType, text = ""): Parcel.Parcel => ({
  type,
  address: "",
  payload: new TextEncoder().encode(text)
})

describe("a peer's control protocol", () => {
  it.effect("answers a Ping with a Pong, and a Peer-Request with a share at most once per peerRequestInterval", () =>
    Effect.gen(function* () {
      const { control, sent, counts, share } = setup()
      yield* control.handle(parcel(ParcelType.Ping, "Ping"), 0)
      assert.deepStrictEqual(
        sent.map((p) => p.type),
        [ParcelType.Pong]
      )
      yield* control.handle(parcel(ParcelType.PeerRequest), 1_000)
      yield* control.handle(parcel(ParcelType.PeerRequest), 10_999)
      assert.strictEqual(counts.tooSoon, 1)
      yield* control.handle(parcel(ParcelType.PeerRequest), 11_000)
      const answers = sent.filter((p) => p.type === ParcelType.PeerResponse)
      assert.strictEqual(answers.length, 2)
      const parsed = Result.getOrThrow(new Wire.V11.V11().parsePeerShare(answers[0]!.payload))
      assert.deepStrictEqual(
        parsed.map((e) => Endpoint.format(e)),
        share.map((e) => Endpoint.format(e))
      )
    })
  )

  it.effect("takes a Peer-Response only as the answer to its own Peer-Request, and gives up after the timeout", () =>
    Effect.gen(function* () {
      const { control, sent, counts } = setup()
      // unasked: ignored, the peer is not counted useful
      counts.lastReceive = 500
      yield* control.handle(parcel(ParcelType.PeerResponse, "[]"), 500)
      assert.strictEqual(control.lastPeerShare, 0)

      const asking = yield* Effect.forkChild(control.requestPeers("5 seconds", 1_000))
      yield* Effect.yieldNow
      assert.strictEqual(sent.at(-1)?.type, ParcelType.PeerRequest)
      assert.strictEqual(control.lastPeerSend, 1_000)
      counts.lastReceive = 1_200
      const answer = parcel(ParcelType.PeerResponse, "[]")
      yield* control.handle(answer, 1_200)
      assert.strictEqual(yield* Fiber.join(asking), answer)
      assert.strictEqual(control.lastPeerShare, 1_200)

      const unanswered = yield* Effect.forkChild(control.requestPeers("5 seconds", 2_000))
      yield* TestClock.adjust("5 seconds")
      assert.isUndefined(yield* Fiber.join(unanswered))
      // the request is over: a late answer is ignored
      counts.lastReceive = 9_000
      yield* control.handle(parcel(ParcelType.PeerResponse, "[]"), 9_000)
      assert.strictEqual(control.lastPeerShare, 1_200)
    })
  )

  it.effect("pings only a peer idle for pingInterval with nothing queued", () =>
    Effect.sync(() => {
      const { control, sent } = setup()
      control.pingIfIdle(15_000, 0, 0)
      control.pingIfIdle(15_001, 0, 3)
      control.pingIfIdle(15_001, 2, 0)
      assert.strictEqual(sent.length, 0)
      control.pingIfIdle(15_001, 0, 0)
      assert.deepStrictEqual(
        sent.map((p) => p.type),
        [ParcelType.Ping]
      )
    })
  )
})

describe("the node's one tick", () => {
  const config = Result.getOrThrow(Config.make({}))
  const tick = Tick.layer.pipe(Layer.provide(NodeConfig.layer(config, { tick: "1 second" })))

  it.effect("runs every registered maintenance once a tick, in order, until its scope closes", () =>
    Effect.gen(function* () {
      const { register } = yield* Tick
      const runs: Array<string> = []
      yield* register((now) => Effect.sync(() => runs.push(`a@${now}`)))
      const closeB = yield* Effect.forkChild(
        Effect.scoped(
          Effect.andThen(
            register((now) => Effect.sync(() => runs.push(`b@${now}`))),
            Effect.sleep("1500 millis")
          )
        )
      )
      yield* Effect.yieldNow
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(runs.slice(-2), ["a@1000", "b@1000"])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(closeB)
      // b's scope closed at 1.5 s: only a runs at 2 s
      assert.deepStrictEqual(runs.slice(-1), ["a@2000"])
      assert.isFalse(runs.includes("b@2000"))
    }).pipe(Effect.scoped, Effect.provide(tick))
  )
})
