/**
 * The line protocol between the harness and its child processes. The parent
 * writes one JSON command per line on the child's stdin; the child answers
 * with lines `@bench <json>` on its stdout (other output is ignored, so a
 * stray log line cannot break the protocol). Both directions are Schemas.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The prefix of a protocol line on a child's stdout.
 *
 * @since 0.1.0
 */
export const PREFIX = "@bench "

// ---------------------------------------------------------------- commands

/**
 * Receivers: counters now, with the child's own timestamp.
 *
 * @since 0.1.0
 */
export const Mark = Schema.Struct({ cmd: Schema.Literal("mark") })

/**
 * Senders and dialers: the port to connect to (children start before the
 * server they connect to is ready, to save time). Answered with `ready`.
 *
 * @since 0.1.0
 */
export const Dial = Schema.Struct({ cmd: Schema.Literal("dial"), port: Schema.Int })

/**
 * Senders: send `size`-byte parcels for `ms` milliseconds, waiting for room
 * (`paced`) or not (`unpaced`).
 *
 * @since 0.1.0
 */
export const Run = Schema.Struct({
  cmd: Schema.Literal("run"),
  mode: Schema.Literals(["paced", "unpaced"]),
  size: Schema.Int,
  ms: Schema.Finite
})

/**
 * Any child: memory after a full garbage collection, and its peer count.
 *
 * @since 0.1.0
 */
export const Memory = Schema.Struct({ cmd: Schema.Literal("memory") })

/**
 * Dialers: open, handshake and close connections for `ms` milliseconds,
 * `concurrency` at a time.
 *
 * @since 0.1.0
 */
export const Churn = Schema.Struct({ cmd: Schema.Literal("churn"), ms: Schema.Finite, concurrency: Schema.Int })

/**
 * Dialers: open and handshake `count` connections and keep them open.
 *
 * @since 0.1.0
 */
export const Hold = Schema.Struct({ cmd: Schema.Literal("hold"), count: Schema.Int, concurrency: Schema.Int })

/**
 * Any child: CPU-profile this process from `afterMs` from now for `forMs`
 * and write the profile to `file` (a `.cpuprofile`, as `node --cpu-prof`
 * writes, but covering only the measured window). No reply.
 *
 * @since 0.1.0
 */
export const Profile = Schema.Struct({
  cmd: Schema.Literal("profile"),
  file: Schema.String,
  afterMs: Schema.Finite,
  forMs: Schema.Finite
})

/**
 * A command from the harness.
 *
 * @since 0.1.0
 */
export const Command = Schema.Union([Mark, Dial, Run, Memory, Churn, Hold, Profile])

/**
 * @since 0.1.0
 */
export type Command = typeof Command.Type

// ---------------------------------------------------------------- replies

/**
 * A child is up: where it listens (servers) and the peer hash it dialed (senders).
 *
 * @since 0.1.0
 */
export const Ready = Schema.Struct({
  type: Schema.Literal("ready"),
  port: Schema.optionalKey(Schema.Int),
  hash: Schema.optionalKey(Schema.String),
  /** Resident set size once ready, bytes. */
  rss: Schema.optionalKey(Schema.Finite)
})

/**
 * A receiver's counters at `t` (its `performance.now()`): application
 * parcels and payload bytes received, parcels it dropped.
 *
 * @since 0.1.0
 */
export const Marked = Schema.Struct({
  type: Schema.Literal("mark"),
  t: Schema.Finite,
  parcels: Schema.Finite,
  bytes: Schema.Finite,
  dropped: Schema.Finite,
  maxRssKiB: Schema.Finite
})

/**
 * A sender finished a run: parcels handed to the node (or socket), parcels
 * its send queue dropped, and its peak RSS.
 *
 * @since 0.1.0
 */
export const Sent = Schema.Struct({
  type: Schema.Literal("sent"),
  sent: Schema.Finite,
  dropped: Schema.Finite,
  elapsedMs: Schema.Finite,
  maxRssKiB: Schema.Finite
})

/**
 * Memory of a child after a full garbage collection (bytes), and how many
 * peers (or sockets) it holds.
 *
 * @since 0.1.0
 */
export const Memoried = Schema.Struct({
  type: Schema.Literal("memory"),
  rss: Schema.Finite,
  heapUsed: Schema.Finite,
  external: Schema.Finite,
  peers: Schema.Finite
})

/**
 * A dialer's churn: connections that completed the handshake, and failures.
 *
 * @since 0.1.0
 */
export const Churned = Schema.Struct({
  type: Schema.Literal("churn"),
  completed: Schema.Finite,
  failed: Schema.Finite,
  elapsedMs: Schema.Finite,
  firstError: Schema.optionalKey(Schema.String)
})

/**
 * A dialer holds `open` handshaken connections (`failed` could not be made).
 *
 * @since 0.1.0
 */
export const Held = Schema.Struct({
  type: Schema.Literal("held"),
  open: Schema.Finite,
  failed: Schema.Finite,
  firstError: Schema.optionalKey(Schema.String)
})

/**
 * How a set of broadcasts spread (milliseconds).
 *
 * @since 0.1.0
 */
export const Propagation = Schema.Struct({
  messages: Schema.Finite,
  complete: Schema.Finite,
  p50Ms: Schema.Finite,
  p99Ms: Schema.Finite,
  maxMs: Schema.Finite
})

/**
 * The broadcast child's result: the catp2p network (its graph: nodes,
 * edges, peers per node, time to form) and the baseline on the same graph.
 *
 * @since 0.1.0
 */
export const Broadcasted = Schema.Struct({
  type: Schema.Literal("broadcast"),
  nodes: Schema.Finite,
  edges: Schema.Finite,
  formedMs: Schema.Finite,
  minPeers: Schema.Finite,
  meanPeers: Schema.Finite,
  catp2p: Propagation,
  baseline: Propagation
})

/**
 * A child failed; the harness reports `message`.
 *
 * @since 0.1.0
 */
export const Failed = Schema.Struct({ type: Schema.Literal("error"), message: Schema.String })

/**
 * Encodes a protocol line (without the newline).
 *
 * @since 0.1.0
 */
export const line = (message: object): string => `${PREFIX}${JSON.stringify(message)}`
