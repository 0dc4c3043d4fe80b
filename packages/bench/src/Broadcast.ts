/**
 * Broadcast: how long a published message takes to reach every node of a
 * loopback network. `nodes` catp2p nodes with the Gossip layer (one seed
 * file, CAT peering forms the graph, as `catp2p demo` does) run in one
 * child process; messages are published one at a time from random nodes,
 * `intervalMs` apart; a message's time is from `publish` until the last
 * node's application has it. Median and p99 over the messages.
 *
 * Baseline, in the same child afterwards: the same peer graph (copied
 * from the catp2p network) over plain `node:net`, flooding with the same
 * policy (on first sight, forward to `fanout` random neighbours other than
 * the sender) and length-prefixed frames: the latency of the gossip itself
 * over Node sockets, without a protocol, codecs or an effect runtime.
 *
 * Times are `performance.now()` in one process, so they compare directly.
 *
 * @since 0.1.0
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import type * as Net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Random, type Scope, Stream } from "effect"
import type { ChildProcessSpawner } from "effect/process/ChildProcessSpawner"
import * as BenchNode from "./BenchNode.ts"
import * as Child from "./Child.ts"
import * as Measure from "./Measure.ts"
import * as Messages from "./Messages.ts"
import * as RawNet from "./RawNet.ts"

/**
 * @since 0.1.0
 */
export interface BroadcastOptions {
  readonly nodes: number
  readonly messages: number
  readonly intervalMs: number
  /** Payload bytes. */
  readonly size: number
  readonly protocol: 9 | 10 | 11
  /** Every node must have this many peers before publishing... */
  readonly minPeers: number
  /** ...and the peer counts must hold still for a second, or this long have passed (CAT keeps dialing up to 32 peers). */
  readonly formMs: number
}

/**
 * Propagation over the messages.
 *
 * @since 0.1.0
 */
export interface Propagation {
  readonly messages: number
  /** Messages that reached every node. */
  readonly complete: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

/** Fanout of Go's default configuration, used by the baseline too. */
const FANOUT = 8

const payloadFor = (k: number, size: number): Uint8Array => {
  const p = new Uint8Array(Math.max(8, size))
  const view = new DataView(p.buffer)
  view.setUint32(0, k)
  for (let i = 4; i < p.length; i++) p[i] = (i * 13 + k) & 255
  return p
}

const idOf = (payload: Uint8Array): number =>
  new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0)

/** Per message: publication time and each node's arrival time. */
class Arrivals {
  readonly published: Array<number> = []
  readonly at: Array<Array<number | undefined>> = []
  readonly nodes: number
  constructor(nodes: number) {
    this.nodes = nodes
  }

  publish(k: number, from: number, t: number): void {
    this.published[k] = t
    const row = new Array<number | undefined>(this.nodes).fill(undefined)
    row[from] = t
    this.at[k] = row
  }

  /** Records a first arrival; returns whether it was one. */
  arrive(k: number, node: number, t: number): boolean {
    const row = this.at[k]
    if (row === undefined || row[node] !== undefined) return false
    row[node] = t
    return true
  }

  complete(k: number): boolean {
    return this.at[k]?.every((t) => t !== undefined) ?? false
  }

  summary(): Propagation {
    const times: Array<number> = []
    this.at.forEach((row, k) => {
      if (!row.every((t) => t !== undefined)) return
      times.push(Math.max(...(row as Array<number>)) - this.published[k]!)
    })
    times.sort((a, b) => a - b)
    return {
      messages: this.at.length,
      complete: times.length,
      p50Ms: Measure.quantile(times, 0.5),
      p99Ms: Measure.quantile(times, 0.99),
      maxMs: times.length === 0 ? 0 : times[times.length - 1]!
    }
  }
}

/** Publishes `messages` from random nodes, then waits up to 3 s for the last to spread. */
const publishAll = (
  options: BroadcastOptions,
  arrivals: Arrivals,
  publish: (from: number, k: number) => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    for (let k = 0; k < options.messages; k++) {
      const from = yield* Random.nextIntBetween(0, options.nodes, { halfOpen: true })
      arrivals.publish(k, from, yield* Measure.now)
      yield* publish(from, k)
      yield* Effect.sleep(options.intervalMs)
    }
    for (let i = 0; i < 30; i++) {
      let all = true
      for (let k = 0; k < options.messages; k++) all &&= arrivals.complete(k)
      if (all) break
      yield* Effect.sleep("100 millis")
    }
    return arrivals.summary()
  })

/**
 * The catp2p network: returns its propagation and its peer graph (edges
 * between node indexes).
 *
 * @since 0.1.0
 */
