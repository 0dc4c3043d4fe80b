/**
 * Throughput: node A sends parcels to node B (target: B's peer hash) over
 * TCP loopback, each node in its own process; B's application counts what
 * it reads from `Network.messages`. The baseline moves the same payloads as
 * length-prefixed frames over plain `node:net`, also in two processes.
 *
 * Method: the sender sends for warm-up + window + a tail; the receiver is
 * asked for its counters (with its own timestamp) after the warm-up and
 * after the window, so the rate is what B's application received during
 * the window. Afterwards the receiver is polled until everything sent has
 * arrived or nothing moves for a second: parcels neither received nor
 * counted as dropped are reported as `lost` (it must be 0).
 *
 * Modes: `paced` sends with `Network.sendBlocking` (waits for room in the
 * peer's send queue: no drop expected); `unpaced` with `Network.send`
 * (never waits: the send queue drops the older half when full, counted).
 * Drops are counted by whom: the sender's send queue (its `Network.info`
 * drops during the run) or the receiver (its application queue).
 *
 * Processes: a full run starts a fresh pair for every run; `--quick` uses
 * one pair per protocol for every size and mode of a repetition (peak RSS
 * then covers those runs). Runs are interleaved (baseline, then each
 * protocol) so that drifts of a shared machine affect all alike.
 *
 * @since 0.1.0
 */
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import type { ChildProcessSpawner } from "effect/process/ChildProcessSpawner"
import * as Child from "./Child.ts"
import * as Measure from "./Measure.ts"
import * as Messages from "./Messages.ts"

/**
 * @since 0.1.0
 */
export type Mode = "paced" | "unpaced"

/**
 * @since 0.1.0
 */
export interface ThroughputOptions {
  readonly protocols: ReadonlyArray<9 | 10 | 11>
  readonly sizes: ReadonlyArray<number>
  readonly repeats: number
  readonly warmupMs: number
  readonly windowMs: number
  /** Sizes also measured with `Network.send`, without pacing (drops counted). */
  readonly unpacedSizes: ReadonlyArray<number>
  /** `channelCapacity` of both nodes (send queues and the application queue). */
  readonly capacity: number
  /**
   * One sender/receiver pair per protocol for all sizes and modes of a
   * repetition (faster; peak RSS then covers those runs), instead of a
   * fresh pair per run.
   */
  readonly reuseProcesses: boolean
  /** Write CPU profiles of the catp2p processes' measured windows to this directory. */
  readonly cpuProfDir?: string | undefined
  readonly progress: (line: string) => Effect.Effect<void>
}

/**
 * One measurement.
 *
 * @since 0.1.0
 */
export interface Trial {
  readonly parcelsPerSec: number
  readonly mbPerSec: number
  readonly sent: number
  /** Dropped by the sender's send queue. */
  readonly droppedBySender: number
  /** Dropped by the receiver (its application queue was full). */
  readonly droppedByReceiver: number
  /** Sent, neither received nor counted as dropped. */
  readonly lost: number
  readonly senderPeakRssKiB: number
  readonly receiverPeakRssKiB: number
  /** RSS of each process once started, before any parcel. */
  readonly senderStartRssKiB: number
  readonly receiverStartRssKiB: number
}

/**
 * The figures of one mode over the repetitions.
 *
 * @since 0.1.0
 */
export interface ModeFigures {
  /** Parcels sent, over all runs. */
  readonly sent: number
  readonly parcelsPerSec: Measure.Summary
  readonly mbPerSec: Measure.Summary
  readonly dropped: { readonly sendQueue: number; readonly applicationQueue: number }
  readonly lost: number
  /** Peak RSS of each process over the runs, and its RSS once started (loaded, no traffic yet). */
  readonly peakRssMB: { readonly sender: number; readonly receiver: number }
  readonly startRssMB: { readonly sender: number; readonly receiver: number }
}

/**
 * One protocol and payload size.
 *
 * @since 0.1.0
 */
export interface ThroughputRow {
  readonly protocol: 9 | 10 | 11
  readonly size: number
  readonly paced: ModeFigures
  readonly unpaced: ModeFigures | undefined
  readonly baseline: ModeFigures
  /** catp2p paced MB/s over the baseline's, medians. */
  readonly ratio: number
}

let profiles = 0

type Kind = { readonly _tag: "catp2p"; readonly protocol: 9 | 10 | 11 } | { readonly _tag: "net" }

const label = (kind: Kind, size: number, mode: Mode) =>
  kind._tag === "net" ? `node:net ${size} B` : `v${kind.protocol} ${size} B ${mode}`

