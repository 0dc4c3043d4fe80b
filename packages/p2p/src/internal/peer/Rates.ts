/**
 * A peer's per-second rates (Go: `PeerMetrics` `MPSDown`, `MPSUp`, `BPSDown`,
 * `BPSUp`): sampled once a node tick from its counters, which the peer owns.
 *
 * @since 0.1.0
 */

/**
 * The counters the rates are computed from.
 *
 * @since 0.1.0
 */
export interface Counts {
  readonly messagesSent: number
  readonly bytesSent: number
  readonly messagesReceived: number
  readonly bytesReceived: number
}

/**
 * Messages and bytes per second, down and up, over the last sample.
 *
 * @since 0.1.0
 */
export interface RateValues {
  readonly mpsDown: number
  readonly mpsUp: number
  readonly bpsDown: number
  readonly bpsUp: number
}

/**
 * @since 0.1.0
 */
export class Rates {
  /** The rates over the last sample (0 until the first). */
  current: RateValues = { mpsDown: 0, mpsUp: 0, bpsDown: 0, bpsUp: 0 }
  private mark: Counts
  private at: number

  constructor(now: number) {
    this.at = now
    this.mark = { messagesSent: 0, bytesSent: 0, messagesReceived: 0, bytesReceived: 0 }
  }

  /** Recomputes the rates from `counts` since the last sample; called about once a second. */
  sample(now: number, counts: Counts): void {
    const seconds = (now - this.at) / 1000
    if (seconds <= 0) return
    this.current = {
      mpsDown: (counts.messagesReceived - this.mark.messagesReceived) / seconds,
      mpsUp: (counts.messagesSent - this.mark.messagesSent) / seconds,
      bpsDown: (counts.bytesReceived - this.mark.bytesReceived) / seconds,
      bpsUp: (counts.bytesSent - this.mark.bytesSent) / seconds
    }
    this.mark = {
      messagesSent: counts.messagesSent,
      bytesSent: counts.bytesSent,
      messagesReceived: counts.messagesReceived,
      bytesReceived: counts.bytesReceived
    }
    this.at = now
  }
}
