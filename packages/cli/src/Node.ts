/**
 * `catp2p node`: runs one node on TCP until stopped.
 *
 * Its configuration comes from flags, `CATP2P_*` environment variables and a
 * JSON file (`--config`), see `NodeOptions`. Three ways to run it:
 *
 * - by default it prints a banner with its address and peer hash, then a
 *   status line every {@link STATUS_EVERY} (unless `--quiet`), see `Status`;
 * - `--chat`: lines typed on stdin are broadcast, received parcels printed (`Chat`);
 * - `--json`: the scripting interface, JSON events on stdout and commands
 *   on stdin (`Scripting`).
 *
 * SIGINT or SIGTERM closes the node's layer (which writes the peer file when
 * `peerCacheFile` is set) and exits 0; a second signal exits at once (130)
 * (one within {@link SIGNAL_ECHO} of the first is the same, forwarded by npm),
 * and a shutdown that takes longer than {@link SHUTDOWN_LIMIT} exits 1. The
 * end of stdin (in `--chat` and `--json`) and `quit` shut down the same way.
 * Status 2 means a bad configuration (every problem is printed, each naming
 * its field; `--metrics` with `enablePrometheus` false is one), status 1 a
 * node that could not start (e.g. the port is taken).
 *
 * `--metrics HOST:PORT` serves the Go package's instruments under Go's names
 * and types, without a `node` label (one node per process, as Go).
 *
 * The node is built in one place, {@link layer}, so further layers (metrics,
 * traces) can be merged there.
 *
 * @since 0.1.0
 */
import { Config, Endpoint, Network, P2PLayer, PeerHash, Telemetry, type Transport } from "@catp2p/p2p"
import {
  Clock,
  Console,
  Context,
  Duration,
  Effect,
  FileSystem,
  Layer,
  Option,
  References,
  Result,
  Schedule,
  Stdio,
  Stream
} from "effect"
import { Command, Flag } from "effect/cli"
import * as Chat from "./Chat.ts"
import { Host } from "./internal/Host.ts"
import * as NodeOptions from "./NodeOptions.ts"
import * as Scripting from "./Scripting.ts"
import * as Status from "./Status.ts"

/**
 * How the node talks to its user.
 *
 * @since 0.1.0
 */
export type Mode = "status" | "chat" | "json"

/**
 * What {@link program} runs.
 *
 * @since 0.1.0
 */
export interface RunOptions {
  readonly config: Config.Config
  readonly mode: Mode
  /** No status lines (`status` and `chat` modes). */
  readonly quiet: boolean
  /** Metrics endpoint and span exporters (`--metrics`, `--trace-console`, `--otlp`). */
  readonly telemetry?: Telemetry.Options
}

/**
 * How often the status line is printed.
 *
 * @since 0.1.0
 */
export const STATUS_EVERY = Duration.seconds(5)

/**
 * How long a shutdown after a signal may take before the process exits 1.
 *
 * @since 0.1.0
 */
export const SHUTDOWN_LIMIT = Duration.seconds(5)

/**
 * The running node: every service of `P2PLayer` on TCP. The one place the
 * node's layer is composed.
 *
 * @since 0.1.0
 */
export const layer = (
  config: Config.Config,
  telemetry: Telemetry.Options = {}
): Layer.Layer<P2PLayer.Services, Transport.TransportError | Telemetry.TelemetryError> =>
  layerOn(Host.defaultValue().transport, config, telemetry)

/** {@link layer} on a given transport (the command's `Host`: TCP, or the in-memory one in its tests). */
const layerOn = (
  transport: Layer.Layer<Transport.Transport>,
  config: Config.Config,
  telemetry: Telemetry.Options
): Layer.Layer<P2PLayer.Services, Transport.TransportError | Telemetry.TelemetryError> =>
  telemetry.metrics === undefined && telemetry.console !== true && telemetry.otlp === undefined
    ? P2PLayer.layerWith(config, transport)
    : // the tracer is provided to the node's layer, so the node's own work is traced
      // one node per process: Go's series without a `node` label, as Go serves them
      P2PLayer.layerWith(config, transport, {
        metrics: telemetry.metrics === undefined ? false : { node: false }
      }).pipe(Layer.provide(Telemetry.layer({ serviceName: "catp2p", ...telemetry })))

const WILDCARD = new Set(["", "0.0.0.0", "::", "[::]"])

/**
 * Our identity as peers see it: the peer hash `<host>:<port> <node id>`
 * (`PeerHash.format`) with the bound port and, as host, `bindIp`, or
 * `127.0.0.1` when bound to every interface (what a peer on this machine
 * sees; a remote peer sees the address it reached us at).
 *
 * @since 0.1.0
 */
