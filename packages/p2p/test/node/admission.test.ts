/**
 * Admission (issue #12): the rules hold whether or not eviction could make
 * room, and honest newcomers get in during floods. Nodes run on the memory
 * transport under TestClock (each connection from an address of its own via
 * `bindHost`); probes are raw, complete hellos.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Fiber, Layer, type Scope } from "effect"
import { TestClock } from "effect/testing"
import { type Config, P2PLayer } from "@catp2p/p2p"
import { MemoryTransport } from "@catp2p/p2p/testing"
import { Bans } from "../../src/internal/guard/Bans.ts"
import { EVICT_IDLE_AGE_MS } from "../../src/internal/guard/Eviction.ts"
import { Guard } from "../../src/internal/guard/Guard.ts"
import * as HandshakeFlow from "../../src/internal/handshake/HandshakeFlow.ts"
import { LISTEN_BURST } from "../../src/internal/node/Listener.ts"
import { MalformedHandshake } from "../../src/Misbehaviour.ts"
import { Network } from "../../src/Network.ts"
import { NodeStats } from "../../src/internal/stats/NodeStats.ts"
import * as Negotiation from "../../src/wire/Negotiation.ts"
import { PeerCache } from "../../src/internal/cat/PeerCache.ts"
import { PeerStore } from "../../src/internal/node/PeerStore.ts"
import { Seeds } from "../../src/internal/cat/Seeds.ts"
import { TEST_NETWORK, testConfig } from "../support/node.ts"

const HOST = "10.0.0.1"
const VERSIONS = [9, 10, 11] as const
const PORT = 8108

/** A node at `HOST` on `memory` that dials nobody, with its protections exposed. */
const startNode = (memory: MemoryTransport.MemoryNetwork, overrides: Partial<Config.Config> = {}) =>
  Effect.gen(function* () {
    const config = testConfig({
      bindIp: HOST,
      listenPort: String(PORT),
      minReseed: 0,
      ...overrides
    })
    const context = yield* Layer.build(
      P2PLayer.layerWith(config, MemoryTransport.layerHost(memory, HOST), {
        seeds: Seeds.layerStatic([]),
        peerCache: PeerCache.layerMemory
      })
    )
    return {
      network: Context.get(context, Network),
      store: Context.get(context, PeerStore),
      guard: Context.get(context, Guard),
      stats: Context.get(context, NodeStats),
      bans: Context.get(context, Bans)
    }
  })

const settings = (protocolVersion: 9 | 10 | 11, nodeId: number): Negotiation.Settings => ({
  network: TEST_NETWORK,
  protocolVersion,
  protocolVersionMinimum: 9,
  nodeId,
  listenPort: "8108"
})

/** A connection from `from` to the node (closed with the current scope). */
const connect = (memory: MemoryTransport.MemoryNetwork, from: string) =>
  MemoryTransport.make(memory, from).connect({ host: HOST, port: PORT }, { timeout: "5 seconds", bindHost: from })

/** A complete, valid hello from `from`: the node's answer (its settled handshake, or the error). */
const hello = (memory: MemoryTransport.MemoryNetwork, from: string, protocolVersion: 9 | 10 | 11 = 11, nodeId = 0x5eed) =>
  Effect.flatMap(connect(memory, from), (c) =>
    HandshakeFlow.outgoing(c, settings(protocolVersion, nodeId), 777n, Duration.seconds(5))
  ).pipe(Effect.result)

/** What became of a hello: admitted, or the reason it was not. */
const outcome = (r: Effect.Success<ReturnType<typeof hello>>): string =>
  r._tag === "Success" ? "Admitted" : r.failure._tag === "HandshakeError" ? r.failure.reason._tag : r.failure._tag

