/**
 * `catp2p node --json`: the scripting interface, so that test harnesses and
 * other programs can drive a node over its standard streams.
 *
 * stdout carries one JSON object per line ({@link Event}):
 *
 * - `{"event":"ready","port":N,"hash":H,"nodeId":"0a1b2c3d","host":IP}` once
 *   listening: `port` is the bound port (also with `listenPort` 0) and `hash`
 *   our identity as peers see it, the peer hash `<host>:<port> <node id>`
 *   (see `PeerHash`), where `host` is `bindIp`, or `127.0.0.1` when bound to
 *   every interface (what a peer on this machine sees);
 * - `{"event":"peers","total":N,"incoming":N,"outgoing":N}` every second;
 * - `{"event":"recv","from":PEERHASH,"len":N,"sha256":HEX}` per application parcel;
 * - `{"event":"peerlist","peers":[PEERHASH,...]}` for `peers`;
 * - `{"event":"stats",...}` for `stats`: the `Network.Info` fields and `rounds`;
 * - `{"event":"config","config":{...}}` for `config`: the configuration in
 *   use, encoded as in a config file (`Config.encode`);
 * - `{"event":"sent","to":TARGET,"len":N,"peers":N}` when a `send` was queued,
 *   `peers` being how many peers it was queued for;
 * - `{"event":"error","reason":R,"message":M}` for a typed failure (a
 *   command's, with the offending `line`), and the process keeps working.
 *
 * stdin takes one command per line ({@link Command}): `send <target> <hex payload>`
 * where the target is `broadcast`, `full`, `random` or a peer hash (which
 * contains a space: the payload is the last word), `peers`, `stats`,
 * `config`, `quit`.
 * Blank lines are ignored; `quit` and the end of stdin shut the node down.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Config, type Network, Parcel, PeerHash } from "@catp2p/p2p"
import { Effect, Option, Result, Schedule, Schema, Stream } from "effect"

/**
 * A command read from stdin.
 *
 * @since 0.1.0
 */
export type Command =
  | { readonly _tag: "Send"; readonly target: string; readonly payload: Uint8Array }
  | { readonly _tag: "Peers" }
  | { readonly _tag: "Stats" }
  | { readonly _tag: "Config" }
  | { readonly _tag: "Quit" }

/**
 * Why a command was not carried out. `UnknownCommand`, `BadArguments`,
 * `BadTarget` and `BadPayload` come from parsing; `UnknownPeer` when the
 * target peer hash is not connected.
 *
 * @since 0.1.0
 */
export class CommandError extends Schema.TaggedError<CommandError>()("CommandError", {
  reason: Schema.Literals(["UnknownCommand", "BadArguments", "BadTarget", "BadPayload", "UnknownPeer"]),
  message: Schema.String
}) {}

/**
 * A line of stdout.
 *
 * @since 0.1.0
 */
export type Event =
  | {
      readonly event: "ready"
      readonly port: number
      readonly hash: string
      readonly nodeId: string
      readonly host: string
    }
  | { readonly event: "peers"; readonly total: number; readonly incoming: number; readonly outgoing: number }
  | { readonly event: "recv"; readonly from: string; readonly len: number; readonly sha256: string }
  | { readonly event: "peerlist"; readonly peers: ReadonlyArray<string> }
  | ({ readonly event: "stats"; readonly rounds: number } & Network.Info)
  | { readonly event: "config"; readonly config: Config.Encoded }
  | { readonly event: "sent"; readonly to: string; readonly len: number; readonly peers: number }
  | {
      readonly event: "error"
      readonly reason: string
      readonly message: string
      /** The command line that failed. */
      readonly line?: string
      /** The configuration field, for a `ConfigError`. */
      readonly field?: string
    }

const TARGETS: Record<string, string> = {
  broadcast: Parcel.Broadcast,
  full: Parcel.FullBroadcast,
  random: Parcel.RandomPeer
}

const SIMPLE: Record<string, "Peers" | "Stats" | "Config" | "Quit"> = {
  peers: "Peers",
  stats: "Stats",
  config: "Config",
  quit: "Quit"
}

const HEX = /^(?:[0-9a-f]{2})+$/i

const fail = (reason: CommandError["reason"], message: string) => Result.fail(new CommandError({ reason, message }))

/**
 * Decodes a hex payload (an even number of hex digits, at least two).
 *
 * @since 0.1.0
 */
export const parseHex = (hex: string): Result.Result<Uint8Array, CommandError> => {
  if (!HEX.test(hex)) {
    return fail("BadPayload", `payload must be a non-empty, even number of hex digits, got ${JSON.stringify(hex)}`)
  }
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return Result.succeed(bytes)
}

/**
 * Parses one line of stdin: a {@link Command}, `undefined` for a blank line,
 * or why the line is not a command.
 *
 * @example
 * ```ts
 * parseCommand("send 127.0.0.1:8108 0a1b2c3d 68656c6c6f")
 * // Result.succeed({ _tag: "Send", target: "127.0.0.1:8108 0a1b2c3d", payload: Uint8Array [104, ...] })
 * ```
 * @since 0.1.0
 */
