/**
 * A peer's outgoing queue: bounded, never blocking the sender. When it is
 * full, the older half of the queued parcels is dropped and counted (Go's
 * `ParcelChannel` policy): under overload the freshest gossip survives, and
 * dropping half at once leaves room for a burst instead of dropping on every
 * new parcel.
 *
 * Every drop is counted by reason ({@link DropReason}): `Full` (the older half
 * dropped for a new parcel), `Closed` (parcels still queued when the peer
 * ended, and parcels offered after). A slow reader only fills its own queue:
 * `offer` never waits, so senders and the other peers are never blocked.
 *
 * @since 0.1.0
 */
import { Effect, Latch } from "effect"
import type { Parcel } from "./Parcel.ts"

/**
 * Why a parcel bound for a peer was dropped.
 *
 * @since 0.1.0
 */
export type DropReason = "Full" | "Closed"

/**
 * @since 0.1.0
 */
export class SendQueue {
  readonly capacity: number
  private items: Array<Parcel> = []
  private head = 0
  private readonly ready = Latch.makeUnsafe(false)
  private readonly space = Latch.makeUnsafe(true)
  private closed = false
  /** Parcels dropped because the queue was full. */
  droppedFull = 0
  /** Parcels dropped because the peer ended: queued at the end, or offered after. */
  droppedClosed = 0

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity)
  }

  /** Parcels dropped, every reason. */
  get dropped(): number {
    return this.droppedFull + this.droppedClosed
  }

  /** The drops by reason. */
  dropsByReason(): Record<DropReason, number> {
    return { Full: this.droppedFull, Closed: this.droppedClosed }
  }

  /** Parcels waiting. */
  get size(): number {
    return this.items.length - this.head
  }

  /** size / capacity (Go: `FillRatio`). */
  get fillRatio(): number {
    return this.size / this.capacity
  }

  /** Enqueues a parcel; returns how many older parcels were dropped to make room. */
  offer(parcel: Parcel): number {
    if (this.closed) {
      this.droppedClosed++
      return 0
    }
    let dropped = 0
    if (this.size >= this.capacity) {
      dropped = Math.max(1, Math.floor(this.size / 2))
      this.head += dropped
      this.droppedFull += dropped
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    this.items.push(parcel)
    this.ready.openUnsafe()
    if (this.size >= this.capacity) this.space.closeUnsafe()
    return dropped
  }

  /** Enqueues a parcel, waiting while the queue is full instead of dropping. */
  offerWait(parcel: Parcel): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.closed || this.size < this.capacity) {
        this.offer(parcel)
        return Effect.void
      }
      return Effect.andThen(this.space.await, () => this.offerWait(parcel))
    })
  }

  /** Waits until parcels are queued, then takes up to `max` of them, oldest first. */
  take(max: number): Effect.Effect<ReadonlyArray<Parcel>> {
    return Effect.suspend(() => {
      if (this.size > 0) return Effect.succeed(this.takeNow(max))
      return Effect.andThen(this.ready.await, () => this.take(max))
    })
  }

  /** Stops accepting parcels and releases them. */
  close(): void {
    if (!this.closed) this.droppedClosed += this.size
    this.closed = true
    this.items = []
    this.head = 0
    this.space.openUnsafe()
  }

  private takeNow(max: number): ReadonlyArray<Parcel> {
    const n = Math.min(max, this.size)
    const out = this.items.slice(this.head, this.head + n)
    this.head += n
    this.space.openUnsafe()
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
      this.ready.closeUnsafe()
    }
    return out
  }
}
