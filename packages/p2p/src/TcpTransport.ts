/**
 * `Transport` over TCP, built on `@effect/platform-node` sockets: dialing
 * wraps a `net.Socket` with `NodeSocket.fromDuplex`, listening uses
 * `NodeSocketServer.make`. Reads are paused-stream pulls and writes wait for
 * `drain`, so back-pressure reaches the kernel's TCP window. Sockets have
 * `TCP_NODELAY` set.
 *
 * Listening on host `""` listens on every interface: `::` dual-stack where
 * the system has IPv6 (Go's `net.Listen("tcp", ":port")`), else `0.0.0.0`.
 * IPv4 peers reaching a dual-stack socket, which Node reports as
 * IPv4-mapped IPv6 (`::ffff:127.0.0.1`), are reported as plain IPv4
 * (`127.0.0.1`), as Go's `net` does, so bans, per-IP limits, network groups
 * and peer hashes see one address per peer.
 *
 * Closing a connection's scope does not wait: the socket is destroyed at once,
 * unless Node still holds bytes that `write` accepted (a slow peer); then it
 * is half-closed and destroyed once they are flushed, or after
 * `lingerTimeout` without progress (as a Go `Close` leaves the kernel to send
 * what was written). Closing a server's scope destroys every socket it
 * accepted at once.
 *
 * @example
 * ```ts
 * import { Config, P2PLayer, TcpTransport } from "@catp2p/p2p"
 * import { Result } from "effect"
 *
 * const config = Result.getOrThrow(Config.make({ listenPort: "8110" }))
 * // P2PLayer.layer(config) uses TcpTransport.layer; to set its options:
 * const node = P2PLayer.layerWith(config, TcpTransport.layerWith({ lingerTimeout: "2 seconds" }))
 * ```
 *
 * @since 0.1.0
 * @module
 */

import * as Net from "node:net"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import type { Array as Arr } from "effect"
import { Duration, Effect, Exit, Layer, Option, Scope } from "effect"
import * as NetAddress from "effect/net/NetAddress"
import type * as Socket from "effect/socket/Socket"
import type * as SocketServer from "effect/socket/SocketServer"
import type { Address, Connection, Server } from "./Transport.ts"
import { Transport, TransportError } from "./Transport.ts"

/**
 * Options of the TCP transport.
 *
 * @category models
 * @since 0.1.0
 */
export interface TcpTransportOptions {
  /**
   * After its scope closed, how long a connection may go without progress
   * flushing bytes that `write` accepted but Node has not yet handed to the
   * kernel (a slow peer) before it is destroyed anyway. Default 5 seconds.
   */
  readonly lingerTimeout?: Duration.Input | undefined
}

const ignoreError = (_: Error) => {}

const errorCode = (cause: unknown): string | undefined => {
  if (typeof cause !== "object" || cause === null) return undefined
  const code = (cause as { readonly code?: unknown }).code
  if (typeof code === "string") return code
  // autoSelectFamily reports every failed attempt in an AggregateError
  const errors = (cause as { readonly errors?: unknown }).errors
  return Array.isArray(errors) ? errorCode(errors[0]) : undefined
}

const errorMessage = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** Codes meaning the connection is gone (rather than an unexpected failure). */
const closedCodes = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_WRITE_AFTER_END",
  "ERR_SOCKET_CLOSED"
])

const closed = (message: string) => new TransportError({ reason: "Closed", message })

/** Maps an Effect socket error from `read`/`write` to a `TransportError`. */
const fromSocketError = (error: Socket.SocketError): TransportError => {
  const reason = error.reason
  switch (reason._tag) {
    case "SocketCloseError":
      return closed(`connection closed (${reason.code})`)
    case "SocketReadError":
    case "SocketWriteError": {
      const code = errorCode(reason.cause)
      // `awaitDrain` reports a close while waiting as a plain "socket closed" error
      if ((code !== undefined && closedCodes.has(code)) || errorMessage(reason.cause) === "socket closed") {
        return closed(`connection closed: ${errorMessage(reason.cause)}`)
      }
      return new TransportError({ reason: "Unknown", message: errorMessage(reason.cause) })
    }
    default:
      return new TransportError({ reason: "Unknown", message: error.message })
  }
}

