/**
 * Failures rendered for an operator: why a dial or a handshake failed, in
 * words (network names, not hex, where the id is known), and the causes
 * behind a transport error.
 *
 * @since 0.1.0
 */
import type { HandshakeError } from "../../Handshake.ts"
import * as NetworkId from "../../NetworkId.ts"

/** What a `DialError` carries (structurally: this module sits below the Dialer). */
interface DialFailure {
  readonly _tag: "DialError"
  readonly reason: string
  readonly message: string
}

/**
 * Why a handshake failed. When the remote closes during our outgoing
 * handshake it said nothing (a Go node, like catp2p, refuses a hello with a
 * wrong network, a version below its minimum or from a banned address by
 * closing without a reply), so the line says what is knowable.
 *
 * @since 0.1.0
 */
export const handshake = (e: HandshakeError, direction: "incoming" | "outgoing"): string => {
  const r = e.reason
  switch (r._tag) {
    case "WrongNetwork":
      return `wrong network: we are ${NetworkId.format(NetworkId.make(r.expected))}, they are ${NetworkId.format(NetworkId.make(r.received))}`
    case "VersionTooLow":
      return `protocol version ${r.received} is below our minimum ${r.minimum}`
    case "VersionUnsupported":
      return `unsupported protocol version ${r.received}`
    case "Timeout":
      return `handshake timed out (${r.message})`
    case "Loopback":
      return "we dialed ourselves (endpoint banned)"
    case "Rejected":
      return `the node is full; it offered ${r.alternatives.length} other peers`
    case "Malformed":
      return `malformed handshake: ${r.message}`
    case "Closed":
      if (direction === "incoming") return r.message
      // a clean close says no more than the hint; a reset or an I/O error says what it was
      return `closed by the remote during the handshake (wrong network, protocol version or a ban? it does not say)${
        r.message.startsWith("connection closed") ? "" : `: ${r.message}`
      }`
  }
}

/**
 * Why a dial failed: its `DialError` or its handshake's failure.
 *
 * @since 0.1.0
 */
export const dial = (e: DialFailure | HandshakeError): string =>
  e._tag === "HandshakeError" ? handshake(e, "outgoing") : `${e.reason}: ${e.message}`

/**
 * An error's message followed by its causes (`cause` chain: an HTTP
 * client's "Transport error" is caused by undici's "fetch failed", caused
 * by `connect ECONNREFUSED 127.0.0.1:1`), repeated messages once.
 *
 * @since 0.1.0
 */
export const withCauses = (error: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = error
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    const text =
      typeof current === "object"
        ? String((current as { message?: unknown }).message ?? (current as { code?: unknown }).code ?? "")
        : String(current)
    if (text !== "" && !parts.some((p) => p.includes(text))) parts.push(text)
    current = typeof current === "object" ? (current as { cause?: unknown }).cause : undefined
  }
  return parts.join(": ")
}