/** Polls the receiver until `expected` parcels are accounted for or nothing moved for a second. */
const settle = (receiver: Child.Child, expected: number) =>
  Effect.gen(function* () {
    let last = yield* receiver.request({ cmd: "mark" }, Messages.Marked, "30 seconds")
    let still = 0
    for (let i = 0; i < 600 && last.parcels + last.dropped < expected && still < 10; i++) {
      yield* Effect.sleep("100 millis")
      const next = yield* receiver.request({ cmd: "mark" }, Messages.Marked, "30 seconds")
      still = next.parcels === last.parcels && next.dropped === last.dropped ? still + 1 : 0
      last = next
    }
    return last
  })

/**
 * A receiver and a sender process, connected (the sender dialed the receiver).
 *
 * @since 0.1.0
 */
export interface Pair {
  /** "v9", "v10", "v11" or "net". */
  readonly name: string
  readonly catp2p: boolean
  readonly receiver: Child.Child
  readonly sender: Child.Child
  readonly senderStartRssKiB: number
  readonly receiverStartRssKiB: number
}

/**
 * Starts a connected pair in the current scope.
 *
 * @since 0.1.0
 */
export const pair = (
  kind: Kind,
  name: string,
  options: ThroughputOptions
): Effect.Effect<Pair, Child.BenchError, ChildProcessSpawner | Scope.Scope> =>
  Effect.gen(function* () {
    const catp2p = kind._tag === "catp2p"
    const program = catp2p ? "node" : "net"
    const common = catp2p ? ["--protocol", String(kind.protocol), "--capacity", String(options.capacity)] : []
    // both start at once (Node's start-up is most of a trial's overhead)
    const [receiver, sender] = yield* Effect.all(
      [
        Child.spawn({
          name: `${name} receiver`,
          program,
          args: ["--role", "receiver", ...common]
        }),
        Child.spawn({
          name: `${name} sender`,
          program,
          args: ["--role", "sender", ...common]
        })
      ],
      { concurrency: 2 }
    )
    const [receiverReady, senderReady] = yield* Effect.all(
      [receiver.expect(Messages.Ready, "60 seconds"), sender.expect(Messages.Ready, "60 seconds")],
      { concurrency: 2 }
    )
    yield* sender.request({ cmd: "dial", port: receiverReady.port ?? 0 }, Messages.Ready, "30 seconds")
    return {
      name: catp2p ? `v${kind.protocol}` : "net",
      catp2p,
      receiver,
      sender,
      senderStartRssKiB: (senderReady.rss ?? 0) / 1024,
      receiverStartRssKiB: (receiverReady.rss ?? 0) / 1024
    } satisfies Pair
  })

/**
 * One measured run on a pair: send for warm-up + window, count the window,
 * then wait until everything sent is accounted for.
 *
 * @since 0.1.0
 */
export const measure = (
  p: Pair,
  size: number,
  mode: Mode,
  options: ThroughputOptions
): Effect.Effect<Trial, Child.BenchError> =>
  Effect.gen(function* () {
    const { receiver, sender } = p
    const before = yield* receiver.request({ cmd: "mark" }, Messages.Marked, "30 seconds")
    if (options.cpuProfDir !== undefined && p.catp2p) {
      // both processes profile the measured window (the sender's run starts right after)
      for (const [role, child] of [
        ["receiver", receiver],
        ["sender", sender]
      ] as const) {
        const file = join(options.cpuProfDir, `${p.name}-${size}-${mode}-${role}-${++profiles}.cpuprofile`)
        yield* child.send({ cmd: "profile", file, afterMs: options.warmupMs, forMs: options.windowMs })
      }
    }
    yield* sender.send({ cmd: "run", mode, size, ms: options.warmupMs + options.windowMs + 300 })
    yield* Effect.sleep(options.warmupMs)
    const m0 = yield* receiver.request({ cmd: "mark" }, Messages.Marked, "30 seconds")
    yield* Effect.sleep(options.windowMs)
    const m1 = yield* receiver.request({ cmd: "mark" }, Messages.Marked, "30 seconds")
    const sent = yield* sender.expect(Messages.Sent, "60 seconds")
    const expected = before.parcels + before.dropped + sent.sent - sent.dropped
    const end = yield* settle(receiver, expected)
    const seconds = (m1.t - m0.t) / 1000
    return {
      parcelsPerSec: seconds > 0 ? (m1.parcels - m0.parcels) / seconds : 0,
      mbPerSec: seconds > 0 ? (m1.bytes - m0.bytes) / seconds / 1e6 : 0,
      sent: sent.sent,
      droppedBySender: sent.dropped,
      droppedByReceiver: end.dropped - before.dropped,
      lost: Math.max(0, expected - end.parcels - end.dropped),
      senderPeakRssKiB: sent.maxRssKiB,
      receiverPeakRssKiB: end.maxRssKiB,
      senderStartRssKiB: p.senderStartRssKiB,
      receiverStartRssKiB: p.receiverStartRssKiB
    } satisfies Trial
  })

