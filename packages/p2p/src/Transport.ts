/**
 * How bytes move between nodes: open a connection, listen for connections.
 * Two implementations share this interface: TCP through
 * `@effect/platform-node` sockets (`TcpTransport`), and an in-memory network
 * (`MemoryTransport`) in which many nodes run in one process, deterministic
 * under `TestClock`.
 *
 * Every connection lives in a `Scope`: closing the scope closes the
 * connection (both directions) and releases everything it holds.
 *
 * @example
 * ```ts
 * import { Transport } from "@catp2p/p2p"
 * import { Effect } from "effect"
 *
 * // what a node does with its transport: listen, connect, write, read
 * const echo = Effect.gen(function* () {
 *   const transport = yield* Transport.Transport
 *   const server = yield* transport.listen({ host: "127.0.0.1", port: 0 }, (connection) =>
 *     Effect.ignore(Effect.forever(Effect.flatMap(connection.read, (chunks) => connection.write(chunks))))
 *   )
 *   const connection = yield* transport.connect(server.address, { timeout: "5 seconds" })
 *   yield* connection.write([new TextEncoder().encode("ping")])
 *   return yield* connection.read
 * })
 * ```
 *
 * @since 0.1.0
 * @module
 */
import type { Duration, Effect, Scope } from "effect"
import { Context, Schema } from "effect"

/**
 * A transport-level address (the remote end of a connection, or where a
 * server listens). `host` is an IP literal for accepted connections (IPv4
 * as `a.b.c.d`, never IPv4-mapped IPv6); to `listen`, `""` means every
 * interface (IPv4 and IPv6).
 *
 * @category models
 * @since 0.1.0
 */
export interface Address {
  readonly host: string
  readonly port: number
}

/**
 * An open, bidirectional byte connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface Connection {
  /** The other end: the dialed address, or the source address of an accepted connection. */
  readonly remote: Address
  /**
   * Waits for the next received bytes: one or more non-empty chunks, in
   * order. Fails with `TransportError` reason `Closed` once the peer has
   * closed (after all bytes sent before that were delivered), or another
   * reason on error. Must not be called concurrently.
   */
  readonly read: Effect.Effect<ReadonlyArray<Uint8Array>, TransportError>
  /**
   * Sends chunks in order, as one batch where the transport can. Completes
   * when the transport has accepted them (back-pressure: it waits while the
   * peer is not reading and the buffers are full). Must not be called
   * concurrently. The caller must not modify the chunks afterwards.
   */
  readonly write: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void, TransportError>
}

/**
 * A listening server.
 *
 * @category models
 * @since 0.1.0
 */
export interface Server {
  /** Where it listens (with the actual port when 0 was asked for). */
  readonly address: Address
}

/**
 * Why a transport operation failed. `Timeout` and `Refused` come from
 * `connect`; `Closed` from `read` after the peer closed; `AddressInUse` from
 * `listen`.
 *
 * @category errors
 * @since 0.1.0
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  reason: Schema.Literals(["Timeout", "Refused", "Closed", "AddressInUse", "Unknown"]),
  message: Schema.String
}) {}

/**
 * @category services
 * @since 0.1.0
 */
export class Transport extends Context.Service<
  Transport,
  {
    /**
     * Opens a connection to `to` within `timeout`, from `bindHost` when given.
     * The connection is closed when the scope closes.
     */
    readonly connect: (
      to: Address,
      options: { readonly timeout: Duration.Input; readonly bindHost?: string | undefined }
    ) => Effect.Effect<Connection, TransportError, Scope.Scope>
    /**
     * Listens on `at` (port 0 = any free port) until the scope closes. Each
     * accepted connection runs `handler` in its own fiber and its own scope:
     * the connection is closed when the handler's effect ends (success,
     * failure or interruption), and every handler is interrupted when the
     * server's scope closes.
     */
    readonly listen: (
      at: Address,
      handler: (connection: Connection) => Effect.Effect<void, never, Scope.Scope>
    ) => Effect.Effect<Server, TransportError, Scope.Scope>
  }
>()("@catp2p/p2p/Transport") {}
