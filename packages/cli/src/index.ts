/**
 * The `catp2p` command as a library: its commands, for embedding or testing.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.ts"
export * as Demo from "./Demo.ts"
export * as Handshakes from "./Handshakes.ts"
export * as Node from "./Node.ts"
export * as NodeOptions from "./NodeOptions.ts"
export * as Scripting from "./Scripting.ts"
export { version } from "./version.ts"
