/**
 * `npm run bench` (`bin.ts run`): every scenario, each with its baseline
 * measured in the same run, as tables of medians, spreads and ratios, and
 * with `--json` a one-line JSON summary as the last line of stdout. Progress
 * goes to stderr. `--quick` runs a reduced matrix in under two minutes.
 *
 * Scenarios: `throughput`, `handshakes`, `idle` (memory per idle peer),
 * `broadcast`, `sim` (simulation scale); see their modules for the method.
 *
 * @since 0.1.0
 */
import { Console, Effect, Option, Result } from "effect"
import { Command, Flag } from "effect/cli"
import type { ChildProcessSpawner } from "effect/process/ChildProcessSpawner"
import * as Broadcast from "./Broadcast.ts"
import type { BenchError } from "./Child.ts"
import * as Handshakes from "./Handshakes.ts"
import * as IdlePeers from "./IdlePeers.ts"
import * as Measure from "./Measure.ts"
import * as Profile from "./Profile.ts"
import * as Report from "./Report.ts"
import * as SimScale from "./SimScale.ts"
import * as Throughput from "./Throughput.ts"

/**
 * @since 0.1.0
 */
export const SCENARIOS = ["throughput", "handshakes", "idle", "broadcast", "sim"] as const

/**
 * @since 0.1.0
 */
export type Scenario = (typeof SCENARIOS)[number]

type Version = 9 | 10 | 11

/**
 * Everything a run needs; see {@link options} for the defaults.
 *
 * @since 0.1.0
 */
export interface BenchOptions {
  readonly quick: boolean
  readonly json: boolean
  readonly only: ReadonlyArray<Scenario>
  readonly protocols: ReadonlyArray<Version>
  readonly sizes: ReadonlyArray<number>
  readonly repeats: number
  readonly warmupMs: number
  readonly windowMs: number
  readonly unpacedSizes: ReadonlyArray<number>
  readonly capacity: number
  readonly handshakeProtocols: ReadonlyArray<Version>
  readonly handshakeWindowMs: number
  readonly idleProtocols: ReadonlyArray<Version>
  readonly peers: number
  readonly broadcast: Omit<Broadcast.BroadcastOptions, "protocol">
  readonly simNodes: ReadonlyArray<number>
  readonly simTimeoutMs: number
  readonly cpuProfDir: string | undefined
}

/**
 * The command-line flags, as parsed.
 *
 * @since 0.1.0
 */
export interface BenchFlags {
  readonly quick: boolean
  readonly json: boolean
  readonly only: string
  readonly protocols: Option.Option<string>
  readonly sizes: Option.Option<string>
  readonly repeats: Option.Option<number>
  readonly window: Option.Option<number>
  readonly capacity: number
  readonly peers: Option.Option<number>
  readonly nodes: number
  readonly messages: Option.Option<number>
  readonly simNodes: Option.Option<string>
  readonly simTimeout: Option.Option<number>
  readonly cpuProf: Option.Option<string>
}

const numbers = (raw: string): ReadonlyArray<number> =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number)

/**
 * Checks the flags and fills in the defaults (full run, or `--quick`).
 *
 * @since 0.1.0
 */
export const options = (f: BenchFlags): Result.Result<BenchOptions, string> => {
  const only = f.only === "all" ? [...SCENARIOS] : f.only.split(",").map((s) => s.trim())
  const bad = only.find((s) => !(SCENARIOS as ReadonlyArray<string>).includes(s))
  if (bad !== undefined) return Result.fail(`--only: unknown scenario ${JSON.stringify(bad)} (${SCENARIOS.join(", ")})`)
  const protocols = numbers(Option.getOrElse(f.protocols, () => "9,10,11"))
  if (protocols.length === 0 || protocols.some((p) => p !== 9 && p !== 10 && p !== 11)) {
    return Result.fail("--protocols: a list of 9, 10, 11")
  }
  const sizes = numbers(Option.getOrElse(f.sizes, () => "100,1024,65536"))
  if (sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s < 8 || s > 16 * 1024 * 1024)) {
    return Result.fail("--sizes: a list of payload sizes in bytes (8 B to 16 MiB)")
  }
  const simNodes = numbers(Option.getOrElse(f.simNodes, () => (f.quick ? "500" : "1000,10000")))
  if (simNodes.some((n) => !Number.isInteger(n) || n < 2 || n > 10_000)) {
    return Result.fail("--sim-nodes: a list of network sizes, 2 to 10000")
  }
  const repeats = Option.getOrElse(f.repeats, () => (f.quick ? 1 : 3))
  const windowMs = Option.getOrElse(f.window, () => (f.quick ? 0.75 : 3)) * 1000
  const peers = Option.getOrElse(f.peers, () => (f.quick ? 500 : 1000))
  const simTimeout = Option.getOrElse(f.simTimeout, () => (f.quick ? 90 : 2700))
  if (repeats < 1 || windowMs < 100 || peers < 1 || f.capacity < 1 || f.nodes < 2 || simTimeout < 1) {
    return Result.fail("--repeats, --window (>= 0.1), --peers, --capacity, --nodes, --sim-timeout must be positive")
  }
  const versions = protocols as ReadonlyArray<Version>
  return Result.succeed({
    quick: f.quick,
    json: f.json,
    only: only as ReadonlyArray<Scenario>,
    protocols: versions,
    sizes,
    repeats,
    warmupMs: f.quick ? 250 : 1000,
    windowMs,
    unpacedSizes: f.quick ? sizes.filter((s) => s === 1024).slice(0, 1) : sizes,
    capacity: f.capacity,
    handshakeProtocols: versions,
    handshakeWindowMs: f.quick ? 600 : 2000,
    idleProtocols: f.quick ? [versions.includes(10) ? 10 : versions[0]!] : versions,
    peers,
    broadcast: {
      nodes: f.nodes,
      messages: Option.getOrElse(f.messages, () => (f.quick ? 20 : 100)),
      intervalMs: 100,
      size: 256,
      minPeers: Math.max(1, Math.min(8, Math.floor((f.nodes - 1) / 2))),
      formMs: f.quick ? 3000 : 15_000
    },
    simNodes,
    simTimeoutMs: simTimeout * 1000,
    cpuProfDir: Option.getOrUndefined(f.cpuProf)
  })
}

