/**
 * The controller's rules (ping, peer share, Peer-Request rate limit, message
 * parts, bad parcels, the resend filter, back-pressure and the drop policy
 * of the application queue), on the memory transport under TestClock: every
 * node and raw peer on a host of its own, time moved only by the test.
 * What the rules do is observed from outside: the parcels a raw peer reads,
 * whether its connection closes, `Network.info`, `Network.total`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Result, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Endpoint, Parcel, ParcelType } from "@catp2p/p2p"
import { MemoryTransport } from "@catp2p/p2p/testing"
import { hostOf, memoryNode, settle } from "../support/memory.ts"
import { rawPeerOn, readParcels, show, text } from "../support/node.ts"

/** A raw peer from `from` that completes a handshake in `version` with the node at `to`. */
const rawFrom = (
  memory: MemoryTransport.MemoryNetwork,
  from: string,
  to: Endpoint.Endpoint,
  nodeId: number,
  version: 9 | 10 | 11
) => rawPeerOn(MemoryTransport.make(memory, from), to, nodeId, version)

/** Everything a raw peer receives from now on, decoded, in the array it returns. */
const collect = (peer: Effect.Success<ReturnType<typeof rawFrom>>) =>
  Effect.gen(function* () {
    const got: Array<Parcel.Parcel> = []
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.flatMap(readParcels(peer, 1), (ps) =>
          Effect.sync(() => {
            got.push(...ps)
          })
        )
      ).pipe(Effect.ignore)
    )
    return got
  })

/** The next `n` application parcels of a node, taken while the clock stands still. */
const take = (node: Effect.Success<ReturnType<typeof memoryNode>>, n: number) =>
  node.network.messages.pipe(Stream.take(n), Stream.runCollect)

