/**
 * Whole-network simulation: many nodes on the in-memory transport in one
 * process, under `TestClock`, so minutes of CAT peering run in seconds of
 * wall time and a seeded `Random` makes a run repeatable. Used by the test
 * suite and by `npm run sim`.
 *
 * Every node is a real node (`P2PLayer.layerWith`) on its own host
 * `10.x.y.z:8108`; node 0 is the seed of all the others.
 *
 * @example
 * ```ts
 * import { Simulation } from "@catp2p/p2p/testing"
 * import { Effect } from "effect"
 *
 * // 100 nodes from one seed until each has its peers, then 3 CAT rounds
 * const report = Simulation.run({ nodes: 100, rounds: 3, seed: 42 }).pipe(
 *   Effect.tap((report) => Effect.log(`converged after ${report.convergedAfterSeconds} simulated s`))
 * )
 * ```
 *
 * @since 0.1.0
 * @module
 */
import { Context, Duration, Effect, Layer, type LogLevel, Random, References, type Scope } from "effect"
import { TestClock } from "effect/testing"
import * as Config from "../Config.ts"
import * as Endpoint from "../Endpoint.ts"
import { Gossip } from "../Gossip.ts"
import * as MemoryTransport from "./MemoryTransport.ts"
import { Network } from "../Network.ts"
import * as P2PLayer from "../P2PLayer.ts"
import { PeerCache } from "../internal/cat/PeerCache.ts"
import * as NodeContext from "../internal/NodeContext.ts"
import { PeerStore } from "../internal/node/PeerStore.ts"
import { Seeds } from "../internal/cat/Seeds.ts"

/**
 * The host of node `i`.
 * @category utils
 * @since 0.1.0
 */
export const hostOf = (i: number): string => {
  const n = i + 1
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
}

/** Each simulated node's peer store, read synchronously by `stats` and `advanceUntil` (not part of `SimNode`). */
const storeOf = new WeakMap<SimNode, PeerStore["Service"]>()
const peersOf = (n: SimNode): PeerStore["Service"] => storeOf.get(n)!

/**
 * One simulated node.
 *
 * @category models
 * @since 0.1.0
 */
export interface SimNode {
  readonly index: number
  readonly host: string
  readonly network: Network["Service"]
  /** The node's Gossip layer (every simulated node runs one). */
  readonly gossip: Gossip["Service"]
}

/**
 * @category models
 * @since 0.1.0
 */
export interface SimOptions {
  /** Configuration overrides applied to every node (defaults: Go's). */
  readonly config?: Partial<Config.Config>
  /** Per-node overrides. */
  readonly configOf?: (index: number) => Partial<Config.Config>
  /** The nodes' maintenance period (see `NodeConfig`); longer is faster for big networks. */
  readonly tick?: Duration.Input
  /**
   * The least level the nodes log at (default `"Warn"`: a thousand nodes'
   * `peer connected` lines would drown what a test or a run reports).
   */
  readonly logLevel?: LogLevel.LogLevel
}

/**
 * A simulated network: its nodes, and a way to start more or restart one.
 *
 * @category models
 * @since 0.1.0
 */
export interface Sim {
  readonly memory: MemoryTransport.MemoryNetwork
  readonly nodes: Array<SimNode | undefined>
  /** Starts node `index` in the given scope (the same host, seed and peer file as before). */
  readonly start: (index: number, scope: Scope.Scope) => Effect.Effect<SimNode, unknown>
}

