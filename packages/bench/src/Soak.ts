/**
 * The churn soak (`npm run soak -- --minutes N [--nodes 8] [--survivors 2]`):
 * a local TCP network of child processes, each a node running the Gossip
 * layer and publishing a payload every ~200 ms. Nodes other than the
 * survivors are SIGKILLed and restarted at random while traffic flows. At
 * the end every non-survivor is killed, and the survivors (left with only
 * each other) must be back to the descriptors, TCP handles and fibers they
 * had with the same peers at the start (the least of a few samples, plus a
 * small slack); every peer file must read back; and no process may have
 * delivered a payload twice to its application. Prints a JSON summary and
 * exits 1 on any failure.
 *
 * A child is `children.ts soak`: it prints JSON lines (`status` every
 * second, `sample` on request) and reads commands on stdin (`sample`).
 * Every peer file must decode as the JSON Go writes (`PeerCache`: `bans`
 * and `peers`), checked from outside the library.
 *
 * @since 0.1.0
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Config, Gossip, Network, NetworkId, P2PLayer } from "@catp2p/p2p"
import {
  Clock,
  Console,
  Deferred,
  Duration,
  Effect,
  Fiber,
  Layer,
  Metric,
  Option,
  Queue,
  Random,
  Schedule,
  Schema,
  Stream
} from "effect"
import { Command, Flag } from "effect/cli"
import * as Child from "./Child.ts"

/** A peer file as Go writes it (`PeerCache`). */
const PeerFileJson = Schema.fromJsonString(
  Schema.Struct({
    bans: Schema.Record(Schema.String, Schema.String),
    peers: Schema.Array(Schema.Struct({ ip: Schema.String, port: Schema.String }))
  })
)
const decodePeerFile = Schema.decodeUnknownOption(PeerFileJson)

const line = (o: object) => Effect.sync(() => process.stdout.write(`${JSON.stringify(o)}\n`))

// ---------------------------------------------------------------- the child

/** Descriptors, TCP handles and live fibers of this process. */
const sample = Effect.gen(function* () {
  const fibers = (yield* Metric.snapshot).find((m) => m.id === "child_fibers_active")
  return {
    fds: readdirSync("/proc/self/fd").length,
    tcp: process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "TCPServerWrap").length,
    fibers: (fibers?.state as { readonly value?: number } | undefined)?.value ?? -1
  }
})

interface ChildOptions {
  readonly index: number
  readonly boot: number
  readonly port: number
  readonly seeds: string
  readonly dir: string
}

const child = (index: number, boot: number) =>
  Effect.gen(function* () {
    const network = yield* Network.Network
    const gossip = yield* Gossip.Gossip
    const seen = new Set<string>()
    let duplicates = 0
    let published = 0
    yield* Effect.forkChild(
      Stream.runForEach(gossip.messages, (m) =>
        Effect.sync(() => {
          if (seen.has(m.id)) duplicates++
          else seen.add(m.id)
        })
      )
    )
    yield* Effect.forkChild(
      Effect.forever(
        Effect.gen(function* () {
          yield* Effect.sleep(Duration.millis(yield* Random.nextIntBetween(100, 300)))
          yield* gossip.publish(new TextEncoder().encode(`${index}/${boot}/${published++}`))
        })
      )
    )
    yield* Effect.forkChild(
      Effect.forever(
        Effect.andThen(Effect.sleep("1 second"), () =>
          Effect.flatMap(network.total, (peers) =>
            line({ t: "status", index, peers, published, delivered: seen.size, duplicates })
          )
        )
      )
    )
    const commands = yield* Queue.unbounded<string>()
    process.stdin.setEncoding("utf8")
    process.stdin.on("data", (text: string) => {
      for (const c of text.split("\n")) if (c.trim() !== "") Queue.offerUnsafe(commands, c.trim())
    })
    for (;;) {
      const command = yield* Queue.take(commands)
      if (command === "sample") yield* Effect.flatMap(sample, (s) => line({ t: "sample", index, ...s }))
    }
  })

