/**
 * Child process: many client connections to one server, kept out of the
 * server's process so that only the server is measured.
 *
 * `--mode catp2p --protocol P`, after `dial` (the port): every connection sends a real
 * hello in protocol P (the wire codecs' `Negotiation.Outgoing`, a fresh node
 * id each) and completes when the node's handshake reply is read.
 * `--mode raw`: the same hello bytes, complete on the first reply bytes
 * (against `children.ts net --role server`).
 *
 * Commands: `churn` (connect, handshake, close, for `ms`, `concurrency` at a
 * time) and `hold` (open `count` handshaken connections and keep them,
 * reading and discarding whatever arrives).
 *
 * @since 0.1.0
 */
import * as Net from "node:net"
import { Wire } from "@catp2p/p2p"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import * as BenchNode from "./BenchNode.ts"
import { BenchError } from "./Child.ts"
import * as Worker from "./Worker.ts"

const program = (raw: boolean, protocol: Wire.Protocol.Version) => {
  let port = 0
  /** Our loopback nonce: any value but the node's own (random) one. */
  const nonce = (BigInt(process.pid) << 32n) | 0xbe9cn
  let nextId = 0

  const settings = (nodeId: number): Wire.Negotiation.Settings => ({
    network: BenchNode.NETWORK,
    protocolVersion: protocol,
    protocolVersionMinimum: 9,
    nodeId,
    listenPort: String(1 + (nodeId % 65535))
})

/** Connects and completes one handshake; the socket stays open. */
const handshake = Effect.callback<Net.Socket, BenchError>((resume) => {
  const id = (process.pid * 100_000 + ++nextId) >>> 0
  const side = new Wire.Negotiation.Outgoing(settings(id === 0 ? 1 : id), nonce)
  const socket = Net.createConnection({ host: "127.0.0.1", port, noDelay: true })
  const done = (error: string | undefined) => {
    socket.off("data", onData)
    socket.off("close", onClose)
    if (error === undefined) {
      resume(Effect.succeed(socket))
    } else {
      socket.destroy()
      resume(Effect.fail(new BenchError({ message: error })))
    }
  }
  const onData = (chunk: Buffer) => {
    if (raw) return done(undefined)
    side.push(chunk)
    const r = side.poll()
    if (r._tag === "Value") done(undefined)
    else if (r._tag === "Failure") done(r.error.message)
  }
  const onClose = () => done("closed before the handshake completed")
  socket.on("error", () => {})
  socket.once("error", (e) => done(e.message))
  socket.once("connect", () => socket.write(side.hello))
  socket.on("data", onData)
  socket.once("close", onClose)
  return Effect.sync(() => socket.destroy())
})

const churn = (ms: number, concurrency: number) =>
  Effect.gen(function* () {
    let completed = 0
    let failed = 0
    let firstError: string | undefined
    const started = performance.now()
    const end = started + ms
    const loop = Effect.gen(function* () {
      while (performance.now() < end) {
        const r = yield* Effect.result(handshake)
        if (r._tag === "Success") {
          r.success.destroy()
          completed++
        } else {
          failed++
          firstError ??= r.failure.message
        }
      }
    })
    yield* Effect.forEach(Array.from({ length: concurrency }), () => loop, { concurrency: "unbounded", discard: true })
    yield* Worker.reply({
      type: "churn",
      completed,
      failed,
      elapsedMs: performance.now() - started,
      ...(firstError === undefined ? {} : { firstError })
    })
  })

const held: Array<Net.Socket> = []

const hold = (count: number, concurrency: number) =>
  Effect.gen(function* () {
    let failed = 0
    let firstError: string | undefined
    yield* Effect.forEach(
      Array.from({ length: count }),
      () =>
        Effect.result(handshake).pipe(
          Effect.flatMap((r) =>
            Effect.sync(() => {
              if (r._tag === "Success") {
                r.success.on("data", () => {})
                held.push(r.success)
              } else {
                failed++
                firstError ??= r.failure.message
              }
            })
          )
        ),
      { concurrency, discard: true }
    )
    yield* Worker.reply({
      type: "held",
      open: held.filter((s) => !s.destroyed).length,
      failed,
      ...(firstError === undefined ? {} : { firstError })
    })
  })

return Effect.gen(function* () {
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const s of held) s.destroy()
      })
    )
    yield* Worker.ready()
    yield* Worker.serve((command) => {
      switch (command.cmd) {
        case "dial":
          port = command.port
          return Worker.ready()
        case "churn":
          return churn(command.ms, command.concurrency)
        case "hold":
          return hold(command.count, command.concurrency)
        case "memory":
          return Effect.flatMap(Worker.memory(held.length), Worker.reply)
        default:
          return Effect.fail(`${command.cmd}: not a dialer command`)
      }
    })
  })
}

/**
 * `children.ts dialer --mode catp2p|raw --protocol P`.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "dialer",
  {
    mode: Flag.Literals("mode", ["catp2p", "raw"]),
    protocol: Flag.Int("protocol").pipe(Flag.withDefault(10))
  },
  ({ mode, protocol }) => Worker.run(program(mode === "raw", BenchNode.protocolOf(protocol)))
).pipe(Command.withDescription("Many client connections to one server, driven by the harness on stdin"))
