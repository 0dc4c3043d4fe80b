/**
 * `catp2p demo`: a local network of real nodes on 127.0.0.1, mixing
 * protocols 9, 10 and 11, seeded from one seed file, with the Gossip layer on
 * top. It shows the network forming, then a live table while messages
 * propagate, and ends with a summary: messages, coverage, propagation time.
 *
 * @since 0.1.0
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Config, Endpoint, Gossip, Network, NetworkId, P2PLayer, type Transport } from "@catp2p/p2p"
import { Clock, Console, Context, Duration, Effect, Layer, Random, References, Result, Stream } from "effect"

/** @since 0.1.0 */
export interface DemoOptions {
  readonly nodes: number
  readonly duration: Duration.Duration
  readonly json: boolean
}

/** @since 0.1.0 */
export interface DemoSummary {
  readonly nodes: number
  readonly messages: number
  /** Share of (message, node) pairs that arrived: 1 = every node got every message. */
  readonly coverage: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly drops: number
  readonly protocols: Record<string, number>
}

interface DemoNode {
  readonly name: string
  readonly version: 9 | 10 | 11
  readonly network: Network.NetworkService
  readonly gossip: Gossip.GossipService
  /** message id → ms after publication at which it arrived */
  readonly arrivals: Map<string, number>
}

const VERSIONS = [10, 11, 9] as const

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

const startNode = Effect.fnUntraced(function* (index: number, seedFile: string) {
  const version = VERSIONS[index % VERSIONS.length]!
  const config = yield* Effect.fromResult(
    Config.make({
      network: NetworkId.fromName("catp2p-demo"),
      nodeName: `demo-${index}`,
      bindIp: "127.0.0.1",
      listenPort: "0",
      protocolVersion: version,
      seedUrl: index === 0 ? "" : seedFile
    })
  )
  const context = yield* Layer.build(Layer.provideMerge(Gossip.Gossip.layer, P2PLayer.layer(config)))
  return {
    name: `node-${index}`,
    version,
    network: Context.get(context, Network.Network),
    gossip: Context.get(context, Gossip.Gossip),
    arrivals: new Map<string, number>()
  } satisfies DemoNode
})

const table = (nodes: ReadonlyArray<DemoNode>) =>
  Effect.gen(function* () {
    const rows = ["node     proto  peers  msgs/s in  msgs/s out  drops"]
    for (const n of nodes) {
      const info = yield* n.network.info
      rows.push(
        n.name.padEnd(9) +
          `v${n.version}`.padEnd(7) +
          String(info.peers).padEnd(7) +
          info.receiving.toFixed(0).padEnd(11) +
          info.sending.toFixed(0).padEnd(12) +
          String(info.dropped)
      )
    }
    return rows.join("\n")
  })

/**
 * Runs the demo; the summary is returned (and printed).
 *
 * @since 0.1.0
 */
export const run = (
  options: DemoOptions
): Effect.Effect<
  DemoSummary,
  Transport.TransportError | Network.MessagesTaken | Network.NodeClosed | Config.ConfigError
