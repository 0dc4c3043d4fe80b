import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Result, Stream } from "effect"
import { Endpoint, Parcel, ParcelType } from "@catp2p/p2p"
import { eventually, rawPeer, readParcels, receive, show, startNode, text } from "./node-support.ts"

describe("the controller", () => {
  it.live("answers a protocol 9 hello (a Peer-Request) with a peer share, never offering the asker", () =>
    Effect.gen(function* () {
      const B = yield* startNode()
      const C = yield* startNode()
      yield* C.network.dial(B.endpoint)
      yield* eventually("B has C", B.network.total, (n) => n === 1)
      const v9 = yield* rawPeer(B.endpoint, 0x99, 9)
      assert.strictEqual(v9.settled.protocol.version, 9)
      const [share] = yield* readParcels(v9, 1)
      assert.strictEqual(share!.type, ParcelType.PeerResponse)
      const offered = Result.getOrThrow(v9.settled.protocol.parsePeerShare(share!.payload)).map(Endpoint.format)
      assert.deepStrictEqual(offered, [Endpoint.format(C.endpoint)])
    })
  )

  it.live("answers Ping with Pong, and rate-limits Peer-Requests", () =>
    Effect.gen(function* () {
      const B = yield* startNode()
      const C = yield* startNode()
      yield* C.network.dial(B.endpoint)
      const raw = yield* rawPeer(B.endpoint, 0x42, 11)
      const p = raw.settled.protocol
      yield* raw.connection.write([
        p.encodeParcel(Parcel.ofType(ParcelType.Ping, text("Ping"))),
        p.encodeParcel(Parcel.ofType(ParcelType.PeerRequest, text("Peer Request"))),
        p.encodeParcel(Parcel.ofType(ParcelType.PeerRequest, text("Peer Request")))
      ])
      const got = yield* readParcels(raw, 2)
      assert.deepStrictEqual(
        got.map((x) => x.type),
        [ParcelType.Pong, ParcelType.PeerResponse]
      )
      assert.strictEqual(show(got[0]!), "Pong")
      yield* eventually(
        "second request ignored",
        Effect.sync(() => B.stats.counters().peerRequestsTooSoon),
        (n) => n === 1
      )
    })
  )

  it.live("delivers a MessagePart to the application as a Message", () =>
    Effect.gen(function* () {
      const B = yield* startNode()
      const raw = yield* rawPeer(B.endpoint, 0x77, 10)
      yield* raw.connection.write([
        raw.settled.protocol.encodeParcel(Parcel.ofType(ParcelType.MessagePart, text("part")))
      ])
      const [got] = yield* receive(B, 1)
      assert.strictEqual(got!.type, ParcelType.Message)
      assert.strictEqual(show(got!), "part")
      assert.strictEqual(got!.address, `127.0.0.1:9 00000077`)
    })
  )

  it.live("closes a peer that sends a parcel of type 10 or above, or an empty payload", () =>
    Effect.gen(function* () {
      // every bad peer comes from 127.0.0.1: no discouragement, so each one gets to send (see attacks/)
      const B = yield* startNode({ discourageTime: Duration.zero })
      for (const [version, parcel] of [
        [10, { type: 10 as ParcelType.ParcelType, address: "", payload: text("x") }],
        [11, { type: 200 as ParcelType.ParcelType, address: "", payload: text("x") }],
        [9, Parcel.make("", new Uint8Array(0))],
        [11, Parcel.make("", new Uint8Array(0))]
      ] as const) {
        const raw = yield* rawPeer(B.endpoint, 0x10 + version, version)
        yield* raw.connection.write([raw.settled.protocol.encodeParcel(parcel)])
        const closed = yield* Effect.flip(Effect.forever(raw.connection.read))
        assert.strictEqual(closed.reason, "Closed")
      }
      yield* eventually("all closed", B.network.total, (n) => n === 0)
      assert.strictEqual(B.stats.counters().invalid, 4)
    })
  )

  it.live("does not send a payload back to the peer that sent it (PeerResendFilter)", () =>
    Effect.gen(function* () {
      const B = yield* startNode()
      const A = yield* startNode()
      const C = yield* startNode()
      const bAtA = yield* A.network.dial(B.endpoint)
      yield* C.network.dial(B.endpoint)
      yield* eventually("B has A and C", B.network.total, (n) => n === 2)
      yield* A.network.send(Parcel.make(bAtA.hash, text("gossip")))
      const [got] = yield* receive(B, 1)
      // re-broadcast what A sent: only C gets it
      assert.strictEqual(yield* B.network.send(Parcel.make(Parcel.FullBroadcast, got!.payload)), 1)
      assert.strictEqual(show((yield* receive(C, 1))[0]!), "gossip")
      // a different payload goes to both
      assert.strictEqual(yield* B.network.send(Parcel.make(Parcel.FullBroadcast, text("new"))), 2)
    })
  )

  it.live("a paced sender loses nothing to an application slower than the network: its reader waits for room", () =>
    Effect.gen(function* () {
      const B = yield* startNode({ channelCapacity: 8 })
      const A = yield* startNode({ channelCapacity: 8 })
      const peer = yield* A.network.dial(B.endpoint)
      const n = 300
      const reading = yield* Effect.forkChild(
        B.network.messages.pipe(
          Stream.take(n),
          Stream.tap(() => Effect.sleep("1 millis")),
          Stream.runCollect
        )
      )
      for (let i = 0; i < n; i++) yield* A.network.sendBlocking(Parcel.make(peer.hash, text(`m${i}`)))
      const got = yield* Fiber.join(reading).pipe(
        Effect.timeoutOrElse({ duration: "20 seconds", orElse: () => Effect.die(new Error("parcels lost")) })
      )
      assert.deepStrictEqual(
        got.map(show),
        Array.from({ length: n }, (_, i) => `m${i}`)
      )
      assert.strictEqual(B.stats.counters().droppedFromNetwork, 0)
      assert.strictEqual((yield* A.network.info).dropped, 0)
    })
  )

  it.live("when the application does not read, the older half of its queue is dropped and counted", () =>
    Effect.gen(function* () {
      const B = yield* startNode({ channelCapacity: 10 })
      const A = yield* startNode()
      const peer = yield* A.network.dial(B.endpoint)
      for (let i = 0; i < 11; i++) yield* A.network.sendBlocking(Parcel.make(peer.hash, text(`m${i}`)))
      yield* eventually(
        "dropped",
        Effect.sync(() => B.stats.counters().droppedFromNetwork),
        (n) => n > 0
      )
      assert.strictEqual(B.stats.counters().droppedFromNetwork, 5)
      const got = yield* receive(B, 6)
      assert.deepStrictEqual(got.map(show), ["m5", "m6", "m7", "m8", "m9", "m10"])
    })
  )
})
