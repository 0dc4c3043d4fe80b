/**
 * Memory per idle peer: one node (`children.ts node --role target`, limits
 * raised, run with `--expose-gc`) takes `peers` incoming connections from a
 * dialer process that completes a real handshake on each and then holds
 * them, silent. The node's RSS and heap, after full garbage collections,
 * before and after, divided by the peer count, is the cost of an idle peer
 * (`rss`, `heap`). The peers are connected in two halves with a measurement
 * between them; the growth over the second half, per peer, is the marginal
 * cost (`marginalRss`, `marginalHeap`): what one more peer costs, without
 * the one-time growth of the process while the first connections are set
 * up. RSS moves by tens of KiB per peer between runs with how V8 commits and
 * returns pages; the heap figures are the stable ones.
 * The dialer is another process, so its sockets are not counted.
 *
 * Baseline: the same held connections to a plain `node:net` server that
 * keeps each socket open and reading: what a connection costs Node itself.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ChildProcessSpawner } from "effect/process/ChildProcessSpawner"
import * as Child from "./Child.ts"
import * as Measure from "./Measure.ts"
import * as Messages from "./Messages.ts"

/**
 * @since 0.1.0
 */
export interface IdleOptions {
  readonly protocols: ReadonlyArray<9 | 10 | 11>
  readonly peers: number
  readonly repeats: number
  readonly progress: (line: string) => Effect.Effect<void>
}

/**
 * Growth per connection, bytes.
 *
 * @since 0.1.0
 */
export interface PerPeer {
  readonly rss: number
  readonly heap: number
  /** Node's memory outside the JS heap (buffers). */
  readonly external: number
  /** Growth per peer over the second half of the peers. */
  readonly marginalRss: number
  readonly marginalHeap: number
  /** Connections actually held at the measurement. */
  readonly held: number
}

/**
 * One protocol's figures: medians over the repetitions.
 *
 * @since 0.1.0
 */
export interface IdleRow {
  readonly protocol: 9 | 10 | 11
  readonly peers: number
  readonly rssPerPeer: Measure.Summary
  readonly heapPerPeer: Measure.Summary
  readonly externalPerPeer: Measure.Summary
  readonly marginalRssPerPeer: Measure.Summary
  readonly marginalHeapPerPeer: Measure.Summary
  readonly baselineRssPerPeer: Measure.Summary
  readonly baselineHeapPerPeer: Measure.Summary
  /** catp2p RSS per peer over the baseline's, medians. */
  readonly ratio: number
}

/**
 * Holds `peers` connections to a node (or the raw server) and measures its growth.
 *
 * @since 0.1.0
 */
export const trial = (
  raw: boolean,
  protocol: 9 | 10 | 11,
  peers: number
): Effect.Effect<PerPeer, Child.BenchError, ChildProcessSpawner> =>
  Effect.scoped(
    Effect.gen(function* () {
      const name = raw ? "node:net" : `v${protocol}`
      const [server, dialer] = yield* Effect.all(
        [
          Child.spawn({
            name: `${name} idle server`,
            program: raw ? "net" : "node",
            args: raw ? ["--role", "server"] : ["--role", "target", "--protocol", String(protocol)],
            nodeArgs: ["--expose-gc"]
          }),
          Child.spawn({
            name: `${name} idle dialer`,
            program: "dialer",
            args: ["--mode", raw ? "raw" : "catp2p", "--protocol", String(protocol)]
          })
        ],
        { concurrency: 2 }
      )
      const [{ port }] = yield* Effect.all(
        [server.expect(Messages.Ready, "30 seconds"), dialer.expect(Messages.Ready, "30 seconds")],
        { concurrency: 2 }
      )
      yield* dialer.request({ cmd: "dial", port: port ?? 0 }, Messages.Ready, "30 seconds")
      yield* Effect.sleep("300 millis")
      const before = yield* server.request({ cmd: "memory" }, Messages.Memoried, "30 seconds")
      /** Holds connections until `total` are open, then measures the server once it counts them all and settled. */
      const holdUntil = (total: number, count: number) =>
        Effect.gen(function* () {
          const held = yield* dialer.request({ cmd: "hold", count, concurrency: 32 }, Messages.Held, "120 seconds")
          if (held.open < total) {
            return yield* new Child.BenchError({
              message: `${name}: only ${held.open} of ${total} connections held (${held.firstError ?? "no error"})`
            })
          }
          let m = yield* server.request({ cmd: "memory" }, Messages.Memoried, "30 seconds")
          for (let i = 0; i < 100 && m.peers < total; i++) {
            yield* Effect.sleep("100 millis")
            m = yield* server.request({ cmd: "memory" }, Messages.Memoried, "30 seconds")
          }
          yield* Effect.sleep("1 second")
          return yield* server.request({ cmd: "memory" }, Messages.Memoried, "30 seconds")
        })
      const half = Math.max(1, Math.floor(peers / 2))
      const mid = yield* holdUntil(half, half)
      const after = yield* holdUntil(peers, peers - half)
      const n = Math.max(1, after.peers - before.peers)
      const second = Math.max(1, after.peers - mid.peers)
      return {
        rss: (after.rss - before.rss) / n,
        heap: (after.heapUsed - before.heapUsed) / n,
        external: (after.external - before.external) / n,
        marginalRss: (after.rss - mid.rss) / second,
        marginalHeap: (after.heapUsed - mid.heapUsed) / second,
        held: after.peers
      } satisfies PerPeer
    })
  )

/**
 * Every protocol and the baseline, `repeats` times.
 *
 * @since 0.1.0
 */
export const run = (
  options: IdleOptions
): Effect.Effect<ReadonlyArray<IdleRow>, Child.BenchError, ChildProcessSpawner> =>
  Effect.gen(function* () {
    const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`
    const { baseline, trials } = yield* Measure.interleaved(
      options.repeats,
      options.protocols,
      (rep) =>
        Effect.tap(trial(true, 10, options.peers), (b) =>
          options.progress(
            `  ${`node:net ${b.held} idle sockets`.padEnd(24)} run ${rep + 1}/${options.repeats}: ` +
              `RSS ${kib(b.rss)}, heap ${kib(b.heap)} per socket`
          )
        ),
      (protocol, rep) =>
        Effect.tap(trial(false, protocol, options.peers), (t) =>
          options.progress(
            `  ${`v${protocol} ${t.held} idle peers`.padEnd(24)} run ${rep + 1}/${options.repeats}: ` +
              `RSS ${kib(t.rss)}, heap ${kib(t.heap)}, external ${kib(t.external)} per peer; ` +
              `marginal RSS ${kib(t.marginalRss)}, heap ${kib(t.marginalHeap)}`
          )
        )
    )
    const baselineRssPerPeer = Measure.summarize(baseline.map((b) => b.rss))
    const baselineHeapPerPeer = Measure.summarize(baseline.map((b) => b.heap))
    return options.protocols.map((protocol): IdleRow => {
      const list = trials.get(protocol) ?? []
      const rssPerPeer = Measure.summarize(list.map((t) => t.rss))
      return {
        protocol,
        peers: options.peers,
        rssPerPeer,
        heapPerPeer: Measure.summarize(list.map((t) => t.heap)),
        externalPerPeer: Measure.summarize(list.map((t) => t.external)),
        marginalRssPerPeer: Measure.summarize(list.map((t) => t.marginalRss)),
        marginalHeapPerPeer: Measure.summarize(list.map((t) => t.marginalHeap)),
        baselineRssPerPeer,
        baselineHeapPerPeer,
        ratio: Measure.ratio(rssPerPeer.median, baselineRssPerPeer.median)
      }
    })
  })
