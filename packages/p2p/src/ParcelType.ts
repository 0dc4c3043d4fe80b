/**
 * The kind of a parcel: network-level commands (ping, peer requests, the
 * handshake) or application messages. On the wire a uint16; only 0..9 exist.
 *
 * @since 0.1.0
 * @module
 */
import { Schema } from "effect"

/**
 * @category constants
 * @since 0.1.0
 */
export const Heartbeat = 0
/**
 * @category constants
 * @since 0.1.0
 */
export const Ping = 1
/**
 * @category constants
 * @since 0.1.0
 */
export const Pong = 2
/**
 * @category constants
 * @since 0.1.0
 */
export const PeerRequest = 3
/**
 * @category constants
 * @since 0.1.0
 */
export const PeerResponse = 4
/**
 * @category constants
 * @since 0.1.0
 */
export const Alert = 5
/**
 * @category constants
 * @since 0.1.0
 */
export const Message = 6
/**
 * @category constants
 * @since 0.1.0
 */
export const MessagePart = 7
/**
 * @category constants
 * @since 0.1.0
 */
export const Handshake = 8
/**
 * @category constants
 * @since 0.1.0
 */
export const RejectAlternative = 9

/**
 * A known parcel type, 0..9. A parcel of any other type is invalid and
 * closes the peer that sent it.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ParcelType = Schema.Literals([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).annotate({ identifier: "ParcelType" })

/**
 * @category models
 * @since 0.1.0
 */
export type ParcelType = typeof ParcelType.Type

const NAMES: ReadonlyArray<string> = [
  "Heartbeat",
  "Ping",
  "Pong",
  "Peer-Request",
  "Peer-Response",
  "Alert",
  "Message",
  "MessagePart",
  "Handshake",
  "Rejection-Alternative"
]

/**
 * Whether `n` is a known parcel type (Go's `Parcel.Valid` type check).
 *
 * @category guards
 * @since 0.1.0
 */
export const isParcelType = (n: number): n is ParcelType => Number.isInteger(n) && n >= 0 && n < NAMES.length

/**
 * Go's `ParcelType.String()`: `"Peer-Request"`, `"Message"`, …; `""` for an unknown type.
 *
 * @category getters
 * @since 0.1.0
 */
export const name = (type: number): string => NAMES[type] ?? ""

/**
 * Whether parcels of this type go to the application (Message, and the
 * deprecated MessagePart, which the application receives as Message).
 *
 * @category guards
 * @since 0.1.0
 */
export const isApplication = (type: number): boolean => type === Message || type === MessagePart
