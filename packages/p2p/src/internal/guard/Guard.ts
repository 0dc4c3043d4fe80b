/**
 * The node's protections against hostile peers, in one place (see
 * RELIABILITY.md for the attacks each one answers):
 *
 * - the input budget (`inputBudget`, see `InputBudget`);
 * - misbehaviour: every peer closed for invalid data or a stalled frame is
 *   counted by kind (in `NodeStats`), and for invalid data its IP is
 *   discouraged for `discourageTime`: the Listener refuses it, the Dialer does
 *   not dial it. Special peers are counted but never discouraged (they are
 *   trusted by configuration). The list is bounded (`MAX_DISCOURAGED`).
 *
 * Discouragement is not a ban: it is short (1 h by default), is not written to
 * the peer file, and covers the IP only (a NAT's other users wait too, as
 * with Bitcoin Core's discouragement; they can still dial out to us as soon
 * as it expires).
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"
import { InputBudget } from "./InputBudget.ts"
import * as Misbehaviour from "../../Misbehaviour.ts"
import { NodeConfig } from "../node/NodeConfig.ts"
import { NodeStats } from "../stats/NodeStats.ts"
import type { Peer } from "../peer/Peer.ts"

/**
 * The most discouraged IPs remembered at once; when full, expired entries go
 * first, then the entry closest to expiry.
 *
 * @since 0.1.0
 */
export const MAX_DISCOURAGED = 65_536

/**
 * @since 0.1.0
 */
export interface GuardService {
  /** The node's input budget over its peers. */
  readonly budget: InputBudget<Peer>
  /** Counts a misbehaviour of the peer at `ip` and, for invalid data, discourages `ip` (unless `special`). */
  readonly report: (ip: string, misbehaviour: Misbehaviour.Misbehaviour, special: boolean) => Effect.Effect<void>
  /** Whether `ip` is discouraged at `now` (Clock ms). */
  readonly isDiscouraged: (ip: string, now: number) => boolean
  /** The discouraged IPs and when each is forgiven (Clock ms). */
  readonly discouraged: ReadonlyMap<string, number>
  /** The last {@link RECENT} misbehaviours reported, oldest first. */
  readonly recent: ReadonlyArray<Report>
}

/**
 * How many misbehaviours `recent` keeps.
 *
 * @since 0.1.0
 */
export const RECENT = 64

/**
 * One reported misbehaviour.
 *
 * @since 0.1.0
 */
export interface Report {
  readonly ip: string
  readonly misbehaviour: Misbehaviour.Misbehaviour
  /** Clock ms. */
  readonly at: number
}

/**
 * @since 0.1.0
 */
export class Guard extends Context.Service<Guard, GuardService>()("@catp2p/p2p/Guard") {
  static readonly layer: Layer.Layer<Guard, never, NodeConfig | NodeStats> = Layer.effect(
    Guard,
    Effect.gen(function* () {
      const { config } = yield* NodeConfig
      const stats = yield* NodeStats
      const budget = new InputBudget<Peer>(config.inputBudget)
      const discourageMs = Duration.toMillis(config.discourageTime)
      const discouraged = new Map<string, number>()
      const isDiscouraged = (ip: string, now: number): boolean => {
        const until = discouraged.get(ip)
        if (until === undefined) return false
        if (until > now) return true
        discouraged.delete(ip)
        return false
      }

      const discourage = (ip: string, until: number, now: number) => {
        if (!discouraged.has(ip) && discouraged.size >= MAX_DISCOURAGED) {
          for (const [k, u] of discouraged) if (u <= now) discouraged.delete(k)
          if (discouraged.size >= MAX_DISCOURAGED) {
            let first: string | undefined
            let soonest = Number.POSITIVE_INFINITY
            for (const [k, u] of discouraged) {
              if (u < soonest) {
                soonest = u
                first = k
              }
            }
            if (first !== undefined) discouraged.delete(first)
          }
        }
        discouraged.set(ip, Math.max(until, discouraged.get(ip) ?? 0))
        stats.discouraged()
      }

      const recent: Array<Report> = []
      const report: GuardService["report"] = (ip, m, special) =>
        Effect.gen(function* () {
          stats.misbehaviour(m._tag)
          const now = yield* Clock.currentTimeMillis
          recent.push({ ip, misbehaviour: m, at: now })
          if (recent.length > RECENT) recent.shift()
          if (special || discourageMs <= 0 || !Misbehaviour.discourages(m)) {
            return yield* Effect.logDebug(`misbehaviour (${m._tag}): ${m.message}`)
          }
          discourage(ip, now + discourageMs, now)
          yield* Effect.logDebug(`discouraged ${ip} for ${Duration.format(config.discourageTime)}: ${m.message}`)
        })

      return Guard.of({ budget, report, isDiscouraged, discouraged, recent })
    })
  )
}
