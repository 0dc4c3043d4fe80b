/**
 * Child process: the broadcast scenario (see `Broadcast`): the catp2p
 * Gossip network, then the `node:net` flood on the same graph; prints one
 * `broadcast` reply and exits.
 *
 * `--nodes N --messages M --interval MS --size BYTES --protocol P --min-peers K --form-ms MS`
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import * as BenchNode from "./BenchNode.ts"
import * as Broadcast from "./Broadcast.ts"
import * as Worker from "./Worker.ts"

const flags = {
  nodes: Flag.Int("nodes").pipe(Flag.withDefault(30)),
  messages: Flag.Int("messages").pipe(Flag.withDefault(50)),
  interval: Flag.Int("interval").pipe(Flag.withDefault(100)),
  size: Flag.Int("size").pipe(Flag.withDefault(256)),
  protocol: Flag.Int("protocol").pipe(Flag.withDefault(10)),
  minPeers: Flag.Int("min-peers").pipe(Flag.withDefault(8)),
  formMs: Flag.Int("form-ms").pipe(Flag.withDefault(15_000))
}

const program = (options: Broadcast.BroadcastOptions) =>
  Effect.gen(function* () {
    // each network in its own scope: the catp2p nodes are stopped before the baseline runs
    const net = yield* Effect.scoped(Broadcast.catp2p(options))
    const baseline = yield* Effect.scoped(Broadcast.flood(options, net.edges))
    yield* Worker.reply({
      type: "broadcast",
      nodes: options.nodes,
      edges: net.edges.length,
      formedMs: net.formedMs,
      minPeers: net.minPeers,
      meanPeers: net.meanPeers,
      catp2p: net.propagation,
      baseline
    })
  })

/**
 * `children.ts broadcast --nodes N --messages M ...`.
 *
 * @since 0.1.0
 */
export const command = Command.make("broadcast", flags, (f) =>
  Worker.run(
    program({
      nodes: f.nodes,
      messages: f.messages,
      intervalMs: f.interval,
      size: f.size,
      protocol: BenchNode.protocolOf(f.protocol),
      minPeers: f.minPeers,
      formMs: f.formMs
    })
  )
).pipe(Command.withDescription("The broadcast scenario: the catp2p Gossip network, then the node:net flood"))
