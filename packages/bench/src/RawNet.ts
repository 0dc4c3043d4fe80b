/**
 * The baseline: plain `node:net` on loopback, no Effect on the data path.
 * Frames are a 4-byte big-endian length and the payload: what a small Node
 * program moving the same parcels would do, and the practical limit of a
 * Node process on this machine. The event handlers are plain callbacks on
 * purpose (they are what is measured against); their lifetime is scoped.
 *
 * @since 0.1.0
 */
import * as Net from "node:net"
import { Effect, type Scope } from "effect"
import { BenchError } from "./Child.ts"

/**
 * A parser for one socket's stream of length-prefixed frames: feed it every
 * chunk, it calls `onFrame` with each payload (a view, not a copy). Each
 * byte is copied at most once (a frame split across reads is joined once).
 *
 * @since 0.1.0
 */
export const frameParser = (onFrame: (payload: Buffer) => void): ((chunk: Buffer) => void) => {
  let chunks: Array<Buffer> = []
  let total = 0
  let need = 4
  return (chunk) => {
    chunks.push(chunk)
    total += chunk.length
    if (total < need) return
    const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)
    let off = 0
    need = 4
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off)
      if (buf.length - off < 4 + len) {
        need = 4 + len
        break
      }
      onFrame(buf.subarray(off + 4, off + 4 + len))
      off += 4 + len
    }
    const rest = off === buf.length ? undefined : buf.subarray(off)
    chunks = rest === undefined ? [] : [rest]
    total = rest === undefined ? 0 : rest.length
  }
}

/**
 * Counts the frames and payload bytes received on any number of sockets.
 *
 * @since 0.1.0
 */
export class FrameCounter {
  frames = 0
  bytes = 0

  /** A parser for one more socket. */
  parser(): (chunk: Buffer) => void {
    return frameParser((payload) => {
      this.frames++
      this.bytes += payload.length
    })
  }
}

/**
 * One length-prefixed frame: a fresh buffer with the length and a copy of
 * the payload (what an encoder does).
 *
 * @since 0.1.0
 */
export const frame = (payload: Uint8Array): Buffer => {
  const out = Buffer.allocUnsafe(4 + payload.length)
  out.writeUInt32BE(payload.length, 0)
  out.set(payload, 4)
  return out
}

/**
 * A server on 127.0.0.1 (any free port) running `onSocket` for every
 * connection, closed with the scope (its sockets destroyed).
 *
 * @since 0.1.0
 */
export const listen = (
  onSocket: (socket: Net.Socket) => void
): Effect.Effect<{ readonly port: number; readonly sockets: Set<Net.Socket> }, BenchError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Net.Server; readonly sockets: Set<Net.Socket> }, BenchError>((resume) => {
      const sockets = new Set<Net.Socket>()
      const server = Net.createServer({ noDelay: true }, (socket) => {
        sockets.add(socket)
        socket.on("error", () => {})
        socket.once("close", () => sockets.delete(socket))
        onSocket(socket)
      })
      server.once("error", (e) => resume(Effect.fail(new BenchError({ message: `listen: ${e.message}` }))))
      server.listen({ host: "127.0.0.1", port: 0, backlog: 4096 }, () => resume(Effect.succeed({ server, sockets })))
    }),
    ({ server, sockets }) =>
      Effect.sync(() => {
        for (const s of sockets) s.destroy()
        server.close()
      })
  ).pipe(
    Effect.map(({ server, sockets }) => {
      const address = server.address()
      return { port: typeof address === "object" && address !== null ? address.port : 0, sockets }
    })
  )

/**
 * Opens a connection to 127.0.0.1:`port` (TCP_NODELAY, as catp2p's sockets).
 * Not scoped: the caller destroys it.
 *
 * @since 0.1.0
 */
export const connect = (port: number): Effect.Effect<Net.Socket, BenchError> =>
  Effect.callback<Net.Socket, BenchError>((resume) => {
    const socket = Net.createConnection({ host: "127.0.0.1", port, noDelay: true })
    const onError = (e: Error) => {
      socket.destroy()
      resume(Effect.fail(new BenchError({ message: `connect: ${e.message}` })))
    }
    socket.once("error", onError)
    socket.once("connect", () => {
      socket.off("error", onError)
      socket.on("error", () => {})
      resume(Effect.succeed(socket))
    })
    return Effect.sync(() => socket.destroy())
  })

/**
 * Waits until the socket's write buffer drained (fails if it closes first).
 *
 * @since 0.1.0
 */
export const drain = (socket: Net.Socket): Effect.Effect<void, BenchError> =>
  Effect.callback<void, BenchError>((resume) => {
    if (socket.destroyed) return resume(Effect.fail(new BenchError({ message: "socket closed" })))
    const onDrain = () => {
      socket.off("close", onClose)
      resume(Effect.void)
    }
    const onClose = () => {
      socket.off("drain", onDrain)
      resume(Effect.fail(new BenchError({ message: "socket closed" })))
    }
    socket.once("drain", onDrain)
    socket.once("close", onClose)
    return Effect.sync(() => {
      socket.off("drain", onDrain)
      socket.off("close", onClose)
    })
  })

/** Bytes written per batch before waiting for `drain` (when Node's buffer is full). */
const BATCH_BYTES = 256 * 1024
const BATCH_FRAMES = 256

/**
 * Writes `size`-byte frames (a fresh buffer per frame: length + a copy of
 * the payload, as an encoder does) for `ms` milliseconds, in corked batches,
 * waiting for `drain` whenever Node's buffer is full. Returns the frames written.
 *
 * @since 0.1.0
 */
export const sendFrames = (socket: Net.Socket, size: number, ms: number): Effect.Effect<number, BenchError> =>
  Effect.gen(function* () {
    const payload = Buffer.alloc(size)
    for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 255
    let sent = 0
    const end = performance.now() + ms
    const batch = () => {
      let bytes = 0
      let room = true
      socket.cork()
      for (let i = 0; i < BATCH_FRAMES && bytes < BATCH_BYTES; i++) {
        const f = frame(payload)
        room = socket.write(f)
        bytes += f.length
        sent++
      }
      socket.uncork()
      return room
    }
    while (performance.now() < end) {
      if (socket.destroyed) return yield* new BenchError({ message: "socket closed" })
      const room = yield* Effect.sync(batch)
      yield* room ? Effect.yieldNow : drain(socket)
    }
    return sent
  })