export const identity = (
  config: Pick<Config.Config, "bindIp">,
  network: Pick<Network.NetworkService, "address" | "nodeId">
): { readonly host: string; readonly hash: string } => {
  const host = WILDCARD.has(config.bindIp) ? "127.0.0.1" : config.bindIp
  return { host, hash: PeerHash.format(host, String(network.address.port), network.nodeId) }
}

/**
 * The lines of stdin; a read error ends them like the end of input.
 *
 * @since 0.1.0
 */
export const stdinLines: Effect.Effect<Stream.Stream<string>, never, Stdio.Stdio> = Effect.gen(function* () {
  const stdio = yield* Stdio.Stdio
  return stdio.stdin.pipe(
    Stream.decodeText(),
    Stream.splitLines,
    Stream.catch((e) => Stream.fromEffect(Effect.logWarning(`stdin: ${e.message}`)).pipe(Stream.drain))
  )
})

const statusLoop = (network: Network.NetworkService) =>
  Effect.flatMap(Status.sample(network), (s) => Console.log(Status.line(s))).pipe(
    Effect.repeat(Schedule.spaced(STATUS_EVERY)),
    Effect.delay(STATUS_EVERY),
    Effect.forkScoped
  )

/**
 * Runs a node until stdin ends or `quit` (`--chat`, `--json`) or until
 * interrupted (the plain mode runs until interrupted). Logs go to stderr.
 *
 * @since 0.1.0
 */
export const program = (
  options: RunOptions
): Effect.Effect<void, Transport.TransportError | Telemetry.TelemetryError, Stdio.Stdio> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { transport } = yield* Host
      const context = yield* Layer.build(layerOn(transport, options.config, options.telemetry ?? {}))
      const network = Context.get(context, Network.Network)
      const { host, hash } = identity(options.config, network)
      const lines = yield* stdinLines
      if (options.mode === "json") {
        return yield* Scripting.session({
          network,
          config: options.config,
          host,
          hash,
          lines,
          emit: (event) => Console.log(Scripting.encode(event))
        })
      }
      const at = Endpoint.format({ ip: network.address.host, port: String(network.address.port) })
      const { network: networkName, protocolVersion } = Config.encode(options.config)
      yield* Console.log(
        `catp2p node ${hash}: listening on ${at} (network ${networkName}, protocol v${protocolVersion})`
      )
      if (!options.quiet) yield* statusLoop(network)
      if (options.mode === "chat") {
        yield* Console.log("chat: type a line to broadcast it, Ctrl-D to leave")
        return yield* Chat.session({ network, lines, print: Console.log })
      }
      return yield* Effect.never
    })
  ).pipe(Effect.provideService(References.LogToStderr, true))

/** Ends the command with an exit status (the process's, see `Host`). */
const exit = (code: number) => Host.use((host) => host.exit(code))

/**
 * A signal this soon after the first is the same request seen twice, not a
 * second one: a Ctrl-C under `npm run`/`npx` reaches the node from the
 * terminal and again from npm, which forwards it.
 *
 * @since 0.1.0
 */
export const SIGNAL_ECHO = Duration.seconds(1)

/**
 * A second SIGINT/SIGTERM exits at once (130), unless it comes within
 * {@link SIGNAL_ECHO} of the first (then it is the same one, forwarded);
 * after the first one, a shutdown still running after {@link SHUTDOWN_LIMIT}
 * exits 1. The first signal itself is handled by the runtime, which
 * interrupts the program.
 *
 * @since 0.1.0
 */
export const signalGuard = Clock.clockWith((clock) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      let first: bigint | undefined
      const echo = BigInt(Duration.toMillis(SIGNAL_ECHO)) * 1_000_000n
      const onSignal = () => {
        const now = clock.monotonicTimeNanosUnsafe()
        if (first === undefined) {
          first = now
          setTimeout(() => process.exit(1), Duration.toMillis(SHUTDOWN_LIMIT)).unref()
        } else if (now - first >= echo) {
          process.exit(130)
        }
      }
      process.on("SIGINT", onSignal)
      process.on("SIGTERM", onSignal)
      return onSignal
    }),
    (onSignal) =>
      Effect.sync(() => {
        process.off("SIGINT", onSignal)
        process.off("SIGTERM", onSignal)
      })
  )
)

const readConfigFile = Effect.fnUntraced(function* (path: string) {
  const fs = yield* FileSystem.FileSystem
  return yield* fs.readFileString(path).pipe(
    Effect.map((text) => ({ path, text })),
    Effect.mapError(
      (e) =>
        new NodeOptions.OptionsError({
          field: "config",
          source: "file",
          setting: `--config ${path}`,
          message: `cannot be read: ${e.message}`
        })
    )
  )
})

/**
 * Resolves the configuration of a `node` invocation from its flags, the
 * process environment and the config file; on failure prints every problem
 * to stderr (and, with `--json`, an `error` event per problem to stdout) and
 * exits 2.
 *
 * @since 0.1.0
 */
