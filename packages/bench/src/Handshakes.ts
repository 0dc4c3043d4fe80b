/**
 * Handshakes per second: completed incoming handshakes of one node (a new
 * TCP connection, the peer's hello, the node's reply, close), for each
 * protocol. The node runs in one process (`children.ts node --role target`);
 * a dialer process (`children.ts dialer`) keeps `concurrency` connections in
 * flight, each with a real hello from the wire codecs and a fresh node id,
 * and counts the replies that complete the handshake.
 *
 * Baseline: the same hello bytes to a plain `node:net` server that answers
 * any first bytes with 120 bytes: the connection churn a Node process
 * allows, without a protocol.
 *
 * @since 0.1.0
 */
import { join } from "node:path"
import { Effect } from "effect"
import type { ChildProcessSpawner } from "effect/process/ChildProcessSpawner"
import * as Child from "./Child.ts"
import * as Measure from "./Measure.ts"
import * as Messages from "./Messages.ts"

/**
 * @since 0.1.0
 */
export interface HandshakeOptions {
  readonly protocols: ReadonlyArray<9 | 10 | 11>
  readonly repeats: number
  readonly warmupMs: number
  readonly windowMs: number
  /** Connections in flight. */
  readonly concurrency: number
  /** Write a CPU profile of each node's measured window to this directory. */
  readonly cpuProfDir?: string | undefined
  readonly progress: (line: string) => Effect.Effect<void>
}

/**
 * One protocol's figures.
 *
 * @since 0.1.0
 */
export interface HandshakeRow {
  readonly protocol: 9 | 10 | 11
  readonly perSec: Measure.Summary
  readonly failed: number
  readonly baselinePerSec: Measure.Summary
  readonly ratio: number
  readonly firstError: string | undefined
}

let profiles = 0

interface Trial {
  readonly perSec: number
  readonly failed: number
  readonly firstError: string | undefined
}

/**
 * Handshakes per second of one node (or of the raw server) in one protocol.
 *
 * @since 0.1.0
 */
export const trial = (
  raw: boolean,
  protocol: 9 | 10 | 11,
  options: HandshakeOptions
): Effect.Effect<Trial, Child.BenchError, ChildProcessSpawner> =>
  Effect.scoped(
    Effect.gen(function* () {
      const name = raw ? "node:net" : `v${protocol}`
      const [server, dialer] = yield* Effect.all(
        [
          Child.spawn({
            name: `${name} handshake server`,
            program: raw ? "net" : "node",
            args: raw ? ["--role", "server"] : ["--role", "target", "--protocol", String(protocol)]
          }),
          Child.spawn({
            name: `${name} handshake dialer`,
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
      const timeout = `${Math.ceil((options.warmupMs + options.windowMs) / 1000) + 30} seconds` as const
      if (options.warmupMs > 0) {
        yield* dialer.request(
          { cmd: "churn", ms: options.warmupMs, concurrency: options.concurrency },
          Messages.Churned,
          timeout
        )
      }
      if (options.cpuProfDir !== undefined && !raw) {
        const file = join(options.cpuProfDir, `v${protocol}-handshakes-node-${++profiles}.cpuprofile`)
        yield* server.send({ cmd: "profile", file, afterMs: 0, forMs: options.windowMs })
      }
      const r = yield* dialer.request(
        { cmd: "churn", ms: options.windowMs, concurrency: options.concurrency },
        Messages.Churned,
        timeout
      )
      return {
        perSec: r.elapsedMs > 0 ? r.completed / (r.elapsedMs / 1000) : 0,
        failed: r.failed,
        firstError: r.firstError
      } satisfies Trial
    })
  )

/**
 * Every protocol and the baseline, `repeats` times, interleaved.
 *
 * @since 0.1.0
 */
export const run = (
  options: HandshakeOptions
): Effect.Effect<ReadonlyArray<HandshakeRow>, Child.BenchError, ChildProcessSpawner> =>
  Effect.gen(function* () {
    const { baseline: base, trials } = yield* Measure.interleaved(
      options.repeats,
      options.protocols,
      (rep) =>
        Effect.tap(trial(true, 10, options), (b) =>
          options.progress(
            `  ${"node:net connections".padEnd(24)} run ${rep + 1}/${options.repeats}: ${Math.round(b.perSec)}/s`
          )
        ),
      (protocol, rep) =>
        Effect.tap(trial(false, protocol, options), (t) =>
          options.progress(
            `  ${`v${protocol} handshakes`.padEnd(24)} run ${rep + 1}/${options.repeats}: ${Math.round(t.perSec)}/s` +
              (t.failed > 0 ? `, ${t.failed} failed (${t.firstError})` : "")
          )
        )
    )
    const baseline = base.map((b) => b.perSec)
    const baselinePerSec = Measure.summarize(baseline)
    return options.protocols.map((protocol): HandshakeRow => {
      const list = trials.get(protocol) ?? []
      const perSec = Measure.summarize(list.map((t) => t.perSec))
      return {
        protocol,
        perSec,
        failed: list.reduce((n, t) => n + t.failed, 0),
        baselinePerSec,
        ratio: Measure.ratio(perSec.median, baselinePerSec.median),
        firstError: list.find((t) => t.firstError !== undefined)?.firstError
      }
    })
  })
