/**
 * A peer's outgoing queue: bounded, never blocking the sender. When it is
 * full, the older half of the queued parcels is dropped and counted (Go's
 * `ParcelChannel` policy): under overload the freshest gossip survives, and
 * dropping half at once leaves room for a burst instead of dropping on every
 * new parcel.
 *
 * Two lanes: application parcels (`offer`, `offerWait`) in a queue of
 * `capacity`, and the node's own p2p parcels (Ping, Pong, Peer-Request,
 * Peer-Response: `offerControl`) in a small lane of their own that the
 * writer drains first. A control parcel never drops an application parcel
 * (so a sender pacing itself with `offerWait` loses nothing), and a full
 * application queue never delays or drops a control parcel; when the
 * control lane itself is full (a peer that pings faster than it reads) its
 * oldest control parcel is dropped, counted as `Full`. Go has one queue for
 * both; this is a catp2p refinement.
 *
 * Every drop is counted by reason ({@link DropReason}): `Full` (the older half
 * dropped for a new parcel), `Closed` (parcels still queued when the peer
 * ended, and parcels offered after). A slow reader only fills its own queue:
 * `offer` never waits, so senders and the other peers are never blocked.
 *
 * Wake-ups are deferred: a parcel offered to an empty queue wakes the
 * waiting writer, which then yields once before taking, so that the parcels
 * the sender offers in the meantime form one batch (one socket write)
 * instead of one write each; a sender waiting in `offerWait` likewise yields
 * once it is woken.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Parcel } from "../../Parcel.ts"
import type { DropReason } from "../../PeerInfo.ts"

export type { DropReason }

/**
 * Control parcels a peer's queue holds before the oldest is dropped.
 *
 * @since 0.1.0
 */
export const CONTROL_CAPACITY = 64

/**
 * @since 0.1.0
 */
export class SendQueue {
  readonly capacity: number
  private items: Array<Parcel> = []
  private head = 0
  private control: Array<Parcel> = []
  /**
   * The writer waiting in `take`, and senders waiting in `offerWait`. Plain
   * callbacks rather than two `Latch`es: a latch is about 650 bytes (five
   * closures) and every peer of a node has a queue.
   */
  private wakeTaker: (() => void) | undefined = undefined
  private wakeSenders: Array<() => void> | undefined = undefined
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

  /** Parcels waiting, both lanes. */
  get size(): number {
    return this.items.length - this.head + this.control.length
  }

  /** Payload bytes waiting, both lanes (walks the queue: for reports, not the hot path). */
  get sizeBytes(): number {
    let bytes = 0
    for (let i = this.head; i < this.items.length; i++) bytes += this.items[i]!.payload.length
    for (const p of this.control) bytes += p.payload.length
    return bytes
  }

  /** Application parcels waiting. */
  private get queued(): number {
    return this.items.length - this.head
  }

  /** Whether `offer` would drop to make room (so `offerWait` would wait). */
  get full(): boolean {
    return !this.closed && this.queued >= this.capacity
  }

  /** Application parcels waiting / capacity (Go: `FillRatio`). */
  get fillRatio(): number {
    return this.queued / this.capacity
  }

  /** Enqueues an application parcel; returns how many older parcels were dropped to make room. */
  offer(parcel: Parcel): number {
    if (this.closed) {
      this.droppedClosed++
      return 0
    }
    let dropped = 0
    if (this.queued >= this.capacity) {
      dropped = Math.max(1, Math.floor(this.queued / 2))
      this.head += dropped
      this.droppedFull += dropped
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    this.items.push(parcel)
    this.ready()
    return dropped
  }

  /**
   * Enqueues a control parcel (Ping, Pong, Peer-Request, Peer-Response) in
   * its own lane, sent before the application parcels; never drops one of
   * those. Returns how many control parcels were dropped to make room.
   */
  offerControl(parcel: Parcel): number {
    if (this.closed) {
      this.droppedClosed++
      return 0
    }
    let dropped = 0
    if (this.control.length >= CONTROL_CAPACITY) {
      this.control.shift()
      this.droppedFull++
      dropped = 1
    }
    this.control.push(parcel)
    this.ready()
    return dropped
  }

  /** Enqueues an application parcel, waiting while the queue is full instead of dropping. */
  offerWait(parcel: Parcel): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.full) {
        this.offer(parcel)
        return Effect.void
      }
      // woken inside the writer's take: yield, so the writer writes first
      return Effect.andThen(
        Effect.andThen(
          Effect.callback<void>((resume) => {
            const wake = () => resume(Effect.void)
            if (this.wakeSenders === undefined) this.wakeSenders = [wake]
            else this.wakeSenders.push(wake)
            return Effect.sync(() => {
              const i = this.wakeSenders?.indexOf(wake) ?? -1
              if (i >= 0) this.wakeSenders!.splice(i, 1)
            })
          }),
          Effect.yieldNow
        ),
        () => this.offerWait(parcel)
      )
    })
  }

  /**
   * Waits until parcels are queued, then takes control parcels first, then
   * application parcels, oldest first: up to `max` parcels and, past the
   * first, up to about `maxBytes` of payload.
   */
  take(max: number, maxBytes = Number.POSITIVE_INFINITY): Effect.Effect<ReadonlyArray<Parcel>> {
    return Effect.suspend(() => {
      if (this.size > 0) return Effect.succeed(this.takeNow(max, maxBytes))
      // woken inside the sender's offer: yield first, so a batch can form
      return Effect.andThen(
        Effect.andThen(
          Effect.callback<void>((resume) => {
            const wake = () => resume(Effect.void)
            this.wakeTaker = wake
            return Effect.sync(() => {
              if (this.wakeTaker === wake) this.wakeTaker = undefined
            })
          }),
          Effect.yieldNow
        ),
        () => this.take(max, maxBytes)
      )
    })
  }

  /** Stops accepting parcels and releases them. */
  close(): void {
    if (!this.closed) this.droppedClosed += this.size
    this.closed = true
    this.items = []
    this.head = 0
    this.control = []
    this.room()
  }

  /** Parcels were queued: wakes the writer. */
  private ready(): void {
    const wake = this.wakeTaker
    this.wakeTaker = undefined
    wake?.()
  }

  /** There is room (or the queue closed): wakes the waiting senders. */
  private room(): void {
    const senders = this.wakeSenders
    if (senders === undefined) return
    this.wakeSenders = undefined
    for (const wake of senders) wake()
  }

  private takeNow(max: number, maxBytes: number): ReadonlyArray<Parcel> {
    let out: Array<Parcel>
    let bytes = 0
    if (this.control.length > 0) {
      out = this.control
      this.control = []
      for (const p of out) bytes += p.payload.length
    } else {
      out = []
    }
    const items = this.items
    let i = this.head
    const end = items.length
    while (i < end && out.length < max && (out.length === 0 || bytes < maxBytes)) {
      const p = items[i++]!
      bytes += p.payload.length
      out.push(p)
    }
    this.head = i
    if (this.head === end) {
      this.items = []
      this.head = 0
    }
    if (this.queued < this.capacity) this.room()
    return out
  }
}
