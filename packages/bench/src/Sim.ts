/**
 * `npm run sim -- --nodes N [--rounds R] [--seed S] [--tick T] [--progress]`
 *
 * Runs a CAT network of N nodes (one seed) on the in-memory transport under
 * TestClock, then R CAT rounds, and prints as its last line one JSON object:
 * nodes, connected, minPeers, maxPeers, meanPeers, rounds, simulatedSeconds,
 * convergedAfterSeconds, churn, wallMs, heapMB. With `--progress`, a line
 * per simulated second on stderr until the network has converged.
 *
 * @since 0.1.0
 */
import { Simulation } from "@catp2p/p2p/testing"
import { Console, Effect, Option, References } from "effect"
import { Command, Flag } from "effect/cli"

const whole = (name: string, fallback: number) =>
  Flag.Int(name).pipe(
    Flag.withDefault(fallback),
    Flag.filter(
      (n) => n >= 0,
      (n) => `--${name} needs a whole number, got ${n}`
    )
  )

/**
 * The `sim` subcommand.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "sim",
  {
    nodes: whole("nodes", 100).pipe(Flag.withDescription("Nodes of the network, 2 to 10000 (default 100)")),
    rounds: whole("rounds", 3).pipe(Flag.withDescription("CAT rounds after the network has converged (default 3)")),
    seed: whole("seed", 1).pipe(Flag.withDescription("Seed of the simulation's Random (default 1)")),
    tick: Flag.Int("tick").pipe(
      Flag.withDescription("Simulated seconds per step (default 1; 5 above 200 nodes)"),
      Flag.optional
    ),
    progress: Flag.Boolean("progress").pipe(
      Flag.withDescription("A line per simulated second on stderr until the network has converged"),
      Flag.withDefault(false)
    )
  },
  (f) =>
    Effect.gen(function* () {
      if (f.nodes < 2 || f.nodes > 10_000) {
        yield* Console.error("--nodes must be between 2 and 10000")
        return yield* Effect.sync(() => process.exit(2))
      }
      const tick = Option.getOrElse(f.tick, () => (f.nodes > 200 ? 5 : 1))
      if (tick < 1) {
        yield* Console.error("--tick must be a positive whole number of seconds")
        return yield* Effect.sync(() => process.exit(2))
      }
      yield* Simulation.run({
        nodes: f.nodes,
        rounds: f.rounds,
        seed: f.seed,
        limit: "30 minutes",
        tick: `${tick} seconds`,
        // the report is complete once the network has converged: print it and
        // leave, as stopping thousands of nodes one by one takes minutes
        onReport: (report) => {
          process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0))
        },
        ...(f.progress
          ? {
              onProgress: (p: Simulation.Progress) =>
                console.error(
                  `t=${p.simulatedSeconds}s ready=${p.ready}/${f.nodes} connections=${p.connections} wall=${(p.wallMs / 1000).toFixed(1)}s heap=${p.heapMB}MB`
                )
            }
          : {})
      }).pipe(Effect.provideService(References.MinimumLogLevel, "Warn"))
    })
).pipe(
  Command.withDescription(
    "Simulate a CAT network of N nodes on the in-memory transport under TestClock; print a JSON report"
  )
)
