/**
 * The node-wide budget of received input not yet taken by the application
 * (`inputBudget`): the bytes every peer's decoder holds or has reserved, and
 * the payloads of parcels waiting in the application queue.
 *
 * A frame larger than {@link GRANT_MIN} needs a grant, by its length
 * prefix, before it is decoded or more of it is read ({@link admitFrame}):
 * {@link reserve} counts the memory the whole frame will take (a V11 decoder
 * then allocates it once and copies the bytes in as they arrive; a gob one
 * counts twice the message: its chunks and the copy that assembles it). When
 * the budget has no room, the peer waits: its reader stops reading that
 * socket (TCP flow control then slows the sender) until room is freed, by a
 * frame completing or by the application taking parcels ({@link onRoom}). A
 * frame that needs more than the whole budget can never be granted: its peer
 * is closed (`OverBudget`). Frames up to `GRANT_MIN` need no grant and never
 * wait: they are counted as they arrive ({@link hold}) and while queued, so
 * the total can pass the limit by small frames (at most `GRANT_MIN` plus one
 * read per peer, and the application queue's `channelCapacity` parcels),
 * never by a big one.
 *
 * A completed frame's reservation ends as it is handed on; an application
 * parcel is then counted here ({@link enqueue}) until the application takes
 * it ({@link dequeue}): peers cannot park 128 MiB parcels in the application
 * queue beyond the budget.
 *
 * Bytes before a handshake completes are not counted here: they are capped at
 * 16 KiB per connection (`Negotiation.MAX_HANDSHAKE_BYTES`) and pending
 * handshakes at `maxPendingHandshakes`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Protocol } from "../../wire/Protocol.ts"

/**
 * Frames up to this size (64 KiB) are not reserved: they are counted as their
 * bytes arrive and never wait for the budget.
 *
 * @since 0.1.0
 */
export const GRANT_MIN = 65_536

/**
 * What the budget tracks: a peer (any object), by the bytes its decoder holds
 * or reserved. The budget owns those figures: a holder asks
 * {@link InputBudget.heldBy} and {@link InputBudget.isWaiting}, it writes
 * nothing.
 *
 * @since 0.1.0
 */
export type Holder = object

/**
 * @since 0.1.0
 */
export class InputBudget<H extends Holder = Holder> {
  readonly limit: number
  /** Bytes held by decoders plus bytes queued for the application. */
  total = 0
  /** Payload bytes of parcels in the application queue. */
  queued = 0
  /** Holders closed for a frame larger than the whole budget. */
  dropped = 0
  /** Grants that had to wait for room. */
  waited = 0
  /** The largest total seen. */
  peak = 0
  private readonly waiters = new Set<() => void>()
  /** Bytes each holder's decoder holds or has reserved, as last reported (absent: 0). */
  private readonly held = new Map<H, number>()
  /** Holders waiting for room. */
  private readonly waiting = new Set<H>()

  constructor(limit: number) {
    this.limit = limit
  }

  /** Bytes `holder`'s decoder holds or has reserved, as last reported. */
  heldBy(holder: H): number {
    return this.held.get(holder) ?? 0
  }

  /** Whether `holder` waits for room (then it reads nothing, and no deadline runs against it). */
  isWaiting(holder: H): boolean {
    return this.waiting.has(holder)
  }

  /** Records that `holder` now holds `bytes` (unreserved bytes, or what is left once a frame is handed on). */
  hold(holder: H, bytes: number): void {
    this.set(holder, bytes)
  }

  /**
   * Grants `holder` a hold of `bytes` (a frame's reservation and what else
   * its decoder holds) when the total, with it, fits in the limit; false
   * otherwise (wait with {@link onRoom} and try again).
   */
  reserve(holder: H, bytes: number): boolean {
    if (this.total - this.heldBy(holder) + bytes > this.limit) return false
    this.set(holder, bytes)
    return true
  }

  /** Forgets a holder (its connection ended). */
  release(holder: H): void {
    this.set(holder, 0)
    this.waiting.delete(holder)
  }

  /** Marks `holder` as waiting for room, or no longer (see {@link admitFrame}). */
  wait(holder: H, waiting: boolean): void {
    if (waiting) this.waiting.add(holder)
    else this.waiting.delete(holder)
  }

  /** Counts a parcel's payload put in the application queue. */
  enqueue(bytes: number): void {
    this.queued += bytes
    this.add(bytes)
  }

  /** Uncounts a parcel's payload taken from (or dropped out of) the application queue. */
  dequeue(bytes: number): void {
    this.queued -= bytes
    this.add(-bytes)
  }

  /** Calls `f` once, the next time room is freed; returns a function that cancels it. */
  onRoom(f: () => void): () => void {
    this.waiters.add(f)
    return () => {
      this.waiters.delete(f)
    }
  }

  private set(holder: H, bytes: number): void {
    const before = this.held.get(holder) ?? 0
    if (bytes === before) return
    if (bytes === 0) this.held.delete(holder)
    else this.held.set(holder, bytes)
    this.add(bytes - before)
  }

  private add(delta: number): void {
    this.total += delta
    if (this.total > this.peak) this.peak = this.total
    if (delta < 0 && this.waiters.size > 0) {
      const woken = Array.from(this.waiters)
      this.waiters.clear()
      for (const f of woken) f()
    }
  }
}

/**
 * After a read: grants the frame now arriving its memory when it needs a
 * grant (waiting, without reading, until the budget has room), then records
 * what the decoder holds. False when the frame needs more than the whole
 * budget: it can never be granted, and the caller closes the peer. Without a
 * budget, frames are granted at once.
 *
 * @since 0.1.0
 */
export const admitFrame = <H extends Holder>(
  budget: InputBudget<H> | undefined,
  holder: H,
  protocol: Pick<Protocol, "frameWanted" | "grantFrame" | "held">
): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const wanted = protocol.frameWanted(GRANT_MIN)
    if (budget === undefined) {
      if (wanted > 0) protocol.grantFrame()
      return Effect.succeed(true)
    }
    const record = Effect.sync(() => {
      if (wanted > 0) protocol.grantFrame()
      budget.hold(holder, protocol.held)
      return true
    })
    if (wanted === 0 || budget.reserve(holder, wanted)) return record
    if (wanted > budget.limit) {
      budget.dropped++
      return Effect.succeed(false)
    }
    budget.waited++
    budget.wait(holder, true)
    const attempt: Effect.Effect<void> = Effect.suspend(() =>
      budget.reserve(holder, wanted)
        ? Effect.void
        : Effect.callback<void>((resume) => Effect.sync(budget.onRoom(() => resume(Effect.void)))).pipe(
            // a waiter may be resumed synchronously, inside whatever freed the
            // room: it tries again only once that has finished (a frame handed
            // on frees its reservation just before the application queue counts it)
            Effect.andThen(Effect.yieldNow),
            Effect.andThen(attempt)
          )
    )
    return attempt.pipe(Effect.ensuring(Effect.sync(() => budget.wait(holder, false))), Effect.andThen(record))
  })
