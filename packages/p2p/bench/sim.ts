/**
 * `npm run sim -- --nodes N [--rounds R] [--seed S] [--tick T] [--progress]`
 *
 * Runs a CAT network of N nodes (one seed) on the in-memory transport under
 * TestClock, then R CAT rounds, and prints as its last line one JSON object:
 * nodes, connected, minPeers, maxPeers, meanPeers, rounds, simulatedSeconds,
 * convergedAfterSeconds, churn, wallMs, heapMB. With `--progress`, a line
 * per simulated second on stderr until the network has converged.
 */
import { Effect, References } from "effect"
import { Simulation } from "@catp2p/p2p/testing"

const args = process.argv.slice(2)
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`)
  if (i < 0) return fallback
  const n = Number(args[i + 1])
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} needs a whole number, got ${JSON.stringify(args[i + 1])}`)
    process.exit(2)
  }
  return n
}

const nodes = flag("nodes", 100)
const rounds = flag("rounds", 3)
const seed = flag("seed", 1)
const tick = flag("tick", nodes > 200 ? 5 : 1)
if (nodes < 2 || nodes > 10_000) {
  console.error("--nodes must be between 2 and 10000")
  process.exit(2)
}

await Effect.runPromise(
  Simulation.run({
    nodes,
    rounds,
    seed,
    limit: "30 minutes",
    tick: `${tick} seconds`,
    // the report is complete once the network has converged: print it and
    // leave, as stopping thousands of nodes one by one takes minutes
    onReport: (report) => {
      process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0))
    },
    ...(args.includes("--progress")
      ? {
          onProgress: (p: Simulation.Progress) =>
            console.error(
              `t=${p.simulatedSeconds}s ready=${p.ready}/${nodes} connections=${p.connections} wall=${(p.wallMs / 1000).toFixed(1)}s heap=${p.heapMB}MB`
            )
        }
      : {})
  }).pipe(Effect.provideService(References.MinimumLogLevel, "Warn"))
)
