/**
 * The lines an operator sees at the default log level (Info), as a
 * CometBFT operator does: peers connected and disconnected (direction,
 * protocol, why), dials and handshakes that failed and why. Each kind of
 * line is rate-limited (see `RateLimit`), so a flood of connections cannot
 * flood the log: past the burst, lines are counted and reported as one
 * "suppressed K similar lines" summary, before the next line of that kind
 * or at the node's next tick. A line's text is built only when it is
 * emitted: the hot paths pay for a closure, never for formatting.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer } from "effect"
import { Tick } from "../node/Tick.ts"
import { RateLimit } from "./RateLimit.ts"

/**
 * The kinds of operator lines, each with its own budget and level.
 *
 * @since 0.1.0
 */
export type Kind = "connected" | "disconnected" | "dialFailed" | "dialRejected" | "handshakeFailed"

const LEVEL: Record<Kind, "Info" | "Warn"> = {
  connected: "Info",
  disconnected: "Info",
  dialRejected: "Info",
  dialFailed: "Warn",
  handshakeFailed: "Warn"
}

const LABEL: Record<Kind, string> = {
  connected: "peer connected",
  disconnected: "peer disconnected",
  dialRejected: "dial rejected by a full node",
  dialFailed: "dial failed",
  handshakeFailed: "incoming handshake failed"
}

/**
 * Lines of one kind emitted at once before the rate limit applies.
 *
 * @since 0.1.0
 */
export const BURST = 40

/**
 * Lines of one kind per second past the burst.
 *
 * @since 0.1.0
 */
export const PER_SECOND = 2

const emit = (kind: Kind, text: string): Effect.Effect<void> =>
  LEVEL[kind] === "Info" ? Effect.logInfo(text) : Effect.logWarning(text)

const summary = (kind: Kind, suppressed: number): Effect.Effect<void> =>
  emit(kind, `suppressed ${suppressed} similar lines (${LABEL[kind]})`).pipe(Effect.annotateLogs({ suppressed, kind }))

/**
 * @since 0.1.0
 */
export interface OperatorLogService {
  /** Logs `message()` as a line of `kind`, with `annotations`, unless the kind is over its rate. */
  readonly log: (kind: Kind, message: () => string, annotations?: () => Record<string, unknown>) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 */
export class OperatorLog extends Context.Service<OperatorLog, OperatorLogService>()("@catp2p/p2p/OperatorLog") {
  /** Reports suppressed lines on the node's tick, once their kind has room again. */
  static readonly layer: Layer.Layer<OperatorLog, never, Tick> = Layer.effect(
    OperatorLog,
    Effect.gen(function* () {
      const limit = new RateLimit<Kind>(BURST, PER_SECOND)
      yield* (yield* Tick).register((now) =>
        Effect.forEach(limit.summaries(now), ([kind, n]) => summary(kind, n), { discard: true })
      )
      const log: OperatorLogService["log"] = (kind, message, annotations) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const d = limit.take(kind, now)
          if (!d.emit) return Effect.void
          const line =
            annotations === undefined
              ? emit(kind, message())
              : Effect.annotateLogs(emit(kind, message()), annotations())
          return d.suppressed > 0 ? Effect.andThen(summary(kind, d.suppressed), line) : line
        })
      return OperatorLog.of({ log })
    })
  )
}
