/**
 * An in-memory `Transport`: a simulated network in which many nodes run in
 * one process, fully deterministic under `TestClock` (no I/O, no timers: only
 * fibers, callbacks and Clock-based timeouts).
 *
 * A `Network` is a registry of listening addresses. Each node gets a
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
import { Context, Effect, Layer, Scope } from "effect"
import type { Address, Connection, Server } from "../Transport.ts"
import { Transport, TransportError } from "../Transport.ts"

/**
 * Options of an in-memory network.
 *
 * @category models
 * @since 0.1.0
 */
export interface NetworkOptions {
  /**
   * `write` waits while a direction of a connection holds this many unread
   * chunks (default 64). Once there is room, a write's batch is accepted
   * whole, so a buffer can exceed its limits by one batch.
   */
  readonly maxBufferedChunks?: number | undefined
  /** `write` waits while a direction holds this many unread bytes (default 256 KiB). */
  readonly maxBufferedBytes?: number | undefined
}

/** One direction of a connection. */
class Pipe {
  chunks: Array<Uint8Array> = []
  bytes = 0
  /** The writing end closed: the reader gets what is buffered, then `Closed`. */
  ended = false
  /** The reading end closed: buffered bytes are dropped, writes fail `Closed`. */
  broken = false
  /** Wakes the reader waiting for data. */
  reader: (() => void) | undefined = undefined
  /** Wake writers waiting for room. */
  readonly writers = new Set<() => void>()
}

const wakeReader = (pipe: Pipe) => {
  const wake = pipe.reader
  pipe.reader = undefined
  wake?.()
}

const wakeWriters = (pipe: Pipe) => {
  const writers = [...pipe.writers]
  pipe.writers.clear()
  for (const wake of writers) wake()
}

/** Suspends until `register`'s wake-up function is called. */
const waitFor = (register: (wake: () => void) => () => void): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const unregister = register(() => resume(Effect.void))
    return Effect.sync(unregister)
  })

/** Both ends of one connection, and what to release once both are closed. */
interface Pair {
  open: number
  readonly release: () => void
}

/** One end of a connection. */
interface End {
  readonly incoming: Pipe
  readonly outgoing: Pipe
  readonly pair: Pair
  closed: boolean
  readonly connection: Connection
}

/** One shared value: a closed pipe fails every read and write with it (errors are immutable data, and building one captures a stack). */
const CLOSED = new TransportError({ reason: "Closed", message: "connection closed" })
const closedError = () => CLOSED

const closeEnd = (end: End) => {
  if (end.closed) return
  end.closed = true
  end.outgoing.ended = true
  wakeReader(end.outgoing)
  end.incoming.broken = true
  end.incoming.chunks = []
  end.incoming.bytes = 0
  wakeWriters(end.incoming)
  wakeReader(end.incoming)
  end.pair.open--
  if (end.pair.open === 0) end.pair.release()
}

interface Listener {
  /** Starts the handler of an accepted connection (forked: it never waits for it). */
  readonly accept: (end: End) => Effect.Effect<void>
}

const FIRST_EPHEMERAL = 49152

/**
 * A simulated network: the listening addresses, the ports in use, and
 * counters for tests. Share one between the transports of every node that
 * must reach the others.
 *
 * @category models
 * @since 0.1.0
 */
export class Network {
  readonly maxBufferedChunks: number
  readonly maxBufferedBytes: number
  /** @internal "host:port" → listener */
  readonly listeners = new Map<string, Listener>()
  /** @internal host → source ports of its open connections */
  readonly sourcePorts = new Map<string, Set<number>>()
  /** @internal host → where the next port search starts */
  readonly nextPort = new Map<string, number>()
  /** @internal hosts that connections time out to */
  readonly unreachable = new Set<string>()
  #openConnections = 0
  #totalConnections = 0
  #bytesWritten = 0

  constructor(options: NetworkOptions = {}) {
    this.maxBufferedChunks = Math.max(1, options.maxBufferedChunks ?? 64)
    this.maxBufferedBytes = Math.max(1, options.maxBufferedBytes ?? 256 * 1024)
  }

  /** Connections with at least one end still open (0 once everything is closed: a leak check). */
  get openConnections(): number {
    return this.#openConnections
  }

  /** Connections established so far. */
  get totalConnections(): number {
    return this.#totalConnections
  }

  /** Bytes accepted by `write` so far, all connections together. */
  get bytesWritten(): number {
    return this.#bytesWritten
  }

  /** Addresses currently listening. */
  get listening(): number {
    return this.listeners.size
  }

  /**
   * Makes `host` unreachable (connections to it time out, like a firewall
   * dropping packets) or reachable again. Open connections are unaffected.
   */
  setReachable(host: string, reachable: boolean): void {
    if (reachable) this.unreachable.delete(host)
    else this.unreachable.add(host)
  }

  /** @internal A free port of `host` (not listening, not a source port), or undefined if none. */
  freePort(host: string): number | undefined {
    const used = this.sourcePorts.get(host)
    let port = this.nextPort.get(host) ?? FIRST_EPHEMERAL
    for (let tried = 0; tried <= 65535 - FIRST_EPHEMERAL; tried++) {
      const candidate = port
      port = port === 65535 ? FIRST_EPHEMERAL : port + 1
      if (used?.has(candidate) || this.listeners.has(`${host}:${candidate}`)) continue
      this.nextPort.set(host, port)
      return candidate
    }
    return undefined
  }