describe("admission of a full node (memory transport, TestClock)", () => {
  it.effect("the per-IP limit holds when the node is full and could evict (the issue's case)", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const node = yield* startNode(memory, { peerIpLimitIncoming: 1, maxPeers: 2, targetPeers: 2, dropTo: 2 })
      assert.strictEqual(outcome(yield* hello(memory, "10.1.0.2")), "Admitted")
      assert.strictEqual(outcome(yield* hello(memory, "10.1.0.3")), "Admitted")
      yield* TestClock.adjust("3 seconds") // both old enough to be evicted, whatever their usefulness
      const before = node.store.all().map((p) => p.hash)
      assert.strictEqual(outcome(yield* hello(memory, "10.1.0.2", 10, 0xbad)), "Rejected")
      assert.deepStrictEqual(
        node.store.all().map((p) => p.hash),
        before
      )
      assert.strictEqual(node.stats.counters().evicted, 0)
      // the premise: the node could evict (one of the two shares a network group): a clean newcomer gets in
      assert.strictEqual(outcome(yield* hello(memory, "10.9.0.9")), "Admitted")
      assert.strictEqual(node.stats.counters().evicted, 1)
    })
  )

  it.effect("every admission rule refuses with the node full and a peer evictable; then a clean newcomer evicts", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const node = yield* startNode(memory, {
        peerIpLimitIncoming: 1,
        maxPeers: 2,
        targetPeers: 2,
        dropTo: 2,
        maxPendingHandshakesPerIp: 2,
        listenLimit: Duration.minutes(1)
      })
      // two idle peers in one network group: one of them is evictable (see `Eviction`)
      yield* hello(memory, "10.1.0.2")
      yield* hello(memory, "10.1.0.3")
      const full = node.store
        .all()
        .map((p) => p.hash)
        .sort()
      assert.strictEqual(full.length, 2)
      const unchanged = () => {
        assert.deepStrictEqual(
          node.store
            .all()
            .map((p) => p.hash)
            .sort(),
          full
        )
        assert.strictEqual(node.stats.counters().evicted, 0)
      }

      // banned: a rejection with alternatives, as Go answers
      node.bans.ban("10.3.0.1", Number.MAX_SAFE_INTEGER)
      const banned = yield* hello(memory, "10.3.0.1")
      assert.strictEqual(outcome(banned), "Rejected")
      if (
        banned._tag === "Failure" &&
        banned.failure._tag === "HandshakeError" &&
        banned.failure.reason._tag === "Rejected"
      )
        assert.strictEqual(banned.failure.reason.alternatives.length, 2)
      unchanged()

      // discouraged: closed without a word
      yield* node.guard.report("10.4.0.1", new MalformedHandshake({ message: "test" }), false)
      assert.strictEqual(outcome(yield* hello(memory, "10.4.0.1")), "Closed")
      unchanged()

      // over the connection rate: closed without a word
      for (let i = 0; i < LISTEN_BURST; i++) yield* Effect.scoped(connect(memory, "10.5.0.1"))
      assert.strictEqual(outcome(yield* hello(memory, "10.5.0.1")), "Closed")
      unchanged()

      // the per-IP limit: a second peer from an IP that has one
      assert.strictEqual(outcome(yield* hello(memory, "10.1.0.2", 9, 0xbad)), "Rejected")
      unchanged()

      // handshakes in progress from one IP
      yield* connect(memory, "10.6.0.1")
      yield* connect(memory, "10.6.0.1")
      assert.strictEqual(outcome(yield* hello(memory, "10.6.0.1")), "Rejected")
      unchanged()

      // the pending budget with nothing displaceable is walked in `Admission.decide` above: every
      // handshake in progress would have to be past its hello, which lasts no longer than our reply

      // a newcomer no rule refuses: an idle peer (past `EVICT_IDLE_AGE_MS`) makes room for it
      yield* TestClock.adjust(Duration.millis(EVICT_IDLE_AGE_MS))
      assert.strictEqual(outcome(yield* hello(memory, "10.7.0.1")), "Admitted")
      assert.strictEqual(node.stats.counters().evicted, 1)
      assert.isAtMost(node.store.total, 2)
    })
  )
})

/** The pace of a flood: 200 connections per simulated second. */
const FLOOD_STEP = Duration.millis(5)

