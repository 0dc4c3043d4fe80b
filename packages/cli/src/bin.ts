#!/usr/bin/env node
/**
 * The `catp2p` executable.
 *
 * @since 0.1.0
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { run } from "./Cli.ts"

run.pipe(Effect.provide(NodeServices.layer), NodeRuntime.runMain)
