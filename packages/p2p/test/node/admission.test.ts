/**
 * Admission (issue #12): the rules hold whether or not eviction could make
 * room, and honest newcomers get in during floods. Nodes run on the memory
 * transport under TestClock (each connection from an address of its own via
 * `bindHost`); probes are raw, complete hellos.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Fiber, Layer, type Scope } from "effect"
import { TestClock } from "effect/testing"
import { type Config, Network, P2PLayer, Wire } from "@catp2p/p2p"
import { MemoryTransport, PeerFiles, Probe, RawPeer } from "@catp2p/p2p/testing"
import { TEST_NETWORK, testConfig } from "../support/node.ts"

const HOST = "10.0.0.1"
const VERSIONS = [9, 10, 11] as const
const PORT = 8108

/** A node at `HOST` on `memory` that dials nobody, loading `peerFile` (none by default), with a probe. */
const startNode = (
  memory: MemoryTransport.MemoryNetwork,
  overrides: Partial<Config.Config> = {},
  peerFile: PeerFiles.Store = PeerFiles.makeStore()
) =>
  Effect.gen(function* () {
    const config = testConfig({
      bindIp: HOST,
      listenPort: String(PORT),
      minReseed: 0,
      ...overrides
    })
    const context = yield* Layer.build(
      P2PLayer.layerWith(config, MemoryTransport.layerHost(memory, HOST), {
        seeds: PeerFiles.seeds([]),
        peerCache: PeerFiles.layerStore(peerFile)
      })
    )
    return {
      network: Context.get(context, Network.Network),
      probe: yield* Effect.provideContext(Probe.make, context)
    }
  })

