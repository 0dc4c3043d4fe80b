/**
 * An in-memory `Transport`: a simulated network in which many nodes run in
 * one process, fully deterministic under `TestClock` (no I/O, no timers: only
 * fibers, callbacks and Clock-based timeouts).
 *
 * A `MemoryNetwork` is a registry of listening addresses. Each node gets a
 * `Transport` bound to its own host (`layerHost(network, "10.0.0.7")`): its
 * connections come from that host, with an ephemeral source port, so a
 * listener sees `remote.host === "10.0.0.7"`. Hosts are plain strings.
 *
 * A connection is a pair of pipes, each a bounded buffer: `write` waits while
 * the peer's buffer is full (real back-pressure), `read` takes everything
 * buffered. Closing either end's scope closes both directions for the other
 * end, as with TCP: its `read` gets the remaining bytes then `Closed`, its
 * `write` fails `Closed`. Connecting to a host made unreachable
 * (`network.setReachable(host, false)`) times out on the Clock.
 *
 * @example
 * ```ts
 * import { MemoryTransport } from "@catp2p/p2p/testing"
 * import { Effect } from "effect"
 *
 * // one network, one host per node
 * const transports = Effect.gen(function* () {
 *   const network = yield* MemoryTransport.makeNetwork()
 *   const nodeA = MemoryTransport.layerHost(network, "10.0.0.1") // a Layer<Transport>
 *   const nodeB = MemoryTransport.layerHost(network, "10.0.0.2")
 *   return [nodeA, nodeB] as const
 * })
 * ```
 *
 * @since 0.1.0
 * @module
 */
import { Effect, Layer, Scope } from "effect"
import type { Server } from "../Transport.ts"
import { Transport, TransportError } from "../Transport.ts"
import { closeEnd, makeEnd, type Pair, Pipe } from "./MemoryConnection.ts"
import {
  type Listener,
  MemoryNetwork,
  type MemoryNetworkOptions,
  make as makeNetwork,
  SharedNetwork
} from "./MemoryNetwork.ts"

export {
  /**
   * A fresh, empty network.
   *
   * @since 0.1.0
   */
  makeNetwork,
  /**
   * The simulated network a transport runs on (was `Network`).
   *
   * @since 0.1.0
   */
  MemoryNetwork,
  /**
   * Options of an in-memory network.
   *
   * @since 0.1.0
   */
  type MemoryNetworkOptions,
  /**
   * The network shared by the nodes of a simulation, as a service (was the `MemoryNetwork` service).
   *
   * @since 0.1.0
   */
  SharedNetwork
}

const isWildcard = (host: string) => host === "" || host === "0.0.0.0" || host === "::"

const validPort = (port: number, allowZero: boolean) =>
  Number.isInteger(port) && port >= (allowZero ? 0 : 1) && port <= 65535

const connectWith = (network: MemoryNetwork, host: string): Transport["Service"]["connect"] =>
  Effect.fnUntraced(function* (to, options) {
    const from = options.bindHost ?? host
    if (network.unreachable.has(to.host)) {
      yield* Effect.sleep(options.timeout)
      return yield* new TransportError({ reason: "Timeout", message: `connect ${to.host}:${to.port}: timeout` })
    }
    const listener = validPort(to.port, false) ? network.listeners.get(`${to.host}:${to.port}`) : undefined
    if (listener === undefined) {
      return yield* new TransportError({
        reason: "Refused",
        message: `connect ${to.host}:${to.port}: connection refused`
      })
    }
    const port = network.freePort(from)
    if (port === undefined) {
      return yield* new TransportError({ reason: "Unknown", message: `connect from ${from}: no free port` })
    }
    const scope = yield* Effect.scope
    // One uninterruptible step: both ends exist only with the dialer's end
    // tied to its scope and the listener's to its handler.
    return yield* Effect.uninterruptible(
      Effect.suspend(() => {
        const up = new Pipe()
        const down = new Pipe()
        const pair: Pair = { open: 2, release: network.opened(from, port) }
        const dialer = makeEnd(network, down, up, pair, { host: to.host, port: to.port })
        return listener.accept(makeEnd(network, up, down, pair, { host: from, port })).pipe(
          Effect.andThen(
            Scope.addFinalizer(
              scope,
              Effect.sync(() => closeEnd(dialer))
            )
          ),
          Effect.as(dialer.connection)
        )
      })
    )
  })