export const catp2p = (options: BroadcastOptions) =>
  Effect.gen(function* () {
    const dir = mkdtempSync(join(tmpdir(), "catp2p-bench-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
    const seedFile = join(dir, "seeds.txt")
    const first = yield* BenchNode.startGossip(yield* BenchNode.config(options.protocol, "bench-gossip-0"))
    writeFileSync(seedFile, `127.0.0.1:${first.network.address.port}\n`)
    const nodes = [first]
    for (let i = 1; i < options.nodes; i++) {
      const cfg = yield* BenchNode.config(options.protocol, `bench-gossip-${i}`, { seedUrl: seedFile })
      nodes.push(yield* BenchNode.startGossip(cfg))
    }
    // until every node has `minPeers` peers and the counts held still for a second (or `formMs` passed)
    const want = Math.min(options.minPeers, options.nodes - 1)
    const formStart = yield* Measure.now
    let counts: Array<number> = []
    let still = 0
    for (let i = 0; i < 600 && still < 10; i++) {
      if (i * 100 >= options.formMs && Math.min(...counts) >= want) break
      const next = yield* Effect.forEach(nodes, (n) => n.network.total)
      still = Math.min(...next) >= want && next.every((c, j) => c === counts[j]) ? still + 1 : 0
      counts = next
      yield* Effect.sleep("100 millis")
    }
    const formedMs = (yield* Measure.now) - formStart
    if (Math.min(...counts) < want) {
      return yield* new Child.BenchError({ message: `the network did not form: peers per node ${counts.join(",")}` })
    }
    const indexOf = new Map(nodes.map((n, i) => [String(n.network.address.port), i]))
    const edges = new Map<string, readonly [number, number]>()
    for (let i = 0; i < nodes.length; i++) {
      for (const peer of yield* nodes[i]!.network.peers) {
        const j = indexOf.get(peer.endpoint.port)
        if (j !== undefined && j !== i)
          edges.set(`${Math.min(i, j)}-${Math.max(i, j)}`, [Math.min(i, j), Math.max(i, j)])
      }
    }
    const arrivals = new Arrivals(options.nodes)
    for (let i = 0; i < nodes.length; i++) {
      yield* Stream.runForEach(nodes[i]!.gossip.messages, (m) =>
        Effect.map(Measure.now, (t) => {
          arrivals.arrive(idOf(m.payload), i, t)
        })
      ).pipe(Effect.forkScoped)
    }
    const propagation = yield* publishAll(options, arrivals, (from, k) =>
      // the nodes run until the measurement ends: none is stopping here
      Effect.orDie(nodes[from]!.gossip.publish(payloadFor(k, options.size)))
    )
    return {
      propagation,
      edges: [...edges.values()],
      formedMs,
      minPeers: Math.min(...counts),
      meanPeers: counts.reduce((a, b) => a + b, 0) / counts.length
    }
  })

/**
 * The `node:net` flood over the given graph.
 *
 * @since 0.1.0
 */
export const flood = (
  options: BroadcastOptions,
  edges: ReadonlyArray<readonly [number, number]>
): Effect.Effect<Propagation, Child.BenchError, Scope.Scope> =>
  Effect.gen(function* () {
    const arrivals = new Arrivals(options.nodes)
    const links: Array<Array<Net.Socket>> = Array.from({ length: options.nodes }, () => [])
    const forward = (node: number, payload: Uint8Array, except: Net.Socket | undefined) => {
      const candidates = links[node]!.filter((s) => s !== except)
      for (let i = 0; i < FANOUT && candidates.length > 0; i++) {
        const pick = candidates.splice(Math.floor(Math.random() * candidates.length), 1)[0]!
        pick.write(RawNet.frame(payload))
      }
    }
    const link = (node: number, socket: Net.Socket) => {
      links[node]!.push(socket)
      socket.on(
        "data",
        RawNet.frameParser((payload) => {
          if (arrivals.arrive(idOf(payload), node, performance.now())) forward(node, payload, socket)
        })
      )
    }
    const ports: Array<number> = []
    for (let i = 0; i < options.nodes; i++) {
      ports.push((yield* RawNet.listen((socket) => link(i, socket))).port)
    }
    for (const [a, b] of edges) {
      const socket = yield* Effect.acquireRelease(RawNet.connect(ports[b]!), (s) => Effect.sync(() => s.destroy()))
      link(a, socket)
    }
    for (let i = 0; i < 100 && links.reduce((n, l) => n + l.length, 0) < 2 * edges.length; i++) {
      yield* Effect.sleep("20 millis")
    }
    return yield* publishAll(options, arrivals, (from, k) =>
      Effect.sync(() => forward(from, payloadFor(k, options.size), undefined))
    )
  })

/**
 * The result the broadcast child prints.
 *
 * @since 0.1.0
 */
export type BroadcastResult = typeof Messages.Broadcasted.Type

/**
 * Runs both networks in a child process (`children.ts broadcast`).
 *
 * @since 0.1.0
 */
export const run = (options: BroadcastOptions): Effect.Effect<BroadcastResult, Child.BenchError, ChildProcessSpawner> =>
  Effect.scoped(
    Effect.gen(function* () {
      const child = yield* Child.spawn({
        name: "broadcast",
        program: "broadcast",
        args: [
          ...["--nodes", String(options.nodes), "--messages", String(options.messages)],
          ...["--interval", String(options.intervalMs), "--size", String(options.size)],
          ...["--protocol", String(options.protocol), "--min-peers", String(options.minPeers)],
          ...["--form-ms", String(options.formMs)]
        ]
      })
      const seconds = 90 + Math.ceil((2 * options.messages * options.intervalMs) / 1000)
      return yield* child.expect(Messages.Broadcasted, `${seconds} seconds`)
    })
  )
