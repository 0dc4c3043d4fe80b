/**
 * Rules on single peers, on the in-memory transport under TestClock: the
 * read and write deadlines close a peer (and only it); a manual ban keeps
 * an IP out for `manualBan`, then lets it in again.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import { Parcel, type PeerInfo } from "@catp2p/p2p"
import { MemoryTransport } from "@catp2p/p2p/testing"
import { hostOf, memoryNode, scriptedPeer, settle } from "../support/memory.ts"

const NODE = hostOf(0)

/** Why a peer ended, or undefined while it runs. */
const closedReason = (peer: PeerInfo.PeerInfo) =>
  Effect.map(peer.closedYet, (closed) => (closed._tag === "Some" ? closed.value.reason : undefined))

describe("peer deadlines and manual bans", () => {
  it.effect("a peer that sends nothing for readDeadline is closed (ReadTimeout); a peer that pings stays", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const silent = yield* scriptedPeer(memory, hostOf(1), { pongs: false })
      // a real node: it pings a link it has not written to for pingInterval (15 s)
      const chatty = yield* memoryNode(memory, hostOf(2), { targetPeers: 1, minReseed: 0 })
      const node = yield* memoryNode(memory, NODE, {
        targetPeers: 2,
        minReseed: 0,
        readDeadline: Duration.seconds(30),
        pingInterval: Duration.seconds(10)
      })
      const quiet = yield* node.network.dial(silent.endpoint)
      const talking = yield* node.network.dial(chatty.endpoint)
      yield* TestClock.adjust("30 seconds")
      assert.isUndefined(yield* closedReason(quiet), "not before the deadline")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* closedReason(quiet), "ReadTimeout")
      yield* settle()
      assert.strictEqual(silent.open(), 0, "its connection is closed")
      // a peer whose bytes keep coming is never late, however long it lives
      yield* TestClock.adjust("2 minutes")
      assert.isUndefined(yield* closedReason(talking))
      assert.strictEqual(yield* chatty.network.total, 1)
    })
  )

  it.effect("a peer that stops reading is closed once a write has waited writeDeadline (WriteTimeout)", () =>
    Effect.gen(function* () {
      // small buffers: the second 4 KiB parcel waits for the reader that never comes
      const memory = yield* MemoryTransport.makeNetwork({ maxBufferedBytes: 1024 })
      const stalled = yield* scriptedPeer(memory, hostOf(1), { reads: false })
      const reading = yield* scriptedPeer(memory, hostOf(2))
      const node = yield* memoryNode(memory, NODE, {
        targetPeers: 2,
        minReseed: 0,
        readDeadline: Duration.hours(1),
        writeDeadline: Duration.seconds(30)
      })
      const peer = yield* node.network.dial(stalled.endpoint)
      const other = yield* node.network.dial(reading.endpoint)
      const payload = new Uint8Array(4096)
      for (let i = 0; i < 2; i++) {
        assert.strictEqual(yield* node.network.send(Parcel.make(peer.hash, payload)), 1)
        yield* settle()
      }
      yield* TestClock.adjust("30 seconds")
      assert.isUndefined(yield* closedReason(peer), "not before the deadline")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* closedReason(peer), "WriteTimeout")
      // the other peer is untouched, and still gets what is sent to it
      assert.isUndefined(yield* closedReason(other))
      yield* node.network.send(Parcel.make(other.hash, payload))
      yield* settle()
      assert.isTrue(reading.received.some((r) => r.parcel.payload.length === payload.length))
    })
  )

  it.effect("a manual ban disconnects an IP and refuses it both ways for manualBan, then lets it connect again", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const banning = yield* memoryNode(memory, hostOf(1), {
        targetPeers: 1,
        minReseed: 0,
        manualBan: Duration.minutes(10)
      })
      const banned = yield* memoryNode(memory, hostOf(2), { targetPeers: 1, minReseed: 0 })
      yield* banned.network.dial(banning.endpoint)
      yield* settle()
      const [peer] = yield* banning.network.peers
      assert.isDefined(peer)
      yield* banning.network.ban(peer!.hash)
      yield* settle()
      assert.strictEqual(yield* banned.network.total, 0, "disconnected")
      const refusedBothWays = Effect.gen(function* () {
        const incoming = yield* Effect.flip(banned.network.dial(banning.endpoint))
        // refused with a rejection (alternatives, none here), as Go answers a banned IP
        assert.strictEqual(incoming._tag === "HandshakeError" && incoming.reason._tag, "Rejected", "it may not connect")
        const outgoing = yield* Effect.flip(banning.network.dial(banned.endpoint))
        assert.strictEqual(outgoing._tag === "DialError" && outgoing.reason, "Banned", "it is not dialed")
        assert.strictEqual(yield* banning.network.total, 0)
      })
      yield* refusedBothWays
      yield* TestClock.adjust(Duration.seconds(599))
      yield* refusedBothWays
      yield* TestClock.adjust(Duration.seconds(1))
      yield* banned.network.dial(banning.endpoint)
      yield* settle()
      assert.strictEqual(yield* banning.network.total, 1, "the ban has expired")
    })
  )
})
