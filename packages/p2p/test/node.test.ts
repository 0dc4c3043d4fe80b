import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { Endpoint, NetworkId, Parcel, ParcelType } from "@catp2p/p2p"
import { LISTEN_BURST } from "../src/internal/node/Listener.ts"
import { eventually, receive, show, startNode, text } from "./node-support.ts"

type Version = 9 | 10 | 11
const versions: ReadonlyArray<Version> = [9, 10, 11]
const settles = (a: Version, b: Version) => (a === 11 ? 11 : a === 9 || b === 9 ? 9 : 10)

const reasonOf = (e: unknown): string => {
  const err = e as { _tag?: string; reason?: { _tag?: string } | string }
  if (err._tag === "HandshakeError") return (err.reason as { _tag: string })._tag
  if (err._tag === "DialError") return `Dial:${err.reason as string}`
  return String(err._tag)
}
const dialFailure = (effect: Effect.Effect<unknown, unknown>) => Effect.flip(effect).pipe(Effect.map(reasonOf))

describe("nodes over TCP on 127.0.0.1", () => {
  for (const a of versions) {
    for (const b of versions) {
      it.live(`v${a} dials v${b}: settles on v${settles(a, b)} and exchanges parcels both ways`, () =>
        Effect.gen(function* () {
          const A = yield* startNode({ protocolVersion: a })
          const B = yield* startNode({ protocolVersion: b })
          const peer = yield* A.network.dial(B.endpoint)
          assert.strictEqual(peer.version, settles(a, b))
          assert.strictEqual(
            peer.hash,
            `127.0.0.1:${B.endpoint.port} ${B.network.nodeId.toString(16).padStart(8, "0")}`
          )
          yield* eventually("B sees A", B.network.total, (n) => n === 1)
          const [atB] = yield* B.network.peers
          assert.strictEqual(
            atB!.hash,
            `127.0.0.1:${A.endpoint.port} ${A.network.nodeId.toString(16).padStart(8, "0")}`
          )
          assert.strictEqual(atB!.version, settles(a, b))

          yield* A.network.send(Parcel.make(peer.hash, text(`to B from v${a}`)))
          const [got] = yield* receive(B, 1)
          assert.strictEqual(show(got!), `to B from v${a}`)
          assert.strictEqual(got!.address, atB!.hash)
          assert.strictEqual(got!.type, ParcelType.Message)
          // reply to the sender's address
          yield* B.network.send(Parcel.make(got!.address, text("reply")))
          const [back] = yield* receive(A, 1)
          assert.strictEqual(show(back!), "reply")
          assert.strictEqual(back!.address, peer.hash)
        })
      )
    }
  }

  it.live("routes Broadcast, FullBroadcast and RandomPeer", () =>
    Effect.gen(function* () {
      const hub = yield* startNode({ fanout: 2 })
      const leaves = yield* Effect.forEach([9, 10, 11, 10] as const, (v) => startNode({ protocolVersion: v }))
      for (const leaf of leaves) yield* leaf.network.dial(hub.endpoint)
      yield* eventually("hub has 4 peers", hub.network.total, (n) => n === 4)

      yield* hub.network.send(Parcel.make(Parcel.FullBroadcast, text("full")))
      for (const leaf of leaves) assert.strictEqual(show((yield* receive(leaf, 1))[0]!), "full")

      // Broadcast reaches exactly `fanout` of 4 regular peers
      assert.strictEqual(yield* hub.network.send(Parcel.make(Parcel.Broadcast, text("some"))), 2)
      assert.strictEqual(yield* hub.network.send(Parcel.make(Parcel.RandomPeer, text("one"))), 1)
      assert.strictEqual(yield* hub.network.send(Parcel.make("", text("one"))), 1)
      assert.strictEqual(yield* hub.network.send(Parcel.make("127.0.0.1:1 00000000", text("nobody"))), 0)
      let got = 0
      for (const leaf of leaves) {
        const n = (yield* leaf.network.info).peers
        assert.strictEqual(n, 1)
      }
      yield* eventually(
        "4 more parcels delivered",
        Effect.map(
          Effect.forEach(leaves, (l) => l.network.peerMetrics),
          (ms) => ms.reduce((sum, m) => sum + [...m.values()].reduce((s, x) => s + x.messagesReceived, 0), 0)
        ),
        (n) => n >= 8
      )
      got = (yield* Effect.forEach(leaves, (l) => l.network.peerMetrics)).length
      assert.strictEqual(got, 4)
    })
  )

  it.live("special peers get every Broadcast on top of the fanout", () =>
    Effect.gen(function* () {
      const hub = yield* startNode({ fanout: 1 })
      const leaves = yield* Effect.forEach([1, 2, 3], () => startNode())
      for (const leaf of leaves) yield* leaf.network.dial(hub.endpoint)
      yield* eventually("hub has 3 peers", hub.network.total, (n) => n === 3)
      const specialLeaf = leaves[0]!
      yield* hub.network.setSpecial(`127.0.0.1:${specialLeaf.endpoint.port}`)
      for (let i = 0; i < 5; i++) {
        assert.strictEqual(yield* hub.network.send(Parcel.make(Parcel.Broadcast, text(`b${i}`))), 2)
      }
      const got = yield* receive(specialLeaf, 5)
      assert.deepStrictEqual(got.map(show), ["b0", "b1", "b2", "b3", "b4"])
      const bad = yield* Effect.flip(hub.network.setSpecial("not an endpoint!"))
      assert.strictEqual(bad.field, "special")
    })
  )

  it.live("moves messages split across reads and many messages per read", () =>
    Effect.gen(function* () {
      for (const v of versions) {
        const A = yield* startNode({ protocolVersion: v })
        const B = yield* startNode({ protocolVersion: v })
        const peer = yield* A.network.dial(B.endpoint)
        const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251)
        yield* A.network.sendBlocking(Parcel.make(peer.hash, big))
        for (let i = 0; i < 500; i++) yield* A.network.sendBlocking(Parcel.make(peer.hash, text(`m${i}`)))
        const got = yield* receive(B, 501)
        assert.strictEqual(got[0]!.payload.length, big.length)
        assert.isTrue(got[0]!.payload.every((x, i) => x === i % 251))
        assert.deepStrictEqual(
          got.slice(1).map(show),
          Array.from({ length: 500 }, (_, i) => `m${i}`)
        )
      }
    })
  )

  it.live("refuses a wrong network and a version below the minimum", () =>
    Effect.gen(function* () {
      const B = yield* startNode({ protocolVersionMinimum: 10, protocolVersion: 10 })
      const other = yield* startNode({ network: NetworkId.fromName("another network") })
      assert.strictEqual(yield* dialFailure(other.network.dial(B.endpoint)), "Closed")
      const old = yield* startNode({ protocolVersion: 9 })
      assert.strictEqual(yield* dialFailure(old.network.dial(B.endpoint)), "Closed")
      assert.strictEqual(yield* B.network.total, 0)
      // and the dialer checks the reply the same way
      const strict = yield* startNode({ protocolVersionMinimum: 10, protocolVersion: 10 })
      const v9 = yield* startNode({ protocolVersion: 9 })
      assert.strictEqual(yield* dialFailure(strict.network.dial(v9.endpoint)), "VersionTooLow")
    })
  )

  it.live("detects dialing itself by the loopback nonce, and bans that endpoint", () =>
    Effect.gen(function* () {
      const A = yield* startNode()
      assert.strictEqual(yield* dialFailure(A.network.dial(A.endpoint)), "Loopback")
      assert.strictEqual(yield* dialFailure(A.network.dial(A.endpoint)), "Dial:Banned")
      // the accepting half of the self-connection goes away with the connection
      yield* eventually("no peers", A.network.total, (n) => n === 0)
    })
  )

  it.live("a full node rejects with alternatives, which the dialer gets as a typed error", () =>
    Effect.gen(function* () {
      const B = yield* startNode({ maxPeers: 2, maxIncoming: 2, targetPeers: 2, dropTo: 2, minReseed: 1 })
      const C1 = yield* startNode()
      const C2 = yield* startNode()
      const p1 = yield* C1.network.dial(B.endpoint)
      const p2 = yield* C2.network.dial(B.endpoint)
      yield* eventually("B is full", B.network.total, (n) => n === 2)
      // useful peers (they sent an application parcel): a full node keeps them (idle ones it would evict)
      yield* C1.network.send(Parcel.make(p1.hash, text("useful 1")))
      yield* C2.network.send(Parcel.make(p2.hash, text("useful 2")))
      yield* receive(B, 2)
      for (const v of versions) {
        // from another loopback address: alternatives never include the refused peer's own IP
        const A = yield* startNode({ protocolVersion: v, bindIp: "127.0.0.2" })
        const error = yield* Effect.flip(A.network.dial(B.endpoint))
        assert.strictEqual(error._tag, "HandshakeError")
        if (error._tag !== "HandshakeError" || error.reason._tag !== "Rejected")
          return assert.fail(`not rejected: ${reasonOf(error)}`)
        const offered = error.reason.alternatives.map(Endpoint.format).sort()
        assert.deepStrictEqual(offered, [Endpoint.format(C1.endpoint), Endpoint.format(C2.endpoint)].sort())
      }
    })
  )

  it.live("a ban disconnects the peer and refuses it until it expires", () =>
    Effect.gen(function* () {
      const A = yield* startNode()
      const B = yield* startNode()
      yield* A.network.dial(B.endpoint)
      yield* eventually("B sees A", B.network.total, (n) => n === 1)
      const [atB] = yield* B.network.peers
      yield* B.network.ban(atB!.hash)
      yield* eventually("A disconnected", A.network.total, (n) => n === 0)
      // as Go does: a rejection (with alternatives, none here), not a silent close
      assert.strictEqual(yield* dialFailure(A.network.dial(B.endpoint)), "Rejected")
      assert.strictEqual(yield* B.network.total, 0)
    })
  )

  it.live("ListenLimit: one IP gets a burst of connections, then one per listenLimit", () =>
    Effect.gen(function* () {
      const B = yield* startNode({ listenLimit: Duration.minutes(1) })
      const dialers = yield* Effect.forEach(
        Array.from({ length: LISTEN_BURST + 1 }, (_, i) => i),
        () => startNode()
      )
      for (const d of dialers.slice(0, LISTEN_BURST)) yield* d.network.dial(B.endpoint)
      assert.strictEqual(yield* dialFailure(dialers[LISTEN_BURST]!.network.dial(B.endpoint)), "Closed")
      assert.isAtLeast(B.stats.counters().refused, 1)
    })
  )

  it.live("the per-IP limit refuses a second peer from the same IP with alternatives", () =>
    Effect.gen(function* () {
      const B = yield* startNode({ peerIpLimitIncoming: 1 })
      const A = yield* startNode()
      const C = yield* startNode()
      yield* A.network.dial(B.endpoint)
      yield* eventually("B has A", B.network.total, (n) => n === 1)
      assert.strictEqual(yield* dialFailure(C.network.dial(B.endpoint)), "Rejected")
      // special IPs are exempt
      yield* B.network.setSpecial("127.0.0.1")
      yield* C.network.dial(B.endpoint)
      yield* eventually("B has A and C", B.network.total, (n) => n === 2)
    })
  )

  it.live("disconnect, and a peer that connects again is a new peer", () =>
    Effect.gen(function* () {
      const A = yield* startNode()
      const B = yield* startNode()
      const first = yield* A.network.dial(B.endpoint)
      yield* A.network.disconnect(first.hash)
      yield* eventually("both sides dropped it", Effect.zip(A.network.total, B.network.total), ([a, b]) => a + b === 0)
      const second = yield* A.network.dial(B.endpoint)
      assert.notStrictEqual(first, second)
      assert.strictEqual(first.hash, second.hash)
      yield* eventually("B has A again", B.network.total, (n) => n === 1)
    })
  )
})
