/**
 * The node's one maintenance tick: a single scoped fiber that, every
 * `NodeConfig.tick` (1 s, as Go), runs the maintenance each component
 * registered, in the order they registered (the application queue's stall
 * check and the peers' deadlines, pings and rates, then the Dialer's and the
 * Listener's handshake deadlines). One timer for the node, whatever its
 * number of peers and handshakes; under `TestClock` it runs when the clock
 * is adjusted, like every other timer.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, Schedule, type Scope } from "effect"
import { NodeConfig } from "./NodeConfig.ts"

/**
 * Work to do once a tick, given the Clock time in milliseconds.
 *
 * @since 0.1.0
 */
export type Maintain = (now: number) => Effect.Effect<void>

/**
 * @since 0.1.0
 */
export interface TickService {
  /** Runs `maintain` once a tick until the caller's scope closes. */
  readonly register: (maintain: Maintain) => Effect.Effect<void, never, Scope.Scope>
}

/**
 * @since 0.1.0
 */
export class Tick extends Context.Service<Tick, TickService>()("@catp2p/p2p/Tick") {
  static readonly layer: Layer.Layer<Tick, never, NodeConfig> = Layer.effect(
    Tick,
    Effect.gen(function* () {
      const { tick } = yield* NodeConfig
      const tasks: Array<Maintain> = []
      yield* Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        // a copy: a task may end a component (and unregister it) mid-tick
        for (const maintain of tasks.slice()) yield* maintain(now)
      }).pipe(Effect.repeat(Schedule.spaced(tick)), Effect.forkScoped)
      const register = (maintain: Maintain) =>
        Effect.andThen(
          Effect.sync(() => tasks.push(maintain)),
          Effect.addFinalizer(() =>
            Effect.sync(() => {
              const i = tasks.indexOf(maintain)
              if (i >= 0) tasks.splice(i, 1)
            })
          )
        )
      return Tick.of({ register })
    })
  )
}
