/**
 * A node's traffic counters that the hot path updates without Effect: plain
 * numbers bumped by the peers' readers and writers for every parcel
 * (application parcels, the parcel size histogram), by the dialer and the
 * listener (connections in progress), and, when a peer ends, its final
 * counters. `Metrics` reads them once a second; nothing here allocates.
 *
 * @since 0.1.0
 */
import { Effect, type Metric } from "effect"
import * as ParcelType from "../../ParcelType.ts"
import type { Peer } from "../peer/Peer.ts"

/**
 * Upper bounds of the parcel size buckets, in KiB: 1, 2, 4, …, 32768 (Go:
 * `prometheus.ExponentialBuckets(1, 2, 16)`).
 *
 * @since 0.1.0
 */
export const SIZE_BOUNDARIES_KIB: ReadonlyArray<number> = Array.from({ length: 16 }, (_, i) => 2 ** i)

/**
 * Bytes Go adds to a sent parcel's payload when it observes its size (its
 * `sendLoop`: `len(parcel.Payload)+32`); a received parcel is observed as
 * its payload alone (`readLoop`).
 *
 * @since 0.1.0
 */
export const SENT_SIZE_OVERHEAD = 32

/** Bucket of a size in bytes: i counts sizes ≤ 2^i KiB; 16 counts larger ones. */
const bucketOf = (bytes: number): number =>
  bytes <= 1024 ? 0 : Math.min(16, 32 - Math.clz32(Math.ceil(bytes / 1024) - 1))

/**
 * Counters of the peers that have ended, so that node totals stay monotonic
 * as peers come and go (live peers are summed from the peer store).
 *
 * @since 0.1.0
 */
export interface Retired {
  messagesSent: number
  bytesSent: number
  messagesReceived: number
  bytesReceived: number
  dropped: number
}

/**
 * @since 0.1.0
 */
export class Traffic {
  /** Application parcels (Message, MessagePart) written to peers (Go: AppSent). */
  appSent = 0
  /** Application parcels decoded from peers (Go: AppReceived). */
  appReceived = 0
  /** Connections dialing or in their handshake now (Go: Connecting). */
  connecting = 0
  /**
   * Parcels per size bucket (see {@link SIZE_BOUNDARIES_KIB}), both
   * directions, sizes as Go observes them (see {@link SENT_SIZE_OVERHEAD});
   * the last one counts larger parcels.
   */
  readonly sizes = new Float64Array(SIZE_BOUNDARIES_KIB.length + 1)
  /** Sum of the recorded sizes, in KiB. */
  sizeSum = 0
  /** Counters of the peers that have ended. */
  readonly retired: Retired = { messagesSent: 0, bytesSent: 0, messagesReceived: 0, bytesReceived: 0, dropped: 0 }

  /** A parcel of `type` with a payload of `bytes` arrived from a peer. */
  received(type: number, bytes: number): void {
    if (type === ParcelType.Message || type === ParcelType.MessagePart) this.appReceived++
    this.record(bytes)
  }

  /** A parcel of `type` with a payload of `bytes` was written to a peer (recorded as `bytes` + {@link SENT_SIZE_OVERHEAD}, as Go). */
  sent(type: number, bytes: number): void {
    if (type === ParcelType.Message || type === ParcelType.MessagePart) this.appSent++
    this.record(bytes + SENT_SIZE_OVERHEAD)
  }

  /** Adds an ended peer's counters to the node's totals (once per peer). */
  retire(peer: Peer): void {
    const r = this.retired
    r.messagesSent += peer.messagesSent
    r.bytesSent += peer.bytesSent
    r.messagesReceived += peer.messagesReceived
    r.bytesReceived += peer.bytesReceived
    r.dropped += peer.queue.dropped
  }

  /** The size histogram as Effect's state (cumulative counts per boundary); bucket bounds stand in for the extremes. */
  histogram(): Metric.HistogramState {
    const buckets: Array<[number, number]> = []
    let count = 0
    let min = Number.NaN
    let max = 0
    for (let i = 0; i < this.sizes.length; i++) {
      const n = this.sizes[i] ?? 0
      count += n
      const bound = SIZE_BOUNDARIES_KIB[i]
      if (bound !== undefined) buckets.push([bound, count])
      if (n > 0) {
        if (Number.isNaN(min)) min = i === 0 ? 0 : (SIZE_BOUNDARIES_KIB[i - 1] ?? 0)
        max = bound ?? Number.POSITIVE_INFINITY
      }
    }
    return { buckets, count, min: Number.isNaN(min) ? 0 : min, max, sum: this.sizeSum }
  }

  private record(bytes: number): void {
    const sizes = this.sizes
    const b = bucketOf(bytes)
    sizes[b] = (sizes[b] ?? 0) + 1
    this.sizeSum += bytes / 1024
  }
}

/**
 * Counts `self` as a connection in progress (dial or handshake) while it runs.
 *
 * @since 0.1.0
 */
export const connecting =
  (traffic: Traffic) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        traffic.connecting++
      }),
      () => self,
      () =>
        Effect.sync(() => {
          traffic.connecting--
        })
    )
