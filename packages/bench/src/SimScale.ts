/**
 * Simulation scale: wall time and memory of a whole CAT network of N
 * nodes on the in-memory transport under `TestClock`, until every node has
 * `minReseed` peers and the graph is connected (`npm run sim -- --nodes N
 * --rounds 0`, run as a child process with its own heap limit). The harness
 * samples the child's RSS from `/proc` every second (Linux), so a run that
 * times out still reports how much memory it had reached.
 *
 * There is no baseline process for this one: the reference is the previous
 * figures in BENCHMARKS.md.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { Effect, Option, Schema, Stream } from "effect"
import { ChildProcess } from "effect/process"
import type { ChildProcessSpawner } from "effect/process/ChildProcessSpawner"
import * as Child from "./Child.ts"
import * as Measure from "./Measure.ts"

/**
 * The simulator's report (the fields the harness reads).
 *
 * @since 0.1.0
 */
export const SimReport = Schema.Struct({
  nodes: Schema.Finite,
  connected: Schema.Boolean,
  minPeers: Schema.Finite,
  maxPeers: Schema.Finite,
  meanPeers: Schema.Finite,
  convergedAfterSeconds: Schema.Finite,
  wallMs: Schema.Finite,
  heapMB: Schema.Finite
})

/**
 * One network size.
 *
 * @since 0.1.0
 */
export interface SimRow {
  readonly nodes: number
  readonly status: "ok" | "timeout" | "failed"
  /** Wall time of the simulation itself (the simulator's figure), or of the whole child on timeout. */
  readonly wallMs: number
  /** Heap used at the end (the simulator's figure). */
  readonly heapMB: number | undefined
  /** Peak RSS of the child seen by the harness. */
  readonly peakRssMB: number | undefined
  readonly convergedAfterSeconds: number | undefined
  readonly meanPeers: number | undefined
  readonly minPeers: number | undefined
  readonly connected: boolean | undefined
  readonly message: string | undefined
}

const decodeReport = Schema.decodeUnknownOption(Schema.fromJsonString(SimReport))

/** The resident set size of a process (Linux `/proc`), in MB, if readable. */
const rssOf = (pid: number): number | undefined => {
  const status = Option.liftThrowable(() => readFileSync(`/proc/${pid}/status`, "utf8"))()
  if (Option.isNone(status)) return undefined
  const kib = /VmRSS:\s+(\d+)\s+kB/.exec(status.value)?.[1]
  return kib === undefined ? undefined : Number(kib) / 1024
}

/**
 * Runs the simulator for `nodes` nodes, giving up after `timeoutMs`.
 *
 * @since 0.1.0
 */
export const measure = (nodes: number, timeoutMs: number): Effect.Effect<SimRow, never, ChildProcessSpawner> =>
  Effect.scoped(
    Effect.gen(function* () {
      const started = yield* Measure.now
      const handle = yield* ChildProcess.make(
        process.execPath,
        [
          ...Child.NODE_ARGS,
          "--max-old-space-size=16384",
          Child.BIN,
          "sim",
          "--nodes",
          String(nodes),
          "--rounds",
          "0",
          "--seed",
          "1"
        ],
        { killSignal: "SIGKILL" }
      )
      let peak: number | undefined
      yield* Effect.sync(() => {
        const rss = rssOf(handle.pid)
        if (rss !== undefined) peak = Math.max(peak ?? 0, rss)
      }).pipe(Effect.andThen(Effect.sleep("1 second")), Effect.forever, Effect.forkScoped)
      const lines: Array<string> = []
      const stderr: Array<string> = []
      yield* handle.stderr.pipe(
        Stream.decodeText(),
        Stream.splitLines,
        Stream.runForEach((l) => Effect.sync(() => stderr.push(l))),
        Effect.ignore,
        Effect.forkScoped
      )
      const finished = yield* handle.stdout.pipe(
        Stream.decodeText(),
        Stream.splitLines,
        Stream.runForEach((l) => Effect.sync(() => lines.push(l))),
        Effect.andThen(handle.exitCode),
        Effect.timeoutOption(timeoutMs)
      )
      const elapsed = (yield* Measure.now) - started
      const none = {
        heapMB: undefined,
        convergedAfterSeconds: undefined,
        meanPeers: undefined,
        minPeers: undefined,
        connected: undefined
      }
      if (Option.isNone(finished)) {
        return { nodes, status: "timeout", wallMs: elapsed, peakRssMB: peak, message: undefined, ...none } as const
      }
      const report = decodeReport(lines[lines.length - 1] ?? "")
      if (Option.isNone(report)) {
        const message = stderr.slice(-5).join(" | ") || lines.slice(-3).join(" | ") || "no report"
        return { nodes, status: "failed", wallMs: elapsed, peakRssMB: peak, message, ...none } as const
      }
      const r = report.value
      return {
        nodes,
        status: "ok",
        wallMs: r.wallMs,
        heapMB: r.heapMB,
        peakRssMB: peak,
        convergedAfterSeconds: r.convergedAfterSeconds,
        meanPeers: r.meanPeers,
        minPeers: r.minPeers,
        connected: r.connected,
        message: undefined
      } satisfies SimRow
    })
  ).pipe(
    Effect.catch((e) =>
      Effect.succeed({
        nodes,
        status: "failed",
        wallMs: 0,
        heapMB: undefined,
        peakRssMB: undefined,
        convergedAfterSeconds: undefined,
        meanPeers: undefined,
        minPeers: undefined,
        connected: undefined,
        message: e.message
      } satisfies SimRow)
    )
  )
