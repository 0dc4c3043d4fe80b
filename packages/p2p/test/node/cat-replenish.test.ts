/**
 * CAT replenish rules, each on the in-memory transport under TestClock:
 * the dial limit of a pass, rejections' alternatives, the peer-request
 * timeout, the age of the peer file, redial backoff.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import { type Endpoint, ParcelType } from "@catp2p/p2p"
import { MemoryTransport, PeerFiles } from "@catp2p/p2p/testing"
import { hostOf, memoryNode, scriptedPeer, scriptedPeers, settle } from "../support/memory.ts"

const NODE = hostOf(0)

describe("CAT replenish", () => {
  it.effect("a pass makes at most 4 dials of 10 candidates; the next pass dials the next ones", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const log: Array<string> = []
      // ten full seeds: each rejects (no alternatives), so no dial ends a pass by reaching the target
      const seeds = yield* scriptedPeers(memory, 100, 10, { admit: { reject: [] }, log })
      yield* memoryNode(
        memory,
        NODE,
        // a rejecting seed is tried again only after about 5 s: each pass dials seeds it has not tried
        { targetPeers: 8, minReseed: 8, redialInterval: Duration.minutes(2) },
        { seeds: seeds.map((s) => s.endpoint) }
      )
      yield* settle()
      assert.strictEqual(log.length, 4, "the first pass, at start-up")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(log.length, 8, "the second pass")
      assert.strictEqual(new Set(log).size, 8, "eight different seeds")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(log.length, 10, "the third pass: the two seeds left")
      assert.strictEqual(new Set(log).size, 10)
    })
  )

  it.effect("a rejection's alternatives are dialed next, in the same pass, and count toward its 4 dials", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const log: Array<string> = []
      // a, b, c: full nodes, d accepts; all four known only from the seed's rejection
      const [a, b, c] = yield* scriptedPeers(memory, 200, 3, { admit: { reject: [] }, log })
      const d = yield* scriptedPeer(memory, hostOf(203), { log })
      const seed = yield* scriptedPeer(memory, hostOf(100), {
        admit: { reject: [a!.endpoint, b!.endpoint, c!.endpoint, d.endpoint] },
        log
      })
      const config = { targetPeers: 8, minReseed: 8, redialInterval: Duration.minutes(2) }
      yield* memoryNode(memory, NODE, config, { seeds: [seed.endpoint] })
      yield* settle()
      // the seed, then its alternatives in the order offered, until 4 dials
      assert.deepStrictEqual(log, [seed.host, a!.host, b!.host, c!.host])
      assert.deepStrictEqual(d.dials, [], "the fifth candidate waits for the next pass")
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(log, [seed.host, a!.host, b!.host, c!.host, d.host])
      assert.strictEqual(d.open(), 1, "connected to the alternative")
    })
  )

  it.effect(
    "a peer that does not answer a Peer-Request is given up after peerShareTimeout, stays connected, and is asked again by a later pass",
    () =>
      Effect.gen(function* () {
        const memory = yield* MemoryTransport.makeNetwork()
        const silent = yield* scriptedPeer(memory, hostOf(1)) // answers Pings, never a Peer-Request
        const node = yield* memoryNode(memory, NODE, {
          targetPeers: 8,
          minReseed: 0,
          peerShareTimeout: Duration.seconds(20),
          peerRequestInterval: Duration.seconds(5)
        })
        yield* node.network.dial(silent.endpoint)
        const requestTimes = () =>
          silent.received.filter((r) => r.parcel.type === ParcelType.PeerRequest).map((r) => r.at)
        yield* settle()
        // the next pass asks it (the one at start-up, or the one a second later)
        if (requestTimes().length === 0) yield* TestClock.adjust("1 second")
        const [asked] = requestTimes()
        assert.isDefined(asked)
        // no answer: the pass gives up 20 s later; the next one, a second after, asks again
        yield* TestClock.adjust("20 seconds")
        assert.deepStrictEqual(requestTimes(), [asked!], "within the timeout it is not asked again")
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(requestTimes(), [asked!, asked! + 21_000])
        yield* TestClock.adjust("20 seconds")
        assert.deepStrictEqual(requestTimes(), [asked!, asked! + 21_000])
        assert.strictEqual(yield* node.network.total, 1, "not dropped for its silence")
        assert.strictEqual(silent.open(), 1)
      })
  )

  it.effect("the peer file's peers are dialed first when it is younger than peerCacheAge, not when older", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const fresh = yield* scriptedPeer(memory, hostOf(1))
      const stale = yield* scriptedPeer(memory, hostOf(2))
      yield* TestClock.setTime(Duration.toMillis(Duration.days(1)))
      const now = Duration.toMillis(Duration.days(1))
      const fileOf = (peer: Endpoint.Endpoint, age: Duration.Duration) => {
        const store = PeerFiles.makeStore()
        store.saved = {
          text: PeerFiles.encode({ bans: new Map(), peers: [peer] }),
          savedAt: now - Duration.toMillis(age)
        }
        return store
      }
      const config = { peerCacheAge: Duration.hours(1), targetPeers: 4, minReseed: 0 }
      // no seeds: the peer file is the only way to either peer
      const a = yield* memoryNode(memory, hostOf(10), config, {
        peerFile: fileOf(fresh.endpoint, Duration.minutes(59))
      })
      const b = yield* memoryNode(memory, hostOf(11), config, {
        peerFile: fileOf(stale.endpoint, Duration.minutes(61))
      })
      yield* settle()
      assert.deepStrictEqual(fresh.dials, [now], "dialed at start-up")
      assert.strictEqual(yield* a.network.total, 1)
      yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual(stale.dials, [], "a file older than peerCacheAge is not bootstrapped from")
      assert.strictEqual(yield* b.network.total, 0)
    })
  )

  it.effect("after failed dials an endpoint is redialed only after a backoff that doubles up to redialInterval", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const seed = yield* scriptedPeer(memory, hostOf(100), { admit: "hangUp" })
      const redial = 30
      yield* memoryNode(
        memory,
        NODE,
        { targetPeers: 8, minReseed: 8, redialInterval: Duration.seconds(redial) },
        { seeds: [seed.endpoint] }
      )
      yield* settle()
      for (let s = 0; s < 240; s++) yield* TestClock.adjust("1 second")
      const gaps = seed.dials.slice(1).map((t, i) => (t - seed.dials[i]!) / 1000)
      assert.isAtLeast(gaps.length, 8)
      for (const [k, gap] of gaps.entries()) {
        // wait after the (k+1)th failure: 1 s × 2^k, ±25 %, at most redialInterval;
        // a pass runs once a second, so the redial comes within a second after the wait
        const base = Math.min(redial, 2 ** k)
        assert.isAtLeast(gap, 0.75 * base, `gap ${k}: redialed too soon`)
        assert.isBelow(gap, Math.min(redial, 1.25 * base) + 1, `gap ${k}: not redialed once allowed`)
      }
      // it settles at about redialInterval, never above it
      assert.isAtLeast(gaps.at(-1)!, 0.75 * redial)
    })
  )

  it.effect("a connected endpoint is not redialed within redialInterval after it leaves, then is", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const peer = yield* scriptedPeer(memory, hostOf(1))
      const node = yield* memoryNode(memory, NODE, {
        targetPeers: 1,
        minReseed: 0,
        redialInterval: Duration.minutes(2)
      })
      const connected = yield* node.network.dial(peer.endpoint)
      yield* node.network.disconnect(connected.hash)
      yield* settle()
      assert.strictEqual(yield* node.network.total, 0)
      const tooSoon = yield* Effect.flip(node.network.dial(peer.endpoint))
      assert.strictEqual(tooSoon._tag === "DialError" && tooSoon.reason, "TooSoon")
      yield* TestClock.adjust(Duration.seconds(119))
      const stillTooSoon = yield* Effect.flip(node.network.dial(peer.endpoint))
      assert.strictEqual(stillTooSoon._tag === "DialError" && stillTooSoon.reason, "TooSoon")
      yield* TestClock.adjust(Duration.seconds(1))
      yield* node.network.dial(peer.endpoint)
      assert.deepStrictEqual(peer.dials, [0, 120_000])
    })
  )
})
