/**
 * Errors on expected paths (a peer hung up, a full node rejected us, a dial
 * came too soon) are data the node raises by the thousand in a busy or a
 * simulated network, not signs of a bug. Capturing a stack trace was most of
 * their cost (5 % of the CPU of a 1,000-node simulation) and the trace only
 * ever pointed into the node's own loops. `make` builds such an error
 * without one; errors that signal a bug keep theirs.
 *
 * @since 0.1.0
 */

/**
 * Builds an error (or any value) with stack trace capture turned off.
 *
 * @example
 * ```ts
 * const e = Stackless.make(() => new PeerClosed({ reason: "RemoteClosed", message: "closed" }))
 * ```
 *
 * @since 0.1.0
 */
export const make = <A>(build: () => A): A => {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return build()
  } finally {
    Error.stackTraceLimit = limit
  }
}
