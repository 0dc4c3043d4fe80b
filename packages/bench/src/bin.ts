#!/usr/bin/env node
/**
 * The bench command (private: `npm run bench|sim|fuzz|soak|bench:codec`):
 * one effect/cli parser for every benchmark, simulation, fuzz and soak run.
 * The child processes they start have their own entry, `children.ts`, with
 * the same parser.
 *
 * @since 0.1.0
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { Command } from "effect/cli"
import * as Codec from "./Codec.ts"
import * as Fuzz from "./Fuzz.ts"
import * as Run from "./Run.ts"
import * as Sim from "./Sim.ts"
import * as Soak from "./Soak.ts"

/**
 * The root command with its subcommands.
 *
 * @since 0.1.0
 */
export const command = Command.make("catp2p-bench").pipe(
  Command.withDescription("catp2p's benchmarks, network simulation, fuzz and soak runs"),
  Command.withSubcommands([Run.command, Sim.command, Fuzz.command, Soak.command, Codec.command])
)

Command.run(command, { version: "0.0.0" }).pipe(Effect.provide(NodeServices.layer), NodeRuntime.runMain)