export const parseCommand = (line: string): Result.Result<Command | undefined, CommandError> => {
  const words = line
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "")
  const [name, ...args] = words
  if (name === undefined) return Result.succeed(undefined)
  switch (name.toLowerCase()) {
    case "peers":
    case "stats":
    case "config":
    case "quit": {
      if (args.length > 0) return fail("BadArguments", `${name} takes no arguments`)
      return Result.succeed({ _tag: SIMPLE[name.toLowerCase()]! })
    }
    case "send": {
      if (args.length < 2) return fail("BadArguments", "usage: send <broadcast|full|random|PEERHASH> <hex payload>")
      const hex = args[args.length - 1]!
      const target = args.slice(0, -1).join(" ")
      const named = TARGETS[target.toLowerCase()]
      if (named === undefined && Option.isNone(PeerHash.parse(target))) {
        return fail(
          "BadTarget",
          `target must be broadcast, full, random or a peer hash "<ip>:<port> <8 hex digits>", got ${JSON.stringify(target)}`
        )
      }
      return Result.map(parseHex(hex), (payload) => ({ _tag: "Send" as const, target: named ?? target, payload }))
    }
    default:
      return fail("UnknownCommand", `unknown command ${JSON.stringify(name)}: use send, peers, stats, config or quit`)
  }
}

/**
 * The `peers` event of a node now.
 *
 * @since 0.1.0
 */
export const peersEvent = (network: Network.NetworkService): Effect.Effect<Event> =>
  Effect.map(network.peers, (peers) => {
    const incoming = peers.filter((p) => p.incoming).length
    return { event: "peers", total: peers.length, incoming, outgoing: peers.length - incoming }
  })

const sha256 = (payload: Uint8Array): string => createHash("sha256").update(payload).digest("hex")

const targetName = (target: string): string =>
  Object.entries(TARGETS).find(([, value]) => value === target)?.[0] ?? target

/**
 * Carries out one command; `false` when the session should end (`quit`).
 *
 * @since 0.1.0
 */
export const execute: (
  network: Network.NetworkService,
  config: Config.Config,
  command: Command,
  emit: (event: Event) => Effect.Effect<void>
) => Effect.Effect<boolean, CommandError | Network.NodeClosed> = Effect.fnUntraced(function* (
  network: Network.NetworkService,
  config: Config.Config,
  command: Command,
  emit: (event: Event) => Effect.Effect<void>
) {
  switch (command._tag) {
    case "Quit":
      return false
    case "Peers": {
      const peers = yield* network.peers
      yield* emit({ event: "peerlist", peers: peers.map((p) => p.hash) })
      return true
    }
    case "Stats": {
      const info = yield* network.info
      yield* emit({ event: "stats", ...info, rounds: yield* network.rounds })
      return true
    }
    case "Config":
      yield* emit({ event: "config", config: Config.encode(config) })
      return true
    case "Send": {
      const peers = yield* network.send(Parcel.make(command.target, command.payload))
      if (peers === 0 && Option.isSome(PeerHash.parse(command.target))) {
        return yield* new CommandError({ reason: "UnknownPeer", message: `not connected to ${command.target}` })
      }
      yield* emit({ event: "sent", to: targetName(command.target), len: command.payload.length, peers })
      return true
    }
  }
})

/**
 * What a scripting session needs: the node and its configuration, our host
 * and peer hash (for `ready`), the command lines, and where events go.
 *
 * @since 0.1.0
 */
export interface SessionOptions {
  readonly network: Network.NetworkService
  readonly config: Config.Config
  readonly host: string
  readonly hash: string
  readonly lines: Stream.Stream<string>
  readonly emit: (event: Event) => Effect.Effect<void>
}

/**
 * Runs a session: `ready`, then `peers` every second and `recv` per
 * application parcel, while commands are carried out; ends at `quit` or at
 * the end of the lines.
 *
 * @since 0.1.0
 */
export const session = Effect.fnUntraced(function* (options: SessionOptions) {
  const { network, emit } = options
  yield* emit({
    event: "ready",
    port: network.address.port,
    hash: options.hash,
    nodeId: (network.nodeId >>> 0).toString(16).padStart(8, "0"),
    host: options.host
  })
  yield* Effect.flatMap(peersEvent(network), emit).pipe(Effect.repeat(Schedule.spaced("1 second")), Effect.forkScoped)
  yield* Stream.runForEach(network.messages, (parcel) =>
    emit({ event: "recv", from: parcel.address, len: parcel.payload.length, sha256: sha256(parcel.payload) })
  ).pipe(Effect.forkScoped)

  const handle = (line: string): Effect.Effect<boolean> => {
    const parsed = parseCommand(line)
    const run = Result.isFailure(parsed)
      ? Effect.fail(parsed.failure)
      : parsed.success === undefined
        ? Effect.succeed(true)
        : execute(network, options.config, parsed.success, emit)
    return run.pipe(
      Effect.catchTag("CommandError", (e) =>
        Effect.as(emit({ event: "error", reason: e.reason, message: e.message, line }), true)
      ),
      // the node is stopping: the session ends
      Effect.catchTag("NodeClosed", () => Effect.succeed(false))
    )
  }
  yield* options.lines.pipe(
    Stream.mapEffect(handle),
    Stream.takeWhile((go) => go),
    Stream.runDrain
  )
})

/**
 * Writes an event as one line of JSON.
 *
 * @since 0.1.0
 */
export const encode = (event: Event): string => JSON.stringify(event)