/** One node of the soak until it is killed (its failures end the process with a report). */
const runChild = (o: ChildOptions): Effect.Effect<void, unknown> =>
  Effect.gen(function* () {
    const index = o.index
    const config = yield* Effect.fromResult(
      Config.make({
        network: NetworkId.fromName("catp2p-soak"),
        nodeName: `soak-${index}`,
        bindIp: "127.0.0.1",
        listenPort: String(o.port),
        seedUrl: o.seeds,
        peerCacheFile: join(o.dir === "" ? tmpdir() : o.dir, `peers-${index}.json`),
        roundTime: Duration.seconds(10),
        targetPeers: 4,
        maxPeers: 8,
        maxIncoming: 8,
        dropTo: 5,
        minReseed: 2,
        fanout: 3,
        listenLimit: Duration.zero,
        redialInterval: Duration.seconds(2)
      })
    )
    const layer = Layer.provideMerge(Gossip.Gossip.layer, P2PLayer.layer(config))
    yield* Metric.enableRuntimeMetrics(Effect.scoped(Effect.provide(child(index, o.boot), layer)))
    })

  // --------------------------------------------------------------- the parent

  interface Proc {
    readonly index: number
    readonly kill: () => void
    readonly send: (command: string) => void
    readonly exited: Deferred.Deferred<void>
    last: { peers: number; duplicates: number; delivered: number; published: number } | undefined
    readonly samples: Queue.Queue<{ fds: number; tcp: number; fibers: number }>
  }

  const freePort = Effect.callback<number>((resume) => {
    const server = Net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as Net.AddressInfo).port
      server.close(() => resume(Effect.succeed(port)))
    })
  })

const parent = (minutes: number, n: number, survivors: number) =>
  Effect.gen(function* () {
    const dir = mkdtempSync(join(tmpdir(), "catp2p-soak-"))
    const ports: Array<number> = []
    for (let i = 0; i < n; i++) ports.push(yield* freePort)
    const seeds = join(dir, "seeds.txt")
    writeFileSync(seeds, ports.map((p) => `127.0.0.1:${p}`).join("\n"))
    const procs = new Map<number, Proc>()
    const boots = new Array<number>(n).fill(0)
    let maxDuplicates = 0
    let kills = 0

    const start = (index: number) =>
      Effect.gen(function* () {
        const exited = yield* Deferred.make<void>()
        const samples = yield* Queue.unbounded<{ fds: number; tcp: number; fibers: number }>()
        const args = [...Child.NODE_ARGS, Child.CHILD, "soak", "--index", String(index)]
        args.push("--boot", String(boots[index]!++), "--port", String(ports[index]), "--seeds", seeds, "--dir", dir)
        const cp = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] })
        const proc: Proc = {
          index,
          kill: () => cp.kill("SIGKILL"),
          send: (c) => {
            cp.stdin.write(`${c}\n`)
          },
          exited,
          last: undefined,
          samples
        }
        let buffered = ""
        cp.stdout.setEncoding("utf8")
        cp.stdout.on("data", (text: string) => {
          buffered += text
          const lines = buffered.split("\n")
          buffered = lines.pop() ?? ""
          for (const l of lines) {
            const o = JSON.parse(l) as { t: string } & Record<string, number>
            if (o.t === "status") {
              proc.last = { peers: o.peers!, duplicates: o.duplicates!, delivered: o.delivered!, published: o.published! }
              maxDuplicates = Math.max(maxDuplicates, o.duplicates!)
            } else if (o.t === "sample") Queue.offerUnsafe(samples, { fds: o.fds!, tcp: o.tcp!, fibers: o.fibers! })
          }
        })
        cp.stdin.on("error", () => {})
        cp.on("exit", () => Deferred.doneUnsafe(exited, Effect.void))
        procs.set(index, proc)
        return proc
      })

    const stop = (proc: Proc) =>
      Effect.andThen(
        Effect.sync(() => proc.kill()),
        Deferred.await(proc.exited)
      )

    /** The least of 5 samples, 300 ms apart (dials to dead nodes come and go). */
    const least = (proc: Proc) =>
      Effect.gen(function* () {
        const out = { fds: Infinity, tcp: Infinity, fibers: Infinity }
        for (let k = 0; k < 5; k++) {
          proc.send("sample")
          const s = yield* Queue.take(proc.samples)
          out.fds = Math.min(out.fds, s.fds)
          out.tcp = Math.min(out.tcp, s.tcp)
          out.fibers = Math.min(out.fibers, s.fibers)
          yield* Effect.sleep("300 millis")
        }
        return out
      })

    const waitPeers = (procsToCheck: ReadonlyArray<Proc>, peers: number) =>
      Effect.suspend(() =>
        procsToCheck.every((p) => p.last?.peers === peers) ? Effect.void : Effect.fail("not yet")
      ).pipe(
        Effect.retry(Schedule.spaced("200 millis")),
        Effect.timeoutOrElse({ duration: "60 seconds", orElse: () => Effect.fail(`survivors never had ${peers} peers`) })
      )

    yield* Effect.addFinalizer(() => Effect.forEach([...procs.values()], stop, { discard: true }))

    // the survivors alone: the baseline
    const kept: Array<Proc> = []
    for (let i = 0; i < survivors; i++) kept.push(yield* start(i))
    yield* waitPeers(kept, survivors - 1)
    yield* Effect.sleep("3 seconds")
    const baseline = yield* Effect.forEach(kept, least)

    // churn
    for (let i = survivors; i < n; i++) yield* start(i)
    const deadline = (yield* Clock.currentTimeMillis) + minutes * 60_000
    const restarts: Array<Fiber.Fiber<unknown>> = []
    while ((yield* Clock.currentTimeMillis) < deadline) {
      yield* Effect.sleep(Duration.millis(yield* Random.nextIntBetween(1000, 4000)))
      const victim = procs.get(yield* Random.nextIntBetween(survivors, n, { halfOpen: true }))
      if (victim === undefined || Deferred.isDoneUnsafe(victim.exited)) continue
      yield* stop(victim)
      kills++
      const delay = yield* Random.nextIntBetween(500, 3000)
      restarts.push(yield* Effect.forkChild(Effect.andThen(Effect.sleep(Duration.millis(delay)), start(victim.index))))
    }
    yield* Effect.forEach(restarts, Fiber.join, { discard: true })
    const peakPeers = kept.map((p) => p.last?.peers ?? 0)
    const delivered = kept.map((p) => p.last?.delivered ?? 0)

    // the survivors alone again: back to the baseline?
    for (let i = survivors; i < n; i++) yield* stop(procs.get(i)!)
    yield* waitPeers(kept, survivors - 1)
    yield* Effect.sleep("3 seconds")
    const after = yield* Effect.forEach(kept, least)

    const files = readdirSync(dir).filter((f) => f.startsWith("peers-") && f.endsWith(".json"))
    const badFiles = files.filter((f) => Option.isNone(decodePeerFile(readFileSync(join(dir, f), "utf8"))))
    const leftoverTemp = readdirSync(dir).filter((f) => f.endsWith(".tmp")).length
    const leaks = kept.flatMap((p, i) => {
      const b = baseline[i]!
      const a = after[i]!
      const out: Array<string> = []
      if (a.fds > b.fds + 2) out.push(`node ${p.index}: descriptors ${b.fds} → ${a.fds}`)
      if (a.tcp > b.tcp + 1) out.push(`node ${p.index}: TCP handles ${b.tcp} → ${a.tcp}`)
      if (a.fibers > b.fibers + 4) out.push(`node ${p.index}: fibers ${b.fibers} → ${a.fibers}`)
      return out
    })
    const summary = {
      minutes,
      nodes: n,
      survivors,
      kills,
      survivorPeersAtEndOfChurn: peakPeers,
      survivorDelivered: delivered,
      baseline,
      after,
      peerFiles: files.length,
      badPeerFiles: badFiles,
      leftoverTempFiles: leftoverTemp,
      maxDuplicates,
      leaks,
      ok: leaks.length === 0 && badFiles.length === 0 && maxDuplicates === 0 && files.length > 0
    }
    yield* line(summary)
    // the peer files are kept for a look when the soak failed
    if (!summary.ok) process.exitCode = 1
    else rmSync(dir, { recursive: true, force: true })
  })

