import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Parcel, ParcelType } from "@catp2p/p2p"
import { dialFailure, eventually, receive, show, startNode, text } from "../support/node.ts"

type Version = 9 | 10 | 11
const versions: ReadonlyArray<Version> = [9, 10, 11]
const settles = (a: Version, b: Version) => (a === 11 ? 11 : a === 9 || b === 9 ? 9 : 10)


// End to end over real TCP on 127.0.0.1: every protocol pair, frames split
// across reads, dialing oneself. The node's rules on the memory transport
// under TestClock: node-rules.test.ts, controller.test.ts, abuse.test.ts.
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

  it.live("detects dialing itself by the loopback nonce, and bans that endpoint", () =>
    Effect.gen(function* () {
      const A = yield* startNode()
      assert.strictEqual(yield* dialFailure(A.network.dial(A.endpoint)), "Loopback")
      assert.strictEqual(yield* dialFailure(A.network.dial(A.endpoint)), "Dial:Banned")
      // the accepting half of the self-connection goes away with the connection
      yield* eventually("no peers", A.network.total, (n) => n === 0)
    })
  )
})