const settings = (protocolVersion: 9 | 10 | 11, nodeId: number): Wire.Negotiation.Settings => ({
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
const hello = (
  memory: MemoryTransport.MemoryNetwork,
  from: string,
  protocolVersion: 9 | 10 | 11 = 11,
  nodeId = 0x5eed
) =>
  Effect.flatMap(connect(memory, from), (c) =>
    RawPeer.outgoing(c, settings(protocolVersion, nodeId), 777n, Duration.seconds(5))
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
      const hashes = Effect.map(node.network.peers, (peers) => peers.map((p) => p.hash))
      const before = yield* hashes
      assert.strictEqual(outcome(yield* hello(memory, "10.1.0.2", 10, 0xbad)), "Rejected")
      assert.deepStrictEqual(yield* hashes, before)
      assert.strictEqual(node.probe.stats().evicted, 0)
      // the premise: the node could evict (one of the two shares a network group): a clean newcomer gets in
      assert.strictEqual(outcome(yield* hello(memory, "10.9.0.9")), "Admitted")
      assert.strictEqual(node.probe.stats().evicted, 1)
    })
  )

  it.effect("every admission rule refuses with the node full and a peer evictable; then a clean newcomer evicts", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      // 10.3.0.1 banned for a day by the peer file the node starts from
      const peerFile = PeerFiles.makeStore()
      peerFile.saved = {
        text: PeerFiles.encode({ peers: [], bans: new Map([["10.3.0.1", Duration.toMillis(Duration.days(1))]]) }),
        savedAt: 0
      }
      const node = yield* startNode(
        memory,
        {
          peerIpLimitIncoming: 1,
          maxPeers: 2,
          targetPeers: 2,
          dropTo: 2,
          maxPendingHandshakesPerIp: 2,
          listenLimit: Duration.minutes(1)
        },
        peerFile
      )
      // 10.4.0.1 discouraged by a hello that is no hello (64 zero bytes), while the node had room
      yield* Effect.scoped(
        Effect.gen(function* () {
          const c = yield* connect(memory, "10.4.0.1")
          yield* Effect.ignore(c.write([new Uint8Array(64)]))
          yield* Effect.ignore(Effect.forever(c.read))
        })
      )
      assert.isTrue(yield* node.probe.isDiscouraged("10.4.0.1"))
      // the ban came with the peer file: refused even while the node has room
      assert.strictEqual(outcome(yield* hello(memory, "10.3.0.1")), "Rejected")
      // two idle peers in one network group: one of them is evictable (see `Eviction`)
      yield* hello(memory, "10.1.0.2")
      yield* hello(memory, "10.1.0.3")
      const hashes = Effect.map(node.network.peers, (peers) => peers.map((p) => p.hash).sort())
      const full = yield* hashes
      assert.strictEqual(full.length, 2)
      const unchanged = Effect.gen(function* () {
        assert.deepStrictEqual(yield* hashes, full)
        assert.strictEqual(node.probe.stats().evicted, 0)
      })

      // banned: a rejection with alternatives, as Go answers
      const banned = yield* hello(memory, "10.3.0.1")
      assert.strictEqual(outcome(banned), "Rejected")
      if (
        banned._tag === "Failure" &&
        banned.failure._tag === "HandshakeError" &&
        banned.failure.reason._tag === "Rejected"
      )
        assert.strictEqual(banned.failure.reason.alternatives.length, 2)
      yield* unchanged

      // discouraged: closed without a word
      assert.strictEqual(outcome(yield* hello(memory, "10.4.0.1")), "Closed")
      yield* unchanged

      // over the connection rate: closed without a word
      for (let i = 0; i < Probe.limits.listenBurst; i++) yield* Effect.scoped(connect(memory, "10.5.0.1"))
      assert.strictEqual(outcome(yield* hello(memory, "10.5.0.1")), "Closed")
      yield* unchanged

      // the per-IP limit: a second peer from an IP that has one
      assert.strictEqual(outcome(yield* hello(memory, "10.1.0.2", 9, 0xbad)), "Rejected")
      yield* unchanged

      // handshakes in progress from one IP
      yield* connect(memory, "10.6.0.1")
      yield* connect(memory, "10.6.0.1")
      assert.strictEqual(outcome(yield* hello(memory, "10.6.0.1")), "Rejected")
      yield* unchanged

      // the pending budget with nothing displaceable is walked in `Admission.decide` above: every
      // handshake in progress would have to be past its hello, which lasts no longer than our reply

      // a newcomer no rule refuses: an idle peer (past `Probe.limits.evictIdleAgeMs`) makes room for it
      yield* TestClock.adjust(Duration.millis(Probe.limits.evictIdleAgeMs))
      assert.strictEqual(outcome(yield* hello(memory, "10.7.0.1")), "Admitted")
      assert.strictEqual(node.probe.stats().evicted, 1)
      assert.isAtMost(yield* node.network.total, 2)
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
      assert.isAbove(node.probe.stats().displaced, 200)
      assert.strictEqual((yield* node.network.peers).filter((p) => p.incoming).length, PROBES)
    })
  )

  it.effect("200 half handshakes: every honest hello is admitted", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const node = yield* startNode(memory)
      const { outcomes, during } = yield* probeDuring(memory, 200, PROBES, (i) =>
        Effect.gen(function* () {
          const c = yield* connect(memory, floodAddress(i))
          const bytes = new Wire.Negotiation.Outgoing(settings(VERSIONS[i % 3]!, i), 1n).hello
          yield* c.write([bytes.subarray(0, Math.floor(bytes.length / 2))])
        })
      )
      assert.isTrue(during, "the probes ran while the flood was on")
      assert.deepStrictEqual(outcomes, Array(PROBES).fill("Admitted"))
      assert.isAbove(node.probe.stats().displaced, 100)
      assert.strictEqual((yield* node.network.peers).filter((p) => p.incoming).length, PROBES)
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
            const bytes = new Wire.Negotiation.Outgoing(settings(v, i), 1n).hello.slice()
            bytes[(i * 7) % bytes.length]! ^= 1 << (i % 8)
            yield* c.write([bytes])
          })
        })
        assert.isTrue(during, "the probes ran while the flood was on")
        assert.deepStrictEqual(outcomes, Array(PROBES).fill("Admitted"))
        assert.isAbove(node.probe.stats().evicted, 0, "the valid attackers filled the node")
        assert.strictEqual(yield* node.network.total, 36, "full (maxPeers), never over")
      })
  )
})