/**
 * The `soak` subcommand.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "soak",
  {
    minutes: Flag.Finite("minutes").pipe(Flag.withDescription("Minutes of churn (default 1)"), Flag.withDefault(1)),
    nodes: Flag.Int("nodes").pipe(Flag.withDescription("Node processes (default 8)"), Flag.withDefault(8)),
    survivors: Flag.Int("survivors").pipe(
      Flag.withDescription("Nodes never killed, checked for leaks at the end (default 2)"),
      Flag.withDefault(2)
    )
  },
  (f) =>
    Effect.gen(function* () {
      if (f.minutes <= 0 || f.survivors < 1 || f.nodes <= f.survivors) {
        yield* Console.error("--minutes must be positive, --survivors at least 1, --nodes more than --survivors")
        return yield* Effect.sync(() => process.exit(2))
      }
      yield* Effect.scoped(parent(f.minutes, f.nodes, f.survivors))
    })
).pipe(
  Command.withDescription(
    "Churn soak: a local TCP network of node processes killed and restarted at random; checks the survivors for leaks"
  )
)

/**
 * `children.ts soak`: one node process of the soak.
 *
 * @since 0.1.0
 */
export const childCommand = Command.make(
  "soak",
  {
    index: Flag.Int("index").pipe(Flag.withDefault(0)),
    boot: Flag.Int("boot").pipe(Flag.withDefault(0)),
    port: Flag.Int("port").pipe(Flag.withDefault(0)),
    seeds: Flag.String("seeds").pipe(Flag.withDefault("")),
    dir: Flag.String("dir").pipe(Flag.withDefault(""))
  },
  runChild
).pipe(Command.withDescription("One node of the soak, driven by the soak on stdin"))
