/**
 * The `catp2p` command.
 *
 * @since 0.1.0
 */
import type { Config, Network, Transport } from "@catp2p/p2p"
import { Console, Effect, type FileSystem, Result, type Stdio } from "effect"
import { type CliError, Command, Flag } from "effect/cli"
import * as Demo from "./Demo.ts"
import * as Handshakes from "./Handshakes.ts"
import { Host } from "./internal/Host.ts"
import * as Node from "./Node.ts"
import { version } from "./version.ts"

const handshakes = Command.make("handshakes", {}, () => Handshakes.run).pipe(
  Command.withDescription(
    "Negotiate a handshake and exchange a parcel between every pair of protocol versions (9, 10, 11), in memory, through the wire codecs"
  )
)

const demo = Command.make(
  "demo",
  {
    nodes: Flag.Int("nodes").pipe(Flag.withDescription("How many nodes to start"), Flag.withDefault(8)),
    duration: Flag.Int("duration").pipe(
      Flag.withDescription("Seconds of gossip before the summary"),
      Flag.withDefault(20)
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("Print only the summary, as one JSON line"),
      Flag.withDefault(false)
    )
  },
  ({ nodes, duration, json }) =>
    Effect.gen(function* () {
      const checked = Demo.options(nodes, duration, json)
      if (Result.isFailure(checked)) {
        yield* Console.error(checked.failure)
        return yield* (yield* Host).exit(2)
      }
      yield* Demo.run(checked.success)
    })
).pipe(
  Command.withDescription(
    "Start a local network of catp2p nodes on 127.0.0.1 (protocols 9, 10, 11), gossip on it, and report coverage and propagation time"
  )
)

/**
 * The root command with its subcommands.
 *
 * @since 0.1.0
 */
export const command: Command.Command<
  "catp2p",
  {},
  {},
  string | Transport.TransportError | Network.MessagesTaken | Network.NodeClosed | Config.ConfigError,
  FileSystem.FileSystem | Stdio.Stdio
> = Command.make("catp2p").pipe(
  Command.withDescription("Run and inspect catp2p nodes: Factom's p2p gossip network in TypeScript"),
  Command.withSubcommands([Node.command, demo, handshakes])
)

/**
 * Parses `argv` (without the node and script paths) and runs the command.
 *
 * @since 0.1.0
 */
export const run: Effect.Effect<
  void,
  string | CliError.CliError | Transport.TransportError | Network.MessagesTaken | Network.NodeClosed | Config.ConfigError,
  Command.Environment
> = Command.run(command, { version })
