/**
 * A read-only view into a running node for tests: the statistics snapshot
 * (`Network.info` and `Metrics` read the same one; here with every counter:
 * refusals by rule, evictions, misbehaviour by kind, drops), the application
 * queue's length, the input budget's figures and which peers wait for it,
 * whether an IP is discouraged, and the node's fixed limits. It reads; it never changes the node.
 *
 * @example
 * ```ts
 * import { Config, P2PLayer } from "@catp2p/p2p"
 * import { MemoryTransport, Probe } from "@catp2p/p2p/testing"
 * import { Effect, Layer, Result } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const memory = yield* MemoryTransport.makeNetwork()
 *   const config = Result.getOrThrow(Config.make({ bindIp: "10.0.0.1", listenPort: "8108" }))
 *   const context = yield* Layer.build(P2PLayer.layerWith(config, MemoryTransport.layerHost(memory, "10.0.0.1")))
 *   const probe = yield* Effect.provideContext(Probe.make, context)
 *   console.log(probe.stats().evicted, probe.queued())
 * })
 * ```
 *
 * @since 0.1.0
 * @module
 */
import { Clock, Effect } from "effect"
import { EVICT_IDLE_AGE_MS } from "../internal/guard/Eviction.ts"
import { Guard } from "../internal/guard/Guard.ts"
import { Inbox } from "../internal/node/Inbox.ts"
import { LISTEN_BURST } from "../internal/node/Listener.ts"
import { PeerStore } from "../internal/node/PeerStore.ts"
import { NodeStats, type Snapshot } from "../internal/stats/NodeStats.ts"
import * as NodeContext from "../internal/NodeContext.ts"
import { Network } from "../Network.ts"
import type * as P2PLayer from "../P2PLayer.ts"

/**
 * The node's statistics at one moment (see `Metrics` for what each feeds).
 *
 * @category models
 * @since 0.1.0
 */
export type Stats = Snapshot

/**
 * The input budget's figures, read live: bytes of received input not yet
 * taken by the application (`total`, of which `queued` sit in the
 * application queue), its `limit`, the highest total seen (`peak`), peers
 * that had to wait for room (`waited`) and peers closed because a frame
 * could never fit (`dropped`).
 *
 * @category models
 * @since 0.1.0
 */
export interface Budget {
  readonly limit: number
  readonly total: number
  readonly queued: number
  readonly peak: number
  readonly waited: number
  readonly dropped: number
}

/**
 * The node's fixed limits that tests reach for.
 *
 * @category models
 * @since 0.1.0
 */
export interface Limits {
  /** Connections the listener accepts at once before its rate limit applies. */
  readonly listenBurst: number
  /** A peer that has done nothing useful since its handshake is evictable once this old (ms). */
  readonly evictIdleAgeMs: number
}

/**
 * The node's fixed limits.
 *
 * @category accessors
 * @since 0.1.0
 */
export const limits: Limits = { listenBurst: LISTEN_BURST, evictIdleAgeMs: EVICT_IDLE_AGE_MS }

/**
 * A read-only view of one node.
 *
 * @category models
 * @since 0.1.0
 */
export interface Probe {
  /** The statistics snapshot now. */
  readonly stats: () => Stats
  /** Parcels waiting in the application queue. */
  readonly queued: () => number
  /** The input budget (its fields read the live figures). */
  readonly budget: Budget
  /** The hashes of the connected peers whose reader waits for room in the input budget. */
  readonly waitingForBudget: () => ReadonlyArray<string>
  /** Whether connections from `ip` are refused as discouraged now (on the Clock). */
  readonly isDiscouraged: (ip: string) => Effect.Effect<boolean>
}

/**
 * The probe of the node whose `Network` is in the context (the context
 * `Layer.build(P2PLayer.layer(...))` gives). Dies for a `Network` that
 * `P2PLayer` did not build.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make: Effect.Effect<Probe, never, P2PLayer.Services> = Effect.gen(function* () {
  const context = NodeContext.of(yield* Network)
  if (context === undefined) return yield* Effect.die(new Error("Probe.make: this Network was not built by P2PLayer"))
  return yield* Effect.provideContext(probeOf, context)
})

const probeOf: Effect.Effect<Probe, never, NodeContext.NodeServices> = Effect.gen(function* () {
  const stats = yield* NodeStats
  const inbox = yield* Inbox
  const guard = yield* Guard
  const store = yield* PeerStore
  const b = guard.budget
  const budget: Budget = {
    get limit() {
      return b.limit
    },
    get total() {
      return b.total
    },
    get queued() {
      return b.queued
    },
    get peak() {
      return b.peak
    },
    get waited() {
      return b.waited
    },
    get dropped() {
      return b.dropped
    }
  }
  return {
    stats: () => stats.snapshot(),
    queued: () => inbox.size(),
    budget,
    waitingForBudget: () =>
      store
        .all()
        .filter((p) => p.waitingForBudget)
        .map((p) => p.hash),
    isDiscouraged: (ip) => Effect.map(Clock.currentTimeMillis, (now) => guard.isDiscouraged(ip, now))
  }
})
