/**
 * The peer hash: the id of one connection to a peer, `<ip>:<port> <node id>`,
 * where the node id is 8 lowercase hex digits (Go: `fmt.Sprintf("%s:%s %08x")`).
 * For an incoming peer the port is the one from its handshake (its listen
 * port), not the connection's source port.
 *
 * @since 0.1.0
 * @module
 */
import { Option } from "effect"

/**
 * Formats a peer hash.
 *
 * @example
 * ```ts
 * import { PeerHash } from "@catp2p/p2p"
 * PeerHash.format("127.0.0.1", "8108", 0x01020304) // "127.0.0.1:8108 01020304"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const format = (ip: string, port: string, nodeId: number): string =>
  `${ip}:${port} ${(nodeId >>> 0).toString(16).padStart(8, "0")}`

const HASH = /^(.+):([0-9]{1,5}) ([0-9a-f]{8})$/

/**
 * Splits a peer hash into its parts, if it is one.
 *
 * @category decoding
 * @since 0.1.0
 */
export const parse = (
  hash: string
): Option.Option<{ readonly ip: string; readonly port: string; readonly nodeId: number }> => {
  const m = HASH.exec(hash)
  return m === null ? Option.none() : Option.some({ ip: m[1]!, port: m[2]!, nodeId: Number.parseInt(m[3]!, 16) })
}