const figures = (trials: ReadonlyArray<Trial>): ModeFigures => ({
  sent: trials.reduce((n, t) => n + t.sent, 0),
  parcelsPerSec: Measure.summarize(trials.map((t) => t.parcelsPerSec)),
  mbPerSec: Measure.summarize(trials.map((t) => t.mbPerSec)),
  dropped: {
    sendQueue: trials.reduce((n, t) => n + t.droppedBySender, 0),
    applicationQueue: trials.reduce((n, t) => n + t.droppedByReceiver, 0)
  },
  lost: trials.reduce((n, t) => n + t.lost, 0),
  peakRssMB: {
    sender: Math.max(0, ...trials.map((t) => t.senderPeakRssKiB)) / 1024,
    receiver: Math.max(0, ...trials.map((t) => t.receiverPeakRssKiB)) / 1024
  },
  startRssMB: {
    sender: Measure.summarize(trials.map((t) => t.senderStartRssKiB)).median / 1024,
    receiver: Measure.summarize(trials.map((t) => t.receiverStartRssKiB)).median / 1024
  }
})

/**
 * Every protocol and size, `repeats` times, interleaved (baseline, then
 * each protocol, per size and repetition) so that drifts of a shared machine
 * affect all alike.
 *
 * @since 0.1.0
 */
export const run = (
  options: ThroughputOptions
): Effect.Effect<ReadonlyArray<ThroughputRow>, Child.BenchError, ChildProcessSpawner> =>
  Effect.gen(function* () {
    const trials = new Map<string, Array<Trial>>()
    const record = (key: string, t: Trial) => {
      const list = trials.get(key) ?? []
      list.push(t)
      trials.set(key, list)
    }
    const keyOf = (kind: Kind, size: number, mode: Mode) =>
      kind._tag === "net" ? `net/${size}` : `${kind.protocol}/${size}/${mode}`
    const runOn = (p: Pair, kind: Kind, size: number, mode: Mode, rep: number) =>
      Effect.gen(function* () {
        const t = yield* measure(p, size, mode, options)
        record(keyOf(kind, size, mode), t)
        yield* options.progress(
          `  ${label(kind, size, mode).padEnd(24)} run ${rep + 1}/${options.repeats}: ` +
            `${Math.round(t.parcelsPerSec).toLocaleString("en-US")} parcels/s, ${t.mbPerSec.toFixed(1)} MB/s` +
            (t.droppedBySender + t.droppedByReceiver + t.lost > 0
              ? `, dropped ${t.droppedBySender} (send queue) + ${t.droppedByReceiver} (application queue), lost ${t.lost}`
              : "")
        )
      })
    const kinds: ReadonlyArray<Kind> = [
      { _tag: "net" },
      ...options.protocols.map((protocol): Kind => ({ _tag: "catp2p", protocol }))
    ]
    const modesOf = (kind: Kind, size: number): ReadonlyArray<Mode> =>
      kind._tag === "catp2p" && options.unpacedSizes.includes(size) ? ["paced", "unpaced"] : ["paced"]
    for (let rep = 0; rep < options.repeats; rep++) {
      if (options.reuseProcesses) {
        // one pair per protocol serves every size and mode
        for (const kind of kinds) {
          yield* Effect.scoped(
            Effect.gen(function* () {
              const p = yield* pair(kind, kind._tag === "net" ? "node:net" : `v${kind.protocol}`, options)
              for (const size of options.sizes) {
                for (const mode of modesOf(kind, size)) yield* runOn(p, kind, size, mode, rep)
              }
            })
          )
        }
      } else {
        // a fresh pair for every run
        for (const size of options.sizes) {
          for (const kind of kinds) {
            for (const mode of modesOf(kind, size)) {
              yield* Effect.scoped(
                Effect.flatMap(pair(kind, label(kind, size, mode), options), (p) => runOn(p, kind, size, mode, rep))
              )
            }
          }
        }
      }
    }
    const rows: Array<ThroughputRow> = []
    for (const protocol of options.protocols) {
      for (const size of options.sizes) {
        const paced = figures(trials.get(`${protocol}/${size}/paced`) ?? [])
        const baseline = figures(trials.get(`net/${size}`) ?? [])
        rows.push({
          protocol,
          size,
          paced,
          unpaced: options.unpacedSizes.includes(size)
            ? figures(trials.get(`${protocol}/${size}/unpaced`) ?? [])
            : undefined,
          baseline,
          ratio: Measure.ratio(paced.mbPerSec.median, baseline.mbPerSec.median)
        })
      }
    }
    return rows
  })