  /** @internal Counts a new connection; returns its release. */
  opened(host: string, port: number): () => void {
    let used = this.sourcePorts.get(host)
    if (used === undefined) {
      used = new Set()
      this.sourcePorts.set(host, used)
    }
    used.add(port)
    this.#openConnections++
    this.#totalConnections++
    return () => {
      this.#openConnections--
      used.delete(port)
      if (used.size === 0) this.sourcePorts.delete(host)
    }
  }

  /** @internal */
  countWritten(bytes: number): void {
    this.#bytesWritten += bytes
  }
}

const read = (pipe: Pipe): Effect.Effect<ReadonlyArray<Uint8Array>, TransportError> =>
  Effect.suspend(function loop(): Effect.Effect<ReadonlyArray<Uint8Array>, TransportError> {
    if (pipe.broken) return Effect.fail(closedError())
    if (pipe.chunks.length > 0) {
      const chunks = pipe.chunks
      pipe.chunks = []
      pipe.bytes = 0
      wakeWriters(pipe)
      return Effect.succeed(chunks)
    }
    if (pipe.ended) return Effect.fail(closedError())
    return Effect.flatMap(
      waitFor((wake) => {
        pipe.reader = wake
        return () => {
          if (pipe.reader === wake) pipe.reader = undefined
        }
      }),
      loop
    )
  })

const write = (network: Network, pipe: Pipe, chunks: ReadonlyArray<Uint8Array>): Effect.Effect<void, TransportError> =>
  Effect.suspend(function loop(): Effect.Effect<void, TransportError> {
    if (pipe.ended || pipe.broken) return Effect.fail(closedError())
    if (pipe.chunks.length >= network.maxBufferedChunks || pipe.bytes >= network.maxBufferedBytes) {
      return Effect.flatMap(
        waitFor((wake) => {
          pipe.writers.add(wake)
          return () => pipe.writers.delete(wake)
        }),
        loop
      )
    }
    let bytes = 0
    for (const chunk of chunks) {
      if (chunk.length === 0) continue
      pipe.chunks.push(chunk)
      bytes += chunk.length
    }
    if (bytes === 0) return Effect.void
    pipe.bytes += bytes
    network.countWritten(bytes)
    wakeReader(pipe)
    return Effect.void
  })

const makeEnd = (network: Network, incoming: Pipe, outgoing: Pipe, pair: Pair, remote: Address): End => ({
  incoming,
  outgoing,
  pair,
  closed: false,
  connection: {
    remote,
    read: read(incoming),
    write: (chunks) => write(network, outgoing, chunks)
  }
})

const isWildcard = (host: string) => host === "" || host === "0.0.0.0" || host === "::"

const validPort = (port: number, allowZero: boolean) =>
  Number.isInteger(port) && port >= (allowZero ? 0 : 1) && port <= 65535

const connectWith = (network: Network, host: string): Transport["Service"]["connect"] =>
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

const listenWith = (network: Network, host: string): Transport["Service"]["listen"] =>
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
 * A fresh, empty network.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeNetwork = (options?: NetworkOptions): Effect.Effect<Network> => Effect.sync(() => new Network(options))

/**
 * A `Transport` on `network` for a node at `host`: its connections come from
 * `host` (unless `bindHost` says otherwise), and listening on a wildcard host
 * (`""`, `"0.0.0.0"`, `"::"`) listens on `host`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (network: Network, host = "127.0.0.1"): Transport["Service"] =>
  Transport.of({ connect: connectWith(network, host), listen: listenWith(network, host) })

/**
 * The network shared by the nodes of a simulation.
 *
 * @category services
 * @since 0.1.0
 */
export class MemoryNetwork extends Context.Service<MemoryNetwork, Network>()("@catp2p/p2p/MemoryNetwork") {
  /** A fresh network. */
  static readonly layer: Layer.Layer<MemoryNetwork> = Layer.sync(MemoryNetwork, () => new Network())
  /** A fresh network with options. */
  static readonly layerWith = (options: NetworkOptions): Layer.Layer<MemoryNetwork> =>
    Layer.sync(MemoryNetwork, () => new Network(options))
}

/**
 * The `Transport` of the node at `host` on the given network.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerHost = (network: Network, host: string): Layer.Layer<Transport> =>
  Layer.succeed(Transport, make(network, host))

/**
 * The `Transport` of the node at `host` on the `MemoryNetwork` service.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerNetworkHost = (host: string): Layer.Layer<Transport, never, MemoryNetwork> =>
  Layer.effect(
    Transport,
    Effect.map(Effect.service(MemoryNetwork), (network) => make(network, host))
  )

/**
 * A `Transport` on a fresh network of its own, at host `127.0.0.1`. Nodes
 * given the same built layer share it (and that host, so they need distinct
 * ports); for distinct hosts use `layerHost` or `layerNetworkHost`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Transport> = Layer.sync(Transport, () => make(new Network()))

/**
 * The module's constructors as one value, for `import { MemoryTransport }`.
 *
 * @category layers
 * @since 0.1.0
 */
export const MemoryTransport = { make, makeNetwork, layer, layerHost, layerNetworkHost, MemoryNetwork } as const