const connectError = (to: Address, cause: unknown): TransportError => {
  const code = errorCode(cause)
  const message = `connect ${to.host}:${to.port}: ${errorMessage(cause)}`
  if (code === "ECONNREFUSED") return new TransportError({ reason: "Refused", message })
  if (code === "ETIMEDOUT") return new TransportError({ reason: "Timeout", message })
  return new TransportError({ reason: "Unknown", message })
}

const validPort = (port: number, allowZero: boolean) =>
  Number.isInteger(port) && port >= (allowZero ? 0 : 1) && port <= 65535

const ipv4Mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i

/** The IP literal of a socket address, IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as plain IPv4. */
const normaliseHost = (ip: string): string => ipv4Mapped.exec(ip)?.[1] ?? ip

/**
 * Closes a socket at the end of its scope without waiting: destroyed at once
 * when Node holds no unsent bytes; otherwise half-closed and destroyed once
 * those bytes are flushed (`destroySoon`), or after `lingerMillis` without
 * progress (a peer that does not read).
 */
const release = (socket: Net.Socket, lingerMillis: number): Effect.Effect<void> =>
  Effect.sync(() => {
    if (socket.destroyed) return
    // (`writable` is already false here: releasing the writer called `end()`)
    if (socket.writableLength === 0) {
      socket.destroy()
      return
    }
    socket.setTimeout(lingerMillis, () => socket.destroy())
    socket.destroySoon()
  })

/**
 * Builds a `Connection` on an Effect socket in the current scope (the
 * socket's reader and writer are acquired there).
 */
const makeConnection = Effect.fnUntraced(function* (socket: Socket.Socket, raw: Net.Socket, remote: Address) {
  const reader = yield* Effect.mapError(socket.reader, fromSocketError)
  const writer = yield* socket.writer
  const read: Connection["read"] = Effect.mapError(
    reader.pull as Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array>, Socket.SocketError>,
    fromSocketError
  )
  const write: Connection["write"] = (chunks) =>
    Effect.suspend(() => {
      // Node never settles a write on a destroyed stream, so check first; and
      // once the peer's FIN was read the connection is over (no half-open).
      if (raw.destroyed || raw.writableEnded || raw.readableEnded) return Effect.fail(closed("connection closed"))
      if (chunks.length === 0) return Effect.void
      return Effect.mapError(writer.writeAll(chunks as Arr.NonEmptyReadonlyArray<Uint8Array>), fromSocketError)
    })
  const connection: Connection = { remote, read, write }
  return connection
})

/** Opens a TCP connection; the socket is destroyed if this is interrupted or fails. */
const dial = (to: Address, bindHost: string | undefined): Effect.Effect<Net.Socket, TransportError> =>
  Effect.callback<Net.Socket, TransportError>((resume) => {
    const socket = Net.createConnection({
      host: to.host,
      port: to.port,
      noDelay: true,
      ...(bindHost !== undefined ? { localAddress: bindHost } : {})
    })
    // Errors after the dial are reported by the Effect reader/writer; a
    // permanent listener keeps late ones from becoming uncaught exceptions.
    socket.on("error", ignoreError)
    const onConnect = () => {
      socket.off("error", onError)
      resume(Effect.succeed(socket))
    }
    const onError = (cause: Error) => {
      socket.off("connect", onConnect)
      socket.destroy()
      resume(Effect.fail(connectError(to, cause)))
    }
    socket.once("connect", onConnect)
    socket.once("error", onError)
    return Effect.sync(() => {
      socket.off("connect", onConnect)
      socket.off("error", onError)
      socket.destroy()
    })
  })

const connectWith = (linger: number): Transport["Service"]["connect"] =>
  Effect.fn("TcpTransport.connect")(function* (to, options) {
    if (!validPort(to.port, false)) {
      return yield* new TransportError({ reason: "Unknown", message: `connect ${to.host}:${to.port}: invalid port` })
    }
    const raw = yield* Effect.uninterruptibleMask((restore) =>
      restore(
        dial(to, options.bindHost).pipe(
          Effect.timeoutOrElse({
            duration: options.timeout,
            orElse: () =>
              Effect.fail(new TransportError({ reason: "Timeout", message: `connect ${to.host}:${to.port}: timeout` }))
          })
        )
      ).pipe(Effect.tap((raw) => Effect.addFinalizer(() => release(raw, linger))))
    )
    const socket = yield* NodeSocket.fromDuplex(Effect.succeed(raw))
    return yield* makeConnection(socket, raw, { host: to.host, port: to.port })
  })