/**
 * Creates the memory network and a factory for its nodes. Each node keeps
 * its peer file in memory across restarts.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: SimOptions = {}): Effect.Effect<Sim> =>
  Effect.gen(function* () {
    const memory = yield* MemoryTransport.makeNetwork()
    const stores = new Map<number, PeerCache.MemoryStore>()
    const seed = Endpoint.unsafeMake(hostOf(0), "8108")
    const nodes: Array<SimNode | undefined> = []
    const start = (index: number, scope: Scope.Scope) =>
      Effect.gen(function* () {
        const host = hostOf(index)
        const config = yield* Effect.fromResult(
          Config.make({
            network: 0x5151 as Config.Config["network"],
            nodeName: `sim-${index}`,
            bindIp: host,
            listenPort: "8108",
            // protocol 11 by default: the cheapest codec to simulate with
            // (the peering does not depend on it); override to mix versions
            protocolVersion: 11,
            // idle links ping each other every 15 s in Go's default; that is
            // most of the traffic of a quiet simulated network and has no
            // effect on peering, so simulations ping once a minute
            pingInterval: Duration.minutes(1),
            ...options.config,
            ...options.configOf?.(index)
          })
        )
        let store = stores.get(index)
        if (store === undefined) {
          store = PeerCache.makeMemoryStore()
          stores.set(index, store)
        }
        const layer = P2PLayer.layerWith(config, MemoryTransport.layerHost(memory, host), {
          seeds: Seeds.layerStatic(index === 0 ? [] : [seed]),
          peerCache: PeerCache.layerMemoryStore(store),
          tick: options.tick ?? "1 second"
        })
        const context = yield* Layer.buildWithScope(Layer.provideMerge(Gossip.layer, layer), scope).pipe(
          Effect.provideService(References.MinimumLogLevel, options.logLevel ?? "Warn")
        )
        const node: SimNode = {
          index,
          host,
          network: Context.get(context, Network),
          gossip: Context.get(context, Gossip)
        }
        storeOf.set(node, Context.get(NodeContext.of(node.network)!, PeerStore))
        nodes[index] = node
        return node
      })
    return { memory, nodes, start }
  })

/**
 * Facts about the peer graph.
 *
 * @category models
 * @since 0.1.0
 */
export interface GraphStats {
  readonly nodes: number
  readonly connected: boolean
  readonly minPeers: number
  readonly maxPeers: number
  readonly meanPeers: number
}

/**
 * Peer counts and connectivity of the running nodes.
 *
 * @category getters
 * @since 0.1.0
 */
export const stats = (sim: Sim): GraphStats => {
  const live = sim.nodes.filter((n): n is SimNode => n !== undefined)
  const byHost = new Map(live.map((n) => [n.host, n]))
  let min = Number.POSITIVE_INFINITY
  let max = 0
  let sum = 0
  for (const n of live) {
    const c = peersOf(n).total
    min = Math.min(min, c)
    max = Math.max(max, c)
    sum += c
  }
  // breadth-first over the peer links
  const seen = new Set<SimNode>()
  const queue = live.slice(0, 1)
  for (const n of queue) seen.add(n)
  while (queue.length > 0) {
    const n = queue.pop()!
    for (const p of peersOf(n).all()) {
      const other = byHost.get(p.endpoint.ip)
      if (other !== undefined && !seen.has(other)) {
        seen.add(other)
        queue.push(other)
      }
    }
  }
  return {
    nodes: live.length,
    connected: live.length > 0 && seen.size === live.length,
    minPeers: live.length === 0 ? 0 : min,
    maxPeers: max,
    meanPeers: live.length === 0 ? 0 : sum / live.length
  }
}

/**
 * The fewest peers any running node has (0 with no nodes).
 *
 * @category getters
 * @since 0.1.0
 */
export const minPeers = (sim: Sim): number => {
  let min = Number.POSITIVE_INFINITY
  for (const n of sim.nodes) if (n !== undefined) min = Math.min(min, peersOf(n).total)
  return min === Number.POSITIVE_INFINITY ? 0 : min
}

/**
 * Each node's set of peer hosts.
 *
 * @category getters
 * @since 0.1.0
 */
export const peerSets = (sim: Sim): Map<number, Set<string>> =>
  new Map(
    sim.nodes
      .filter((n): n is SimNode => n !== undefined)
      .map((n) => [n.index, new Set(peersOf(n).all().map((p) => p.endpoint.ip))])
  )

/**
 * Advances the TestClock in 1-second steps until `done` holds (checked every
 * `every` seconds, default 1) or `limit` passes; returns the simulated
 * seconds it took (or `limit`).
 *
 * @category running
 * @since 0.1.0
 */
export const advanceUntil = (done: () => boolean, limit: Duration.Input, every = 1) =>
  Effect.gen(function* () {
    const max = Duration.toSeconds(Duration.fromInputUnsafe(limit))
    let seconds = 0
    while (seconds < max && (seconds % every !== 0 || !done())) {
      yield* TestClock.adjust("1 second")
      seconds++
    }
    return seconds
  })