export const configure = Effect.fnUntraced(function* (
  settings: { readonly [K in NodeOptions.Field]: Option.Option<string> },
  configPath: Option.Option<string>,
  json: boolean
) {
  const file = Option.isSome(configPath) ? yield* Effect.result(readConfigFile(configPath.value)) : undefined
  const env = yield* (yield* Host).env
  const resolved =
    file !== undefined && Result.isFailure(file)
      ? Result.fail([file.failure])
      : NodeOptions.resolve({ flags: NodeOptions.flagTexts(settings), env, file: file?.success })
  if (Result.isSuccess(resolved)) return resolved.success.config
  for (const e of resolved.failure) {
    if (json) {
      yield* Console.log(
        Scripting.encode({ event: "error", reason: "ConfigError", message: NodeOptions.render(e), field: e.field })
      )
    }
    yield* Console.error(`catp2p node: invalid configuration: ${NodeOptions.render(e)}`)
  }
  return yield* exit(2)
})

const usage = (message: string) => Effect.andThen(Console.error(`catp2p node: ${message}`), exit(2))

/**
 * The `node` subcommand.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "node",
  {
    config: Flag.String("config").pipe(
      Flag.withMetavar("FILE"),
      Flag.withDescription('JSON file of configuration settings, keys as the fields: {"targetPeers": 40}'),
      Flag.optional
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription(
        "Scripting interface: JSON events on stdout, commands on stdin (send, peers, stats, config, quit)"
      ),
      Flag.withDefault(false)
    ),
    chat: Flag.Boolean("chat").pipe(
      Flag.withDescription("Broadcast each line typed on stdin; print the parcels received"),
      Flag.withDefault(false)
    ),
    quiet: Flag.Boolean("quiet").pipe(Flag.withDescription("No status lines"), Flag.withDefault(false)),
    metrics: Flag.String("metrics").pipe(
      Flag.withMetavar("HOST:PORT"),
      Flag.withDescription(
        "Serve Prometheus metrics (Go's instruments) at http://HOST:PORT/metrics (e.g. 127.0.0.1:9100); needs enablePrometheus"
      ),
      Flag.optional
    ),
    traceConsole: Flag.Boolean("trace-console").pipe(
      Flag.withDescription("Print spans (dial, handshake, round, replenish, peer) to stdout"),
      Flag.withDefault(false)
    ),
    otlp: Flag.String("otlp").pipe(
      Flag.withMetavar("URL"),
      Flag.withDescription("Export spans to this OTLP/HTTP traces URL (e.g. http://127.0.0.1:4318/v1/traces)"),
      Flag.optional
    ),
    settings: NodeOptions.flags
  },
  Effect.fnUntraced(function* ({ config: configPath, json, chat, quiet, metrics, traceConsole, otlp, settings }) {
    if (json && chat) return yield* usage("--json and --chat cannot be combined")
    if (json && traceConsole) return yield* usage("--json and --trace-console cannot be combined (both use stdout)")
    if (Option.isSome(metrics)) {
      const at = Telemetry.parseHostPort(metrics.value)
      if (Result.isFailure(at)) return yield* usage(`--metrics: ${at.failure.message}`)
    }
    const config = yield* configure(settings, configPath, json)
    if (Option.isSome(metrics) && !config.enablePrometheus) {
      // Go registers no instruments without EnablePrometheus: nothing to serve
      return yield* usage(
        "--metrics needs enablePrometheus, which is false (--enable-prometheus, CATP2P_ENABLE_PROMETHEUS or the config file)"
      )
    }
    yield* signalGuard
    const mode: Mode = json ? "json" : chat ? "chat" : "status"
    const telemetry: Telemetry.Options = {
      ...(Option.isSome(metrics) ? { metrics: metrics.value } : {}),
      ...(traceConsole ? { console: true } : {}),
      ...(Option.isSome(otlp) ? { otlp: otlp.value } : {})
    }
    yield* program({ config, mode, quiet, telemetry }).pipe(
      Effect.catchTags({
        TransportError: (e) =>
          Effect.andThen(
            json
              ? Console.log(Scripting.encode({ event: "error", reason: e.reason, message: e.message }))
              : Console.error(`catp2p node: cannot start: ${e.message}`),
            exit(1)
          ),
        TelemetryError: (e) =>
          Effect.andThen(
            json
              ? Console.log(Scripting.encode({ event: "error", reason: "TelemetryError", message: e.message }))
              : Console.error(`catp2p node: cannot start telemetry: ${e.message}`),
            exit(1)
          )
      }),
      // a signal interrupts the program once the node's scope has closed (peer file written): a clean exit
      Effect.onInterrupt(() => exit(0))
    )
    return yield* exit(0)
  }, Effect.scoped)
).pipe(
  Command.withDescription(
    "Run one node. Every configuration field has a flag (--target-peers), an environment variable (CATP2P_TARGET_PEERS) and a config file key (targetPeers); precedence flag > env > file > default"
  )
)
