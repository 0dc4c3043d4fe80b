/**
 * The entry of the child processes that `run` and `soak` start and drive on
 * stdin (`children.ts node|net|dialer|broadcast|soak [flags]`), parsed by
 * effect/cli like `bin.ts`. Its own entry, so that a child loads only what
 * it runs: its start-up memory is part of the figures.
 *
 * @since 0.1.0
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { Command } from "effect/cli"
import * as ChildBroadcast from "./ChildBroadcast.ts"
import * as ChildDialer from "./ChildDialer.ts"
import * as ChildNet from "./ChildNet.ts"
import * as ChildNode from "./ChildNode.ts"
import * as Soak from "./Soak.ts"

/**
 * The child command with one subcommand per kind of child.
 *
 * @since 0.1.0
 */
export const command = Command.make("catp2p-bench-child").pipe(
  Command.withDescription("Internal: the child processes that `run` and `soak` start and drive on stdin"),
  Command.withSubcommands([
    ChildNode.command,
    ChildNet.command,
    ChildDialer.command,
    ChildBroadcast.command,
    Soak.childCommand
  ])
)

Command.run(command, { version: "0.0.0" }).pipe(Effect.provide(NodeServices.layer), NodeRuntime.runMain)