/**
 * @category models
 * @since 0.1.0
 */
export interface Report extends GraphStats {
  readonly rounds: number
  readonly simulatedSeconds: number
  readonly convergedAfterSeconds: number
  readonly churn: number
  readonly wallMs: number
  readonly heapMB: number
}

/**
 * Where a running simulation stands (see `run`'s `onProgress`).
 *
 * @category models
 * @since 0.1.0
 */
export interface Progress {
  readonly simulatedSeconds: number
  /** Nodes with at least `minReseed` peers. */
  readonly ready: number
  /** Open in-memory connections. */
  readonly connections: number
  readonly wallMs: number
  readonly heapMB: number
}

/**
 * Runs a network of `nodes` from a single seed until every node has
 * `minReseed` peers (or `limit`), then `rounds` CAT rounds; reports the graph.
 * Runs under its own TestClock and a Random seeded with `seed`.
 *
 * @category running
 * @since 0.1.0
 */
export const run = (options: {
  readonly nodes: number
  readonly rounds: number
  readonly seed: number
  readonly config?: Partial<Config.Config>
  readonly limit?: Duration.Input
  readonly tick?: Duration.Input
  readonly now?: () => number
  /** Called after every simulated second until the network has converged. */
  readonly onProgress?: (progress: Progress) => void
  /**
   * Called with the report before the nodes are stopped: stopping a big
   * network (every node's peers leaving, their replenish reacting) can take
   * longer than the run itself.
   */
  readonly onReport?: (report: Report) => void
}) =>
  Effect.scoped(
    Effect.gen(function* () {
      const now = options.now ?? (() => performance.now())
      const started = now()
      const sim = yield* make({
        ...(options.config === undefined ? {} : { config: options.config }),
        ...(options.tick === undefined ? {} : { tick: options.tick })
      })
      const scope = yield* Effect.scope
      for (let i = 0; i < options.nodes; i++) yield* sim.start(i, scope)
      const config = yield* Effect.fromResult(Config.make(options.config ?? {}))
      const wanted = Math.min(config.minReseed, options.nodes - 1)
      // the peer counts first: the connectivity search only once they are reached
      let second = 0
      const converged = yield* advanceUntil(() => {
        if (options.onProgress !== undefined) {
          let ready = 0
          for (const n of sim.nodes) if (n !== undefined && peersOf(n).total >= wanted) ready++
          options.onProgress({
            simulatedSeconds: second++,
            ready,
            connections: sim.memory.openConnections,
            wallMs: Math.round(now() - started),
            heapMB: Math.round(process.memoryUsage().heapUsed / 1048576)
          })
        }
        return minPeers(sim) >= wanted && stats(sim).connected
      }, options.limit ?? "10 minutes")
      const before = peerSets(sim)
      const roundSeconds = Duration.toSeconds(config.roundTime)
      let simulated = converged
      for (let r = 0; r < options.rounds; r++) {
        yield* TestClock.adjust(Duration.seconds(roundSeconds))
        simulated += roundSeconds
      }
      // let replenish refill what the last round dropped
      simulated += yield* advanceUntil(() => minPeers(sim) >= wanted, "2 minutes")
      const after = peerSets(sim)
      let changed = 0
      let total = 0
      for (const [i, set] of before) {
        const next = after.get(i) ?? new Set()
        for (const host of set) {
          total++
          if (!next.has(host)) changed++
        }
      }
      const s = stats(sim)
      const report: Report = {
        ...s,
        rounds: options.rounds,
        simulatedSeconds: simulated,
        convergedAfterSeconds: converged,
        churn: total === 0 ? 0 : changed / total,
        wallMs: Math.round(now() - started),
        heapMB: Math.round(process.memoryUsage().heapUsed / 1048576)
      }
      options.onReport?.(report)
      return report
    })
  ).pipe(
    Random.withSeed(options.seed),
    // spans cost an allocation per dial, handshake and peer and nobody reads them here
    Effect.provideService(References.TracerEnabled, false),
    // thousands of nodes keep a woken fiber busy for long: no warnings about it
    Effect.provide(TestClock.layer({ warningDelay: "1 hour" }))
  )
