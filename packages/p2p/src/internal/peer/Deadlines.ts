/**
 * A peer's deadlines, checked once a node tick (one timer per node instead of
 * one per read and write): the read deadline (no bytes for `readDeadline`),
 * the write deadline (a write pending for `writeDeadline`) and the progress
 * deadline (an incomplete frame that received fewer than `frameProgressRate`
 * bytes/s over the last `frameProgressWindow`).
 *
 * @since 0.1.0
 */
import { Duration } from "effect"
import * as Misbehaviour from "../../Misbehaviour.ts"

/**
 * What the deadlines need from the node's configuration.
 *
 * @since 0.1.0
 */
export interface DeadlineSettings {
  readonly readDeadline: Duration.Duration
  readonly writeDeadline: Duration.Duration
  /** Bytes/s a peer must deliver while a frame is incomplete (0 = off), over `frameProgressWindow`. */
  readonly frameProgressRate: number
  readonly frameProgressWindow: Duration.Duration
}

/**
 * The state of the connection the deadlines look at, as the peer sees it now.
 *
 * @since 0.1.0
 */
export interface IoState {
  /** Clock time bytes last arrived, or the current read started. */
  readonly lastRead: number
  /** Clock time the pending write started, or undefined. */
  readonly writingSince: number | undefined
  readonly bytesReceived: number
  /** Bytes of an incomplete frame in the decoder (0: none in progress). */
  readonly buffered: number
  /** The reader waits for room in the input budget: it reads nothing, so no read or progress deadline runs. */
  readonly waitingForBudget: boolean
}

/**
 * A deadline that passed: which, and the measured progress for `Stalled`.
 *
 * @since 0.1.0
 */
export type Late =
  | { readonly reason: "ReadTimeout" | "WriteTimeout"; readonly message: string }
  | { readonly reason: "Stalled"; readonly message: string; readonly stalled: Misbehaviour.StalledFrame }

/**
 * @since 0.1.0
 */
export class Deadlines {
  private readonly readMs: number
  private readonly writeMs: number
  private readonly progressRate: number
  private readonly progressWindow: number
  /** Progress deadline: start of the current window and `bytesReceived` then. */
  private progressAt: number
  private progressBytes = 0
  /** The read deadline runs from here when the reader waited for the budget. */
  private resumedAt: number

  constructor(settings: DeadlineSettings, now: number) {
    this.readMs = Duration.toMillis(settings.readDeadline)
    this.writeMs = Duration.toMillis(settings.writeDeadline)
    this.progressRate = settings.frameProgressRate
    this.progressWindow = Duration.toMillis(settings.frameProgressWindow)
    this.progressAt = now
    this.resumedAt = now
  }

  /** The deadline that has passed at `now`, or undefined. */
  check(now: number, io: IoState): Late | undefined {
    if (io.waitingForBudget) {
      // the node is not reading it: neither read deadline nor progress runs
      this.resumedAt = now
      this.progressAt = now
      this.progressBytes = io.bytesReceived
    }
    if (now - Math.max(io.lastRead, this.resumedAt) > this.readMs) {
      return { reason: "ReadTimeout", message: "no data within the read deadline" }
    }
    if (io.writingSince !== undefined && now - io.writingSince > this.writeMs) {
      return { reason: "WriteTimeout", message: "a write took longer than the write deadline" }
    }
    if (this.progressRate > 0) {
      if (io.buffered === 0) {
        // no frame in progress: the window starts afresh
        this.progressAt = now
        this.progressBytes = io.bytesReceived
      } else if (now - this.progressAt >= this.progressWindow) {
        const received = io.bytesReceived - this.progressBytes
        const windowMs = now - this.progressAt
        if (received * 1000 < this.progressRate * windowMs) {
          const stalled = new Misbehaviour.StalledFrame({ received, windowMs, rate: this.progressRate })
          return { reason: "Stalled", message: stalled.message, stalled }
        }
        this.progressAt = now
        this.progressBytes = io.bytesReceived
      }
    }
    return undefined
  }
}