/**
 * Runs the selected scenarios, prints the tables (and the JSON line), and
 * returns the JSON summary. A scenario that fails is reported in `errors`
 * and its fields are `null`; the others still run.
 *
 * @since 0.1.0
 */
export const run = (o: BenchOptions): Effect.Effect<Record<string, unknown>, never, ChildProcessSpawner> =>
  Effect.gen(function* () {
    const started = yield* Measure.now
    const progress = (line: string) => Console.error(line)
    const errors: Array<{ readonly scenario: string; readonly message: string }> = []
    const wanted = (s: Scenario) => o.only.includes(s)
    const attempt = <A>(
      scenario: Scenario,
      title: string,
      effect: Effect.Effect<A, BenchError, ChildProcessSpawner>
    ) =>
      wanted(scenario)
        ? Effect.gen(function* () {
            yield* progress(`${title}…`)
            const t0 = yield* Measure.now
            const a = yield* effect
            yield* progress(`  (${scenario}: ${(((yield* Measure.now) - t0) / 1000).toFixed(0)} s)`)
            return a
          }).pipe(
            Effect.catch((e) =>
              Effect.gen(function* () {
                errors.push({ scenario, message: e.message })
                yield* progress(`  ${scenario} failed: ${e.message}`)
                return undefined
              })
            )
          )
        : Effect.succeed(undefined)
    const show = (title: string, text: string) => Console.log(`\n${title}\n${text}`)

    yield* Console.log(
      `catp2p bench${o.quick ? " --quick" : ""}: ${navigator.hardwareConcurrency} cores, Node ${process.version}. ` +
        `Figures are medians of ${o.repeats} run${o.repeats > 1 ? "s" : ""} (± half the spread); ` +
        "ratios are against the node:net baseline of the same run. On a shared machine they are noisy."
    )

    const throughput = yield* attempt(
      "throughput",
      `throughput: v${o.protocols.join("/v")} × ${o.sizes.join(", ")} B, ${o.repeats} × ${o.windowMs / 1000} s`,
      Throughput.run({
        protocols: o.protocols,
        sizes: o.sizes,
        repeats: o.repeats,
        warmupMs: o.warmupMs,
        windowMs: o.windowMs,
        unpacedSizes: o.unpacedSizes,
        capacity: o.capacity,
        reuseProcesses: o.quick,
        cpuProfDir: o.cpuProfDir,
        progress
      })
    )
    if (throughput !== undefined) {
      yield* show(
        `Throughput A → B over TCP loopback (paced: Network.sendBlocking; channelCapacity ${o.capacity}; MB = 10^6 B of payload)`,
        Report.throughputTable(throughput)
      )
    }

    const handshakes = yield* attempt(
      "handshakes",
      "handshakes: connect, handshake, close",
      Handshakes.run({
        protocols: o.handshakeProtocols,
        repeats: o.repeats,
        warmupMs: o.quick ? 200 : 500,
        windowMs: o.handshakeWindowMs,
        concurrency: 16,
        cpuProfDir: o.cpuProfDir,
        progress
      })
    )
    if (handshakes !== undefined) {
      yield* show("Incoming handshakes per second (16 connections in flight)", Report.handshakeTable(handshakes))
    }

    const idle = yield* attempt(
      "idle",
      `memory per idle peer: ${o.peers} peers`,
      IdlePeers.run({ protocols: o.idleProtocols, peers: o.peers, repeats: o.quick ? 1 : o.repeats, progress })
    )
    if (idle !== undefined) {
      yield* show(`Memory per idle peer (${o.peers} peers, after full GCs)`, Report.idleTable(idle))
    }

    const broadcast = yield* attempt(
      "broadcast",
      `broadcast: ${o.broadcast.nodes} nodes, ${o.broadcast.messages} messages`,
      Broadcast.run({ ...o.broadcast, protocol: 10 })
    )
    if (broadcast !== undefined) {
      yield* show(
        `Broadcast: time from publish until every node has the message (v10, ${o.broadcast.size} B payloads)`,
        Report.broadcastTable(broadcast)
      )
    }

    const sim = yield* attempt(
      "sim",
      `simulation scale: ${o.simNodes.join(", ")} nodes`,
      Effect.forEach(o.simNodes, (n) =>
        Effect.tap(SimScale.measure(n, o.simTimeoutMs), (r) =>
          progress(`  ${n} nodes: ${r.status}, ${(r.wallMs / 1000).toFixed(1)} s`)
        )
      )
    )
    if (sim !== undefined) {
      yield* show(
        "Simulation scale: CAT networks on the in-memory transport under TestClock, until every node has minReseed peers",
        Report.simTable(sim)
      )
    }

    if (o.cpuProfDir !== undefined) {
      const profiles = yield* Profile.summarizeDir(o.cpuProfDir)
      yield* show(`CPU profiles in ${o.cpuProfDir}`, profiles.map(Profile.format).join("\n\n"))
    }

    const out = Report.json({ quick: o.quick, throughput, handshakes, idle, broadcast, sim, errors })
    yield* progress(`done in ${(((yield* Measure.now) - started) / 1000).toFixed(0)} s`)
    if (o.json) yield* Console.log(JSON.stringify(out))
    return out
  })