describe("the controller (memory transport, TestClock)", () => {
  it.effect("answers a protocol 9 hello (a Peer-Request) with a peer share, never offering the asker", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const B = yield* memoryNode(memory, hostOf(1))
      const C = yield* memoryNode(memory, hostOf(2))
      yield* C.network.dial(B.endpoint)
      yield* settle()
      assert.strictEqual(yield* B.network.total, 1)
      const v9 = yield* rawFrom(memory, hostOf(3), B.endpoint, 0x99, 9)
      assert.strictEqual(v9.settled.protocol.version, 9)
      const [share] = yield* readParcels(v9, 1)
      assert.strictEqual(share!.type, ParcelType.PeerResponse)
      const offered = Result.getOrThrow(v9.settled.protocol.parsePeerShare(share!.payload)).map(Endpoint.format)
      assert.deepStrictEqual(offered, [Endpoint.format(C.endpoint)])
    })
  )

  it.effect("answers Ping with Pong, and answers one Peer-Request per peerRequestInterval", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const B = yield* memoryNode(memory, hostOf(1))
      const C = yield* memoryNode(memory, hostOf(2))
      yield* C.network.dial(B.endpoint)
      const raw = yield* rawFrom(memory, hostOf(3), B.endpoint, 0x42, 11)
      const p = raw.settled.protocol
      const got = yield* collect(raw)
      const request = p.encodeParcel(Parcel.ofType(ParcelType.PeerRequest, text("Peer Request")))
      yield* raw.connection.write([p.encodeParcel(Parcel.ofType(ParcelType.Ping, text("Ping"))), request, request])
      yield* settle()
      // the answers, without what the node sends of its own accord (its Peer-Request, Pings)
      const answers = got.filter((x) => x.type === ParcelType.Pong || x.type === ParcelType.PeerResponse)
      assert.deepStrictEqual(
        answers.map((x) => x.type),
        [ParcelType.Pong, ParcelType.PeerResponse]
      )
      assert.strictEqual(show(answers[0]!), "Pong")
      // still too soon just before the interval; answered again once it has passed
      yield* TestClock.adjust(Duration.subtract(B.config.peerRequestInterval, Duration.millis(1)))
      yield* raw.connection.write([request])
      yield* settle()
      const shares = () => got.filter((x) => x.type === ParcelType.PeerResponse).length
      assert.strictEqual(shares(), 1, `${got.map((x) => x.type)}`)
      yield* TestClock.adjust("1 millis")
      yield* raw.connection.write([request])
      yield* settle()
      assert.strictEqual(shares(), 2)
    })
  )

  it.effect("delivers a MessagePart to the application as a Message", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const B = yield* memoryNode(memory, hostOf(1))
      const raw = yield* rawFrom(memory, hostOf(3), B.endpoint, 0x77, 10)
      yield* raw.connection.write([
        raw.settled.protocol.encodeParcel(Parcel.ofType(ParcelType.MessagePart, text("part")))
      ])
      const [got] = yield* take(B, 1)
      assert.strictEqual(got!.type, ParcelType.Message)
      assert.strictEqual(show(got!), "part")
      assert.strictEqual(got!.address, `${hostOf(3)}:9 00000077`)
    })
  )

  it.effect("closes a peer that sends a parcel of type 10 or above, or an empty payload; the others stay", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const B = yield* memoryNode(memory, hostOf(1))
      const C = yield* memoryNode(memory, hostOf(2))
      const bAtC = yield* C.network.dial(B.endpoint)
      let from = 10
      for (const [version, parcel] of [
        [10, { type: 10 as ParcelType.ParcelType, address: "", payload: text("x") }],
        [11, { type: 200 as ParcelType.ParcelType, address: "", payload: text("x") }],
        [9, Parcel.make("", new Uint8Array(0))],
        [11, Parcel.make("", new Uint8Array(0))]
      ] as const) {
        // each bad peer from an address of its own: discouragement does not refuse the next
        const raw = yield* rawFrom(memory, hostOf(from++), B.endpoint, 0x10 + version, version)
        yield* settle()
        assert.strictEqual(yield* B.network.total, 2)
        yield* raw.connection.write([raw.settled.protocol.encodeParcel(parcel)])
        const closed = yield* Effect.flip(Effect.forever(raw.connection.read))
        assert.strictEqual(closed.reason, "Closed")
        yield* settle()
        assert.strictEqual(yield* B.network.total, 1, `after ${version}/${parcel.type}`)
      }
      // the honest peer still gets through
      yield* C.network.send(Parcel.make(bAtC.hash, text("still here")))
      assert.strictEqual(show((yield* take(B, 1))[0]!), "still here")
    })
  )

  it.effect("does not send a payload back to the peer that sent it (PeerResendFilter)", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const B = yield* memoryNode(memory, hostOf(1))
      const A = yield* memoryNode(memory, hostOf(2))
      const C = yield* memoryNode(memory, hostOf(3))
      const bAtA = yield* A.network.dial(B.endpoint)
      yield* C.network.dial(B.endpoint)
      yield* settle()
      assert.strictEqual(yield* B.network.total, 2)
      yield* A.network.send(Parcel.make(bAtA.hash, text("gossip")))
      const [got] = yield* take(B, 1)
      // re-broadcast what A sent: only C gets it
      assert.strictEqual(yield* B.network.send(Parcel.make(Parcel.FullBroadcast, got!.payload)), 1)
      assert.strictEqual(show((yield* take(C, 1))[0]!), "gossip")
      // a different payload goes to both
      assert.strictEqual(yield* B.network.send(Parcel.make(Parcel.FullBroadcast, text("new"))), 2)
    })
  )

  it.effect("a paced sender loses nothing to an application slower than the network: its reader waits for room", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const B = yield* memoryNode(memory, hostOf(1), { channelCapacity: 8 })
      const A = yield* memoryNode(memory, hostOf(2), { channelCapacity: 8 })
      const peer = yield* A.network.dial(B.endpoint)
      const n = 300
      // the application takes one parcel every 10 ms: 3 s for all, three node ticks
      const reading = yield* Effect.forkChild(
        B.network.messages.pipe(
          Stream.take(n),
          Stream.tap(() => Effect.sleep("10 millis")),
          Stream.runCollect
        )
      )
      const sending = yield* Effect.forkChild(
        Effect.forEach(
          Array.from({ length: n }, (_, i) => i),
          (i) => A.network.sendBlocking(Parcel.make(peer.hash, text(`m${i}`))),
          { discard: true }
        )
      )
      for (let ms = 0; ms < 2 * n * 10 && reading.pollUnsafe() === undefined; ms += 10) {
        yield* TestClock.adjust("10 millis")
      }
      // 6 s of the application's time and it still waits: parcels were lost
      assert.isDefined(reading.pollUnsafe(), "the application did not get every parcel")
      yield* Fiber.join(sending)
      const got = yield* Fiber.join(reading)
      assert.deepStrictEqual(
        got.map(show),
        Array.from({ length: n }, (_, i) => `m${i}`)
      )
      assert.strictEqual((yield* B.network.info).dropped, 0)
      assert.strictEqual((yield* A.network.info).dropped, 0)
    })
  )

  it.effect(
    "when the application takes nothing for a node tick, the older half of its queue is dropped and counted",
    () =>
      Effect.gen(function* () {
        const memory = yield* MemoryTransport.makeNetwork()
        const B = yield* memoryNode(memory, hostOf(1), { channelCapacity: 10 })
        const A = yield* memoryNode(memory, hostOf(2))
        const peer = yield* A.network.dial(B.endpoint)
        for (let i = 0; i < 11; i++) yield* A.network.sendBlocking(Parcel.make(peer.hash, text(`m${i}`)))
        yield* settle()
        // full, one more waiting at the reader: nothing dropped before a whole tick has passed
        assert.strictEqual((yield* B.network.info).dropped, 0)
        yield* TestClock.adjust("2 seconds")
        yield* settle()
        assert.strictEqual((yield* B.network.info).dropped, 5)
        const got = yield* take(B, 6)
        assert.deepStrictEqual(got.map(show), ["m5", "m6", "m7", "m8", "m9", "m10"])
      })
  )
})
