/**
 * CAT round rules on the in-memory transport under TestClock: a round drops
 * exactly down to `dropTo` and keeps special peers; it rewrites the peer
 * file on disk while the node runs.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Random, Result } from "effect"
import { TestClock } from "effect/testing"
import { Config, Endpoint } from "@catp2p/p2p"
import { MemoryTransport, PeerFiles } from "@catp2p/p2p/testing"
import { hostOf, memoryNode, scriptedPeer, scriptedPeers, settle } from "../support/memory.ts"
import { tempDir } from "../support/environment.ts"

const NODE = hostOf(0)

/** A node connected to 7 scripted peers at hosts 1..7, of which the first `specials` are special (by IP). */
const nodeWithSevenPeers = (specials: number, dropTo: number) =>
  Effect.gen(function* () {
    const memory = yield* MemoryTransport.makeNetwork()
    const peers = yield* scriptedPeers(memory, 1, 7)
    const special = peers.slice(0, specials).map((p) => p.host)
    const node = yield* memoryNode(memory, NODE, {
      // at or above its target once the round is done: replenish dials nobody
      targetPeers: Math.min(dropTo, 7) || 1,
      minReseed: 0,
      dropTo,
      maxPeers: 10,
      maxIncoming: 10,
      roundTime: Duration.minutes(1),
      ...(specials === 0 ? {} : { special: Result.getOrThrow(Config.parseSpecial(special.join(";"))) })
    })
    for (const p of peers) yield* node.network.dial(p.endpoint)
    assert.strictEqual(yield* node.network.total, 7)
    const hosts = Effect.map(node.network.peers, (ps) => ps.map((p) => p.endpoint.ip))
    return { node, peers, special, hosts }
  })

describe("CAT rounds", () => {
  it.effect("a round with more than dropTo peers drops exactly down to dropTo, never a special peer", () =>
    Effect.gen(function* () {
      // the peers dropped are random: several draws
      for (const seed of [1, 2, 3, 4, 5]) {
        yield* Effect.scoped(
          Effect.gen(function* () {
            const { node, peers, special, hosts } = yield* nodeWithSevenPeers(2, 3)
            yield* TestClock.adjust("59 seconds")
            assert.strictEqual(yield* node.network.total, 7, "no round before roundTime")
            yield* TestClock.adjust("1 second")
            yield* settle()
            const left = yield* hosts
            assert.strictEqual(left.length, 3, `seed ${seed}: down to dropTo`)
            for (const s of special) assert.include(left, s, `seed ${seed}: special ${s} dropped`)
            // the dropped peers' connections are closed on their side too
            assert.strictEqual(
              peers.reduce((n, p) => n + p.open(), 0),
              3
            )
            // at dropTo, the next round drops nobody
            yield* TestClock.adjust("1 minute")
            yield* settle()
            assert.strictEqual(yield* node.network.rounds, 2)
            assert.sameMembers(yield* hosts, left)
          }).pipe(Random.withSeed(seed))
        )
      }
    })
  )

  it.effect(
    "when the special peers alone are more than dropTo, a round drops every other peer and keeps them all",
    () =>
      Effect.gen(function* () {
        const { special, hosts } = yield* nodeWithSevenPeers(4, 2)
        yield* TestClock.adjust("1 minute")
        yield* settle()
        assert.sameMembers(yield* hosts, special)
      })
  )

  it.effect("every round rewrites the peer file on disk with the peers of the moment, while the node runs", () =>
    Effect.gen(function* () {
      const file = join(yield* tempDir, "peers.json")
      const memory = yield* MemoryTransport.makeNetwork()
      const first = yield* scriptedPeer(memory, hostOf(1))
      const second = yield* scriptedPeer(memory, hostOf(2))
      // dropTo 0: each round drops every peer right after writing the file, so
      // a peer's end tells the test that the round's write is done
      const node = yield* memoryNode(memory, NODE, {
        peerCacheFile: file,
        roundTime: Duration.minutes(1),
        targetPeers: 1,
        minReseed: 0,
        dropTo: 0
      })
      const savedPeers = () => {
        const decoded = PeerFiles.decode(readFileSync(file, "utf8"))
        return Result.isSuccess(decoded) ? decoded.success.peers.map(Endpoint.format) : [`not a peer file`]
      }
      for (const peer of [first, second]) {
        const connected = yield* node.network.dial(peer.endpoint)
        writeFileSync(file, "changed by the test")
        yield* TestClock.adjust("1 minute")
        yield* connected.closed
        assert.deepStrictEqual(savedPeers(), [Endpoint.format(peer.endpoint)])
      }
      assert.strictEqual(yield* node.network.rounds, 2)
    })
  )
})
