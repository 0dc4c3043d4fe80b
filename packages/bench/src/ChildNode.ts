/**
 * Child process: one catp2p node on 127.0.0.1, driven by the harness.
 *
 * `--role receiver --protocol P [--capacity N]`: counts the parcels its
 * application reads from `Network.messages`; answers `mark`.
 * `--role sender --protocol P [--capacity N]`: answers `dial` by dialing the
 * receiver, then `run` by sending parcels to the receiver's peer hash.
 * `--role target --protocol P`: takes any number of incoming peers;
 * answers `memory`.
 *
 * @since 0.1.0
 */
import { Endpoint, type Network, Parcel } from "@catp2p/p2p"
import { Effect, Stream } from "effect"
import { Command, Flag } from "effect/cli"
import * as BenchNode from "./BenchNode.ts"
import type * as Messages from "./Messages.ts"
import * as Worker from "./Worker.ts"

/**
 * The child's parameters (its flags).
 *
 * @since 0.1.0
 */
export interface NodeOptions {
  readonly role: "receiver" | "sender" | "target"
  readonly protocol: number
  readonly capacity: number
}

const program = (options: NodeOptions) => {
  const { role, capacity } = options
  const protocol = BenchNode.protocolOf(options.protocol)

  const memory = (network: Network.NetworkService) => Effect.flatMap(network.total, (n) => Worker.memory(n))

  const unknown = (command: Messages.Command) => Effect.fail(`${command.cmd}: not a ${role} command`)

  const receiver = Effect.gen(function* () {
    const network = yield* BenchNode.start(
      yield* BenchNode.config(protocol, `bench-receiver-${process.pid}`, { channelCapacity: capacity })
    )
    let parcels = 0
    let bytes = 0
    yield* Stream.runForEachArray(network.messages, (batch) =>
      Effect.sync(() => {
        parcels += batch.length
        for (const p of batch) bytes += p.payload.length
      })
    ).pipe(Effect.forkScoped)
    yield* Worker.ready({ port: network.address.port })
    yield* Worker.serve((command) => {
      switch (command.cmd) {
        case "mark":
          return Effect.flatMap(network.info, (info) =>
            Worker.reply({
              type: "mark",
              t: performance.now(),
              parcels,
              bytes,
              dropped: info.dropped,
              maxRssKiB: Worker.maxRssKiB()
            })
          )
        case "memory":
          return Effect.flatMap(memory(network), Worker.reply)
        default:
          return unknown(command)
      }
    })
})

/** Sends `size`-byte parcels to `hash` for `ms` milliseconds; replies `sent`. */
const sendFor = Effect.fnUntraced(function* (
  network: Network.NetworkService,
  hash: string,
  command: typeof Messages.Run.Type
) {
  const payload = new Uint8Array(command.size)
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 255
  const parcel = Parcel.make(hash, payload)
  const send = command.mode === "paced" ? network.sendBlocking : network.send
  const droppedBefore = (yield* network.info).dropped
  const started = performance.now()
  const end = started + command.ms
  let sent = 0
  let now = started
  while (now < end) {
    let queued = 0
    for (let i = 0; i < 64; i++) queued += yield* send(parcel)
    if (queued === 0) return yield* Effect.fail("the receiver is no longer connected")
    sent += queued
    now = performance.now()
  }
  const info = yield* network.info
  yield* Worker.reply({
    type: "sent",
    sent,
    dropped: info.dropped - droppedBefore,
    elapsedMs: now - started,
    maxRssKiB: Worker.maxRssKiB()
  })
})

const sender = Effect.gen(function* () {
  const network = yield* BenchNode.start(
    yield* BenchNode.config(protocol, `bench-sender-${process.pid}`, { channelCapacity: capacity })
  )
  let target: string | undefined
  yield* Worker.ready()
  yield* Worker.serve((command) => {
    switch (command.cmd) {
      case "dial":
        return network.dial(Endpoint.unsafeMake("127.0.0.1", String(command.port))).pipe(
          Effect.flatMap((peer) => {
            target = peer.hash
            return Worker.ready({ hash: peer.hash })
          })
        )
      case "run":
        return target === undefined ? Effect.fail("run before dial") : sendFor(network, target, command)
      case "memory":
        return Effect.flatMap(memory(network), Worker.reply)
      default:
        return unknown(command)
    }
  })
})

const target = Effect.gen(function* () {
  const network = yield* BenchNode.start(
    yield* BenchNode.config(protocol, `bench-target-${process.pid}`, BenchNode.MANY_PEERS)
  )
  yield* Worker.ready({ port: network.address.port })
  yield* Worker.serve((command) =>
    command.cmd === "memory" ? Effect.flatMap(memory(network), Worker.reply) : unknown(command)
  )
})

return role === "receiver" ? receiver : role === "sender" ? sender : target
}

/**
 * `children.ts node --role R --protocol P --capacity N`.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "node",
  {
    role: Flag.Literals("role", ["receiver", "sender", "target"]),
    protocol: Flag.Int("protocol").pipe(Flag.withDefault(10)),
    capacity: Flag.Int("capacity").pipe(Flag.withDefault(1000))
  },
  (options) => Worker.run(program(options))
).pipe(Command.withDescription("A catp2p node on 127.0.0.1, driven by the harness on stdin"))
