/**
 * Child process: the `node:net` baseline, driven by the harness like
 * `children.ts node` (same commands and replies).
 *
 * `--role receiver`: counts length-prefixed frames; answers `mark`.
 * `--role sender`: answers `dial` by connecting to the receiver, then `run`
 * by writing frames (always paced by `drain`: a plain socket has nothing to drop).
 * `--role server`: answers the first bytes of every connection with a
 * 120-byte reply (a handshake's size) and keeps it open; answers `memory`.
 *
 * @since 0.1.0
 */
import type * as Net from "node:net"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import type * as Messages from "./Messages.ts"
import * as RawNet from "./RawNet.ts"
import * as Worker from "./Worker.ts"

const REPLY = Buffer.alloc(120, 1)

const program = (role: "receiver" | "sender" | "server") => {
  const unknown = (command: Messages.Command) => Effect.fail(`${command.cmd}: not a ${role} command`)

  const receiver = Effect.gen(function* () {
    const counter = new RawNet.FrameCounter()
    const server = yield* RawNet.listen((socket) => {
      socket.on("data", counter.parser())
    })
    yield* Worker.ready({ port: server.port })
    yield* Worker.serve((command) => {
      switch (command.cmd) {
        case "mark":
          return Worker.reply({
            type: "mark",
            t: performance.now(),
            parcels: counter.frames,
            bytes: counter.bytes,
            dropped: 0,
            maxRssKiB: Worker.maxRssKiB()
          })
        case "memory":
          return Effect.flatMap(Worker.memory(server.sockets.size), Worker.reply)
        default:
          return unknown(command)
      }
    })
})

const sender = Effect.gen(function* () {
  let socket: Net.Socket | undefined
  yield* Effect.addFinalizer(() => Effect.sync(() => socket?.destroy()))
  yield* Worker.ready()
  yield* Worker.serve((command) => {
    if (command.cmd === "dial") {
      return RawNet.connect(command.port).pipe(
        Effect.flatMap((s) => {
          socket = s
          return Worker.ready()
        })
      )
    }
    if (command.cmd !== "run") return unknown(command)
    if (socket === undefined) return Effect.fail("run before dial")
    const connected = socket
    return Effect.gen(function* () {
      const started = performance.now()
      const sent = yield* RawNet.sendFrames(connected, command.size, command.ms)
      yield* Worker.reply({
        type: "sent",
        sent,
        dropped: 0,
        elapsedMs: performance.now() - started,
        maxRssKiB: Worker.maxRssKiB()
      })
    })
  })
})

const server = Effect.gen(function* () {
  const listening = yield* RawNet.listen((socket) => {
    let answered = false
    socket.on("data", () => {
      if (answered) return
      answered = true
      socket.write(REPLY)
    })
  })
  yield* Worker.ready({ port: listening.port })
  yield* Worker.serve((command) =>
    command.cmd === "memory" ? Effect.flatMap(Worker.memory(listening.sockets.size), Worker.reply) : unknown(command)
  )
})

return role === "receiver" ? receiver : role === "sender" ? sender : server
}

/**
 * `children.ts net --role R`.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "net",
  { role: Flag.Literals("role", ["receiver", "sender", "server"]) },
  ({ role }) => Worker.run(program(role))
).pipe(Command.withDescription("The node:net baseline on 127.0.0.1, driven by the harness on stdin"))