> =>
  Effect.scoped(
    Effect.gen(function* () {
      const say = (line: string) => (options.json ? Effect.void : Console.log(line))
      const dir = mkdtempSync(join(tmpdir(), "catp2p-demo-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const seedFile = join(dir, "seeds.txt")

      yield* say(`starting ${options.nodes} nodes on 127.0.0.1 (protocols 9, 10, 11), seeded from one node…`)
      const first = yield* startNode(0, seedFile)
      writeFileSync(
        seedFile,
        `${Endpoint.format(Endpoint.unsafeMake("127.0.0.1", String(first.network.address.port)))}\n`
      )
      const nodes = [first]
      for (let i = 1; i < options.nodes; i++) nodes.push(yield* startNode(i, seedFile))

      // the network forms by itself (CAT peering): wait until every node has peers
      const want = Math.min(3, options.nodes - 1)
      for (let s = 0; s < 60; s++) {
        const counts = yield* Effect.forEach(nodes, (n) => n.network.total)
        const ready = counts.filter((c) => c >= want).length
        yield* say(`  forming the network: ${ready}/${nodes.length} nodes have ${want}+ peers`)
        if (ready === nodes.length) break
        yield* Effect.sleep("500 millis")
      }

      // every node records when each message first reaches its application
      const published = new Map<string, number>()
      const publisher = new Map<string, DemoNode>()
      for (const n of nodes) {
        yield* Stream.runForEach(n.gossip.messages, (m) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            const id = new TextDecoder().decode(m.payload).split(" ")[0]!
            const at = published.get(id)
            if (at !== undefined && !n.arrivals.has(id)) n.arrivals.set(id, now - at)
          })
        ).pipe(Effect.forkScoped)
      }

      // gossip from random nodes, a table every second
      const end = (yield* Clock.currentTimeMillis) + Duration.toMillis(options.duration)
      let sent = 0
      let lastTable = 0
      while ((yield* Clock.currentTimeMillis) < end) {
        const from = nodes[yield* Random.nextIntBetween(0, nodes.length, { halfOpen: true })]!
        const id = `m${++sent}`
        published.set(id, yield* Clock.currentTimeMillis)
        publisher.set(id, from)
        from.arrivals.set(id, 0)
        yield* from.gossip.publish(new TextEncoder().encode(`${id} from ${from.name}`))
        const now = yield* Clock.currentTimeMillis
        if (now - lastTable >= 1000) {
          lastTable = now
          // on a terminal the table is redrawn in place; piped, it is appended
          const clear = process.stdout.isTTY ? "\x1b[H\x1b[2J" : "\n"
          yield* say(`${clear}${yield* table(nodes)}\n\n${sent} messages published so far`)
        }
        yield* Effect.sleep("200 millis")
      }
      yield* Effect.sleep("1 second") // let the last messages arrive

      const latencies: Array<number> = []
      let arrived = 0
      for (const n of nodes) {
        for (const id of published.keys()) {
          const t = n.arrivals.get(id)
          if (t === undefined) continue
          arrived++
          if (publisher.get(id) !== n) latencies.push(t)
        }
      }
      latencies.sort((a, b) => a - b)
      let drops = 0
      for (const n of nodes) drops += (yield* n.network.info).dropped
      const summary: DemoSummary = {
        nodes: nodes.length,
        messages: sent,
        coverage: sent === 0 ? 0 : arrived / (sent * nodes.length),
        p50Ms: quantile(latencies, 0.5),
        p99Ms: quantile(latencies, 0.99),
        drops,
        protocols: Object.fromEntries(VERSIONS.map((v) => [`v${v}`, nodes.filter((n) => n.version === v).length]))
      }
      if (options.json) yield* Console.log(JSON.stringify(summary))
      else {
        yield* Console.log(`\n${yield* table(nodes)}`)
        yield* Console.log(
          `\nsummary: ${summary.messages} messages to ${summary.nodes} nodes, coverage ${(summary.coverage * 100).toFixed(1)}%, ` +
            `propagation p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms, ${summary.drops} drops`
        )
      }
      return summary
    })
  ).pipe(
    // the demo narrates; its nodes' operator lines (every connect) would drown
    // it, and stdout may be JSON: warnings and errors only, on stderr
    Effect.provideService(References.MinimumLogLevel, "Warn"),
    Effect.provideService(References.LogToStderr, true)
  )

/** Parses and checks the demo's options. @since 0.1.0 */
export const options = (nodes: number, seconds: number, json: boolean): Result.Result<DemoOptions, string> =>
  nodes < 2 || nodes > 64
    ? Result.fail("--nodes must be between 2 and 64")
    : seconds < 1
      ? Result.fail("--duration must be at least 1 second")
      : Result.succeed({ nodes, duration: Duration.seconds(seconds), json })
