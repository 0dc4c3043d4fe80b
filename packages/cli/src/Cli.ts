/**
 * The `catp2p` command.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import * as Handshakes from "./Handshakes.ts"
import { version } from "./version.ts"

const handshakes = Command.make("handshakes", {}, () => Handshakes.run).pipe(
  Command.withDescription(
    "Negotiate a handshake and exchange a parcel between every pair of protocol versions (9, 10, 11), in memory, through the wire codecs"
  )
)

const demo = Command.make("demo", {}, () =>
  Effect.gen(function* () {
    yield* Effect.log(
      "catp2p demo: the live local network arrives with the node runtime; for now it runs the codec demo"
    )
    yield* Handshakes.run
  })
).pipe(Command.withDescription("Run the local demo"))

/**
 * The root command with its subcommands.
 *
 * @since 0.1.0
 */
export const command = Command.make("catp2p").pipe(
  Command.withDescription("Run and inspect catp2p nodes: Factom's p2p gossip network in TypeScript"),
  Command.withSubcommands([demo, handshakes])
)

/**
 * Parses `argv` (without the node and script paths) and runs the command.
 *
 * @since 0.1.0
 */
export const run = Command.run(command, { version })
