/**
 * The one-line status `catp2p node` prints every few seconds: peers in and
 * out, messages and bytes per second up and down, drops and CAT rounds.
 *
 * @since 0.1.0
 */
import type { Network } from "@catp2p/p2p"
import { Effect } from "effect"

/**
 * What the status line shows, read from a node at one moment.
 *
 * @since 0.1.0
 */
export interface Sample {
  readonly incoming: number
  readonly outgoing: number
  readonly info: Network.Info
  readonly rounds: number
}

/**
 * Reads a {@link Sample} from a node.
 *
 * @since 0.1.0
 */
export const sample = (network: Network.NetworkService): Effect.Effect<Sample> =>
  Effect.gen(function* () {
    const peers = yield* network.peers
    const incoming = peers.filter((p) => p.incoming).length
    return { incoming, outgoing: peers.length - incoming, info: yield* network.info, rounds: yield* network.rounds }
  })

const UNITS = ["B", "kB", "MB", "GB", "TB"] as const

/**
 * A byte rate in decimal units: `0 B/s`, `512 B/s`, `1.5 kB/s`, `12.3 MB/s`.
 *
 * @since 0.1.0
 */
export const bytesPerSecond = (rate: number): string => {
  let value = Math.max(0, rate)
  let unit = 0
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(1)} ${UNITS[unit]}/s`
}

const rate = (n: number): string => (n >= 10 || n === 0 ? Math.round(n).toString() : n.toFixed(1))

/**
 * The status line of a sample, e.g.
 * `peers 3 (in 1, out 2) | up 12 msg/s 1.2 kB/s | down 30 msg/s 3.4 kB/s | drops 0 | round 2`.
 *
 * @since 0.1.0
 */
export const line = (s: Sample): string =>
  `peers ${s.incoming + s.outgoing} (in ${s.incoming}, out ${s.outgoing})` +
  ` | up ${rate(s.info.sending)} msg/s ${bytesPerSecond(s.info.upload)}` +
  ` | down ${rate(s.info.receiving)} msg/s ${bytesPerSecond(s.info.download)}` +
  ` | drops ${s.info.dropped} | round ${s.rounds}`