const listenError = (at: Address, error: SocketServer.SocketServerError): TransportError => {
  const cause = error.reason.cause
  const message = `listen ${at.host.includes(":") ? `[${at.host}]` : at.host}:${at.port}: ${errorMessage(cause)}`
  return new TransportError({ reason: errorCode(cause) === "EADDRINUSE" ? "AddressInUse" : "Unknown", message })
}

/** Runs `handler` for one accepted connection (in the fiber `SocketServer.run` forked for it). */
const serve =
  (
    handler: (connection: Connection) => Effect.Effect<void, never, Scope.Scope>,
    linger: number,
    sockets: Set<Net.Socket>
  ) =>
  (socket: Socket.Socket): Effect.Effect<void> =>
    Effect.gen(function* () {
      const raw = Option.getOrUndefined(yield* Effect.serviceOption(NodeSocket.NetSocket))
      if (raw === undefined) return
      sockets.add(raw)
      raw.once("close", () => sockets.delete(raw))
      // Registered first so it runs last, after the reader and writer are released.
      yield* Effect.addFinalizer(() => release(raw, linger))
      const host = raw.remoteAddress
      const port = raw.remotePort
      // Already gone (reset before the handler started): nothing to serve.
      if (host === undefined || port === undefined) return
      const connection = yield* makeConnection(socket, raw, { host: normaliseHost(host), port })
      yield* handler(connection)
    }).pipe(Effect.scoped, Effect.ignore)

const listenWith = (linger: number): Transport["Service"]["listen"] =>
  Effect.fn("TcpTransport.listen")(function* (at, handler) {
    if (!validPort(at.port, true)) {
      return yield* new TransportError({ reason: "Unknown", message: `listen ${at.host}:${at.port}: invalid port` })
    }
    // A scope of its own, so that a failed listen releases the server at once.
    const scope = yield* Scope.fork(yield* Effect.scope)
    // no host: Node listens on `::` dual-stack where IPv6 is available, else on 0.0.0.0
    const server = yield* NodeSocketServer.make({
      ...(at.host === "" ? {} : { host: at.host }),
      port: at.port,
      noDelay: true
    }).pipe(
      Scope.provide(scope),
      Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause))),
      Effect.mapError((error) => listenError(at, error))
    )
    // Finalizers run in reverse: the accept loop is interrupted first (which
    // interrupts every handler), then lingering sockets are destroyed, then
    // the server closes (destroying connections not yet handed to a handler).
    const sockets = new Set<Net.Socket>()
    yield* Scope.addFinalizer(
      scope,
      Effect.sync(() => {
        for (const socket of sockets) socket.destroy()
      })
    )
    yield* Effect.forkIn(server.run(serve(handler, linger, sockets)), scope)
    const bound = server.address
    const address: Address =
      bound._tag === "UnixPathAddress"
        ? at
        : { host: normaliseHost(NetAddress.formatIp(bound.address)), port: bound.port }
    const result: Server = { address }
    return result
  })

/**
 * A TCP `Transport` with the given options (the service; {@link layer} and
 * {@link layerWith} provide it).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: TcpTransportOptions = {}): Effect.Effect<Transport["Service"]> =>
  Effect.sync(() => {
    const millis = Duration.toMillis(Duration.fromInputUnsafe(options.lingerTimeout ?? "5 seconds"))
    // Node timers take at most 2^31-1 ms (and 0 would disable the timeout)
    const linger = Math.min(Math.max(1, millis), 2 ** 31 - 1)
    return Transport.of({ connect: connectWith(linger), listen: listenWith(linger) })
  })

/**
 * The TCP `Transport` with custom options.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerWith = (options: TcpTransportOptions): Layer.Layer<Transport> => Layer.effect(Transport, make(options))

/**
 * The TCP `Transport` (default options).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Transport> = Layer.effect(Transport, make())

/**
 * The module's constructors as one value, for `import { TcpTransport }`.
 *
 * @category layers
 * @since 0.1.0
 */
export const TcpTransport = { make, layer, layerWith } as const
