/**
 * A simulated network for `MemoryTransport`: the listening addresses,
 * the ports in use, which hosts are reachable, and counters for tests.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type { End } from "./MemoryConnection.ts"

/**
 * Options of an in-memory network.
 *
 * @category models
 * @since 0.1.0
 */
export interface MemoryNetworkOptions {
  /**
   * `write` waits while a direction of a connection holds this many unread
   * chunks (default 64). Once there is room, a write's batch is accepted
   * whole, so a buffer can exceed its limits by one batch.
   */
  readonly maxBufferedChunks?: number | undefined
  /** `write` waits while a direction holds this many unread bytes (default 256 KiB). */
  readonly maxBufferedBytes?: number | undefined
}

/** @internal A listening address: how it takes an accepted connection. */
export interface Listener {
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
export class MemoryNetwork {
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

  constructor(options: MemoryNetworkOptions = {}) {
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

/**
 * A fresh, empty network.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options?: MemoryNetworkOptions): Effect.Effect<MemoryNetwork> =>
  Effect.sync(() => new MemoryNetwork(options))

/**
 * The network shared by the nodes of a simulation, as a service (see
 * `MemoryTransport.layerNetworkHost`).
 *
 * @category services
 * @since 0.1.0
 */
export class SharedNetwork extends Context.Service<SharedNetwork, MemoryNetwork>()(
  "@catp2p/p2p/testing/SharedNetwork"
) {
  /** A fresh network. */
  static readonly layer: Layer.Layer<SharedNetwork> = Layer.sync(SharedNetwork, () => new MemoryNetwork())
  /** A fresh network with options. */
  static readonly layerWith = (options: MemoryNetworkOptions): Layer.Layer<SharedNetwork> =>
    Layer.sync(SharedNetwork, () => new MemoryNetwork(options))
}