/** The i-th flood address: 10.66.x.y (probes come from 10.200.k.1). */
const floodAddress = (i: number) => `10.66.${Math.floor(i / 250)}.${(i % 250) + 1}`

/**
 * Runs `flood(i)` for i in 0..n-1, one connection per scheduler turn and
 * per `FLOOD_STEP` of the TestClock (the connections stay open until the
 * test ends), and meanwhile `probes` honest hellos spread over the flood;
 * returns what became of each probe.
 */
const probeDuring = (
  memory: MemoryTransport.MemoryNetwork,
  n: number,
  probes: number,
  flood: (i: number) => Effect.Effect<unknown, unknown, Scope.Scope>
) =>
  Effect.gen(function* () {
    let sent = 0
    const flooding = yield* Effect.forkChild(
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) {
          yield* Effect.ignore(flood(i))
          sent = i + 1
          yield* TestClock.adjust(FLOOD_STEP)
          yield* Effect.yieldNow
        }
      })
    )
    const outcomes: Array<string> = []
    for (let k = 0; k < probes; k++) {
      const at = Math.floor(((k + 1) * n) / (probes + 1))
      while (sent < at) yield* Effect.yieldNow
      outcomes.push(outcome(yield* hello(memory, `10.200.${k}.1`, VERSIONS[k % 3]!, 0x1000 + k)))
    }
    const during = sent < n
    yield* Fiber.join(flooding)
    return { outcomes, during }
  })

describe("honest newcomers during floods (memory transport, TestClock, defaults)", () => {
  const PROBES = 19

  it.effect("300 idle connections: every honest hello is admitted", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const node = yield* startNode(memory)
      const { outcomes, during } = yield* probeDuring(memory, 300, PROBES, (i) => connect(memory, floodAddress(i)))
      assert.isTrue(during, "the probes ran while the flood was on")
      assert.deepStrictEqual(outcomes, Array(PROBES).fill("Admitted"))
      assert.isAbove(node.stats.counters().displaced, 200)
      assert.strictEqual(node.store.incoming, PROBES)
    })
  )

  it.effect("200 half handshakes: every honest hello is admitted", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const node = yield* startNode(memory)
      const { outcomes, during } = yield* probeDuring(memory, 200, PROBES, (i) =>
        Effect.gen(function* () {
          const c = yield* connect(memory, floodAddress(i))
          const bytes = new Negotiation.Outgoing(settings(VERSIONS[i % 3]!, i), 1n).hello
          yield* c.write([bytes.subarray(0, Math.floor(bytes.length / 2))])
        })
      )
      assert.isTrue(during, "the probes ran while the flood was on")
      assert.deepStrictEqual(outcomes, Array(PROBES).fill("Admitted"))
      assert.isAbove(node.stats.counters().displaced, 100)
      assert.strictEqual(node.store.incoming, PROBES)
    })
  )

  it.effect(
    "600 mutated handshakes, every 8th valid (the valid ones fill the node and idle): every honest hello is admitted",
    () =>
      Effect.gen(function* () {
        const memory = yield* MemoryTransport.makeNetwork()
        const node = yield* startNode(memory)
        const { outcomes, during } = yield* probeDuring(memory, 600, PROBES, (i) => {
          const v = VERSIONS[i % 3]!
          if (i % 8 === 0) return hello(memory, floodAddress(i), v, i)
          return Effect.gen(function* () {
            const c = yield* connect(memory, floodAddress(i))
            const bytes = new Negotiation.Outgoing(settings(v, i), 1n).hello.slice()
            bytes[(i * 7) % bytes.length]! ^= 1 << (i % 8)
            yield* c.write([bytes])
          })
        })
        assert.isTrue(during, "the probes ran while the flood was on")
        assert.deepStrictEqual(outcomes, Array(PROBES).fill("Admitted"))
        assert.isAbove(node.stats.counters().evicted, 0, "the valid attackers filled the node")
        assert.strictEqual(node.store.total, 36, "full (maxPeers), never over")
      })
  )
})
