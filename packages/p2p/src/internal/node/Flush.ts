/**
 * The node's graceful stop for what the application already sent: when the
 * node closes, each peer's writer may drain its send queue for up to
 * `shutdownFlushTimeout`; what is still queued then is dropped, and a
 * warning per peer says how much (parcels and payload bytes). Go's `Stop`
 * closes every peer at once, dropping its queue without a word.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Option } from "effect"
import type { Peer } from "../peer/Peer.ts"

/** What a peer still had to send when the deadline passed. */
const reportDrop = (peer: Peer, timeout: Duration.Duration): Effect.Effect<void> => {
  const parcels = peer.queue.size
  if (parcels === 0 && !peer.writing) return Effect.void
  return Effect.logWarning(
    `stopping: dropped ${parcels} parcels (${peer.queue.sizeBytes} bytes) not sent to ${peer.hash} within ` +
      `shutdownFlushTimeout ${Duration.format(timeout)}${peer.writing ? " (a write still pending)" : ""}`
  ).pipe(Effect.annotateLogs({ peer: peer.hash, dropped_parcels: parcels }))
}

/**
 * Waits until every peer in `peers` has written what is queued for it (or
 * has ended), at most `timeout`; then logs, per peer, what it did not send.
 * Returns at once when nothing is queued.
 *
 * @since 0.1.0
 */
export const flush = (peers: ReadonlyArray<Peer>, timeout: Duration.Duration): Effect.Effect<void> =>
  Effect.gen(function* () {
    const busy = peers.filter((p) => !p.idle)
    if (busy.length === 0) return
    if (Duration.toMillis(timeout) > 0) {
      const done = yield* Effect.forEach(busy, (p) => p.drained(), { concurrency: "unbounded", discard: true }).pipe(
        Effect.timeoutOption(timeout)
      )
      if (Option.isSome(done)) return
    }
    yield* Effect.forEach(busy, (p) => reportDrop(p, timeout), { discard: true })
  })
