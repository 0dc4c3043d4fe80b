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
import * as BenchNode from "./BenchNode.ts"
import * as Broadcast from "./Broadcast.ts"
import * as Worker from "./Worker.ts"

const options: Broadcast.BroadcastOptions = {
  nodes: Worker.numberArg("nodes", 30),
  messages: Worker.numberArg("messages", 50),
  intervalMs: Worker.numberArg("interval", 100),
  size: Worker.numberArg("size", 256),
  protocol: BenchNode.protocolOf(Worker.numberArg("protocol", 10)),
  minPeers: Worker.numberArg("min-peers", 8),
  formMs: Worker.numberArg("form-ms", 15_000)
}

Worker.main(
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
)
