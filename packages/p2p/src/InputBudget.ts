/**
 * The node-wide budget of buffered, unprocessed input (`inputBudget`).
 *
 * A peer's decoder keeps the bytes of its incomplete frame until the frame is
 * whole (memory follows what the peer sent, never what a length prefix
 * claims); one peer may hold up to a frame's cap (128 MiB). The budget bounds
 * the sum over all peers: after each read, a peer reports how many bytes its
 * decoder holds (a plain numeric update, no allocation); when the total goes
 * past the budget, the peers holding the most are closed first
 * (`OverBudget`), largest partial frame first, until the rest fits. Honest
 * peers send small parcels that complete at once and hold nothing between
 * reads, so they are the last to go.
 *
 * Bytes before a handshake completes are not counted here: they are capped at
 * 16 KiB per connection (`Negotiation.MAX_HANDSHAKE_BYTES`) and pending
 * handshakes at `maxPendingHandshakes`.
 *
 * @since 0.1.0
 */

/**
 * What the budget tracks: a peer, by the bytes its decoder holds.
 *
 * @since 0.1.0
 */
export interface Holder {
  /** Bytes this holder's decoder holds, as last reported. */
  inputHeld: number
}

/**
 * @since 0.1.0
 */
export class InputBudget<H extends Holder = Holder> {
  readonly limit: number
  /** Sum of `inputHeld` over the holders. */
  total = 0
  /** Holders closed for the budget so far. */
  dropped = 0
  /** The largest total seen. */
  peak = 0
  private readonly holders = new Set<H>()
  private readonly victims = new Set<H>()

  constructor(limit: number) {
    this.limit = limit
  }

  /**
   * Records that `holder` now holds `bytes`; true when the total is over the
   * budget (then call {@link select} and close what it returns).
   */
  hold(holder: H, bytes: number): boolean {
    this.total += bytes - holder.inputHeld
    holder.inputHeld = bytes
    if (bytes > 0) this.holders.add(holder)
    else this.holders.delete(holder)
    if (this.total > this.peak) this.peak = this.total
    return this.total > this.limit
  }

  /** Forgets a holder (its connection ended). */
  release(holder: H): void {
    this.total -= holder.inputHeld
    holder.inputHeld = 0
    this.holders.delete(holder)
    this.victims.delete(holder)
  }

  /**
   * The holders to close, largest first, so that the others fit in the
   * budget. A holder is returned once (later calls skip it until released).
   */
  select(): ReadonlyArray<H> {
    let live = this.total
    for (const v of this.victims) live -= v.inputHeld
    if (live <= this.limit) return []
    const candidates = Array.from(this.holders)
      .filter((h) => !this.victims.has(h))
      .sort((a, b) => b.inputHeld - a.inputHeld)
    const out: Array<H> = []
    for (const h of candidates) {
      if (live <= this.limit) break
      live -= h.inputHeld
      this.victims.add(h)
      out.push(h)
    }
    this.dropped += out.length
    return out
  }
}