const flags = {
  quick: Flag.Boolean("quick").pipe(
    Flag.withDescription("A reduced run, under two minutes: one repetition, short windows, 500 idle peers, a 500-node simulation only"),
    Flag.withDefault(false)
  ),
  json: Flag.Boolean("json").pipe(
    Flag.withDescription("End with the summary as one JSON line"),
    Flag.withDefault(false)
  ),
  only: Flag.String("only").pipe(
    Flag.withDescription(`Scenarios to run, comma-separated: ${SCENARIOS.join(", ")} (default: all)`),
    Flag.withDefault("all")
  ),
  protocols: Flag.String("protocols").pipe(Flag.withDescription("Protocols (default 9,10,11)"), Flag.optional),
  sizes: Flag.String("sizes").pipe(
    Flag.withDescription("Throughput payload sizes in bytes (default 100,1024,65536)"),
    Flag.optional
  ),
  repeats: Flag.Int("repeats").pipe(Flag.withDescription("Repetitions (default 3; 1 with --quick)"), Flag.optional),
  window: Flag.Finite("window").pipe(
    Flag.withDescription("Seconds measured per throughput run (default 3; 0.75 with --quick)"),
    Flag.optional
  ),
  capacity: Flag.Int("capacity").pipe(
    Flag.withDescription(
      "channelCapacity of the throughput nodes: send and application queues (default 5000; Go's is 1000)"
    ),
    Flag.withDefault(5000)
  ),
  peers: Flag.Int("peers").pipe(
    Flag.withDescription("Idle peers held for the memory figure (default 1000; 500 with --quick)"),
    Flag.optional
  ),
  nodes: Flag.Int("nodes").pipe(
    Flag.withDescription("Nodes of the broadcast network (default 30)"),
    Flag.withDefault(30)
  ),
  messages: Flag.Int("messages").pipe(
    Flag.withDescription("Broadcasts measured (default 100; 20 with --quick)"),
    Flag.optional
  ),
  simNodes: Flag.String("sim-nodes").pipe(
    Flag.withDescription("Simulated network sizes (default 1000,10000; 500 with --quick)"),
    Flag.optional
  ),
  simTimeout: Flag.Int("sim-timeout").pipe(
    Flag.withDescription(
      "Seconds a simulation may take before it is reported as a timeout (default 2700; 90 with --quick)"
    ),
    Flag.optional
  ),
  cpuProf: Flag.String("cpu-prof").pipe(
    Flag.withDescription(
      "Write CPU profiles of the catp2p processes (throughput sender and receiver, handshaking node), measured window only, to this directory; summarized at the end"
    ),
    Flag.optional
  )
}

/**
 * The `run` subcommand.
 *
 * @since 0.1.0
 */
export const command = Command.make("run", flags, (f) =>
  Effect.gen(function* () {
    const checked = options(f)
    if (Result.isFailure(checked)) {
      yield* Console.error(checked.failure)
      return yield* Effect.sync(() => process.exit(2))
    }
    yield* run(checked.success)
  })
).pipe(
  Command.withDescription(
    "Measure catp2p against a raw node:net baseline: throughput, handshakes, memory per peer, broadcast latency, simulation scale"
  )
)