const listenWith = (network: MemoryNetwork, host: string): Transport["Service"]["listen"] =>
  Effect.fnUntraced(function* (at, handler) {
    const listenHost = isWildcard(at.host) ? host : at.host
    if (!validPort(at.port, true)) {
      return yield* new TransportError({ reason: "Unknown", message: `listen ${at.host}:${at.port}: invalid port` })
    }
    const port = at.port === 0 ? network.freePort(listenHost) : at.port
    if (port === undefined) {
      return yield* new TransportError({ reason: "Unknown", message: `listen ${listenHost}:0: no free port` })
    }
    const key = `${listenHost}:${port}`
    if (network.listeners.has(key)) {
      return yield* new TransportError({ reason: "AddressInUse", message: `listen ${key}: address already in use` })
    }
    const scope = yield* Effect.scope
    // Handlers run with the listener's services, in a scope closed after
    // the address is unregistered (finalizers run in reverse order).
    const context = yield* Effect.context<never>()
    const handlers = yield* Scope.fork(scope, "parallel")
    // Forked from the dialing fiber (no runtime of its own per connection:
    // a fresh root fiber cost a dispatcher per connection), with the
    // listener's services in place of the dialer's.
    const listener: Listener = {
      accept: (end) =>
        Effect.map(
          Effect.forkIn(Effect.provideContext(Effect.scoped(handler(end.connection)), context), handlers, {
            startImmediately: true
          }),
          (fiber) => {
            // Whatever ends the handler (even interruption before it started) closes its end.
            fiber.addObserver(() => closeEnd(end))
          }
        )
    }
    network.listeners.set(key, listener)
    yield* Scope.addFinalizer(
      scope,
      Effect.sync(() => {
        if (network.listeners.get(key) === listener) network.listeners.delete(key)
      })
    )
    const server: Server = { address: { host: listenHost, port } }
    return server
  })

/**
 * A `Transport` on `network` for a node at `host`: its connections come from
 * `host` (unless `bindHost` says otherwise), and listening on a wildcard host
 * (`""`, `"0.0.0.0"`, `"::"`) listens on `host`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (network: MemoryNetwork, host = "127.0.0.1"): Transport["Service"] =>
  Transport.of({ connect: connectWith(network, host), listen: listenWith(network, host) })

/**
 * The `Transport` of the node at `host` on the given network.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerHost = (network: MemoryNetwork, host: string): Layer.Layer<Transport> =>
  Layer.succeed(Transport, make(network, host))

/**
 * The `Transport` of the node at `host` on the `SharedNetwork` service.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerNetworkHost = (host: string): Layer.Layer<Transport, never, SharedNetwork> =>
  Layer.effect(
    Transport,
    Effect.map(Effect.service(SharedNetwork), (network) => make(network, host))
  )

/**
 * A `Transport` on a fresh network of its own, at host `127.0.0.1`. Nodes
 * given the same built layer share it (and that host, so they need distinct
 * ports); for distinct hosts use `layerHost` or `layerNetworkHost`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Transport> = Layer.sync(Transport, () => make(new MemoryNetwork()))

/**
 * The module's constructors as one value, for `import { MemoryTransport }`.
 *
 * @category services
 * @since 0.1.0
 */
export const MemoryTransport = {
  make,
  makeNetwork,
  layer,
  layerHost,
  layerNetworkHost,
  MemoryNetwork,
  SharedNetwork
} as const
