/**
 * What the command takes from the process and the machine it runs on: the
 * environment variables, the way to exit with a status, and the transport
 * its node uses (TCP).
 *
 * The default is the real process (`process.env`, `process.exit`,
 * `TcpTransport`); the command's tests run it inside the test process with
 * their own environment, a recorded exit status and the in-memory transport.
 * Internal: not exported from the package.
 *
 * @since 0.1.0
 */
import { TcpTransport, type Transport } from "@catp2p/p2p"
import { Context, Effect, type Layer } from "effect"

/**
 * The process and machine the command runs on.
 *
 * @since 0.1.0
 */
export interface HostService {
  /** The environment variables (read once per command). */
  readonly env: Effect.Effect<{ readonly [name: string]: string | undefined }>
  /** Ends the command with this exit status; it does not return. */
  readonly exit: (code: number) => Effect.Effect<never>
  /** The transport of the node (`catp2p node`). */
  readonly transport: Layer.Layer<Transport.Transport>
}

/**
 * The real process: `process.env`, `process.exit` (which flushes stdout and
 * stderr on pipes and files, synchronous there), TCP.
 *
 * @since 0.1.0
 */
export const processHost: HostService = {
  env: Effect.sync(() => ({ ...process.env })),
  exit: (code) => Effect.sync(() => process.exit(code)),
  transport: TcpTransport.layer
}

/**
 * The host the command runs on; the real process unless a test provides another.
 *
 * @since 0.1.0
 */
export const Host = Context.Reference<HostService>("@catp2p/cli/Host", { defaultValue: () => processHost })
