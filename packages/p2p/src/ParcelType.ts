/**
 * The kind of a parcel: network-level commands (ping, peer requests, the
 * handshake) or application messages. On the wire a uint16; only 0..9 exist.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** @since 0.1.0 */
export const Heartbeat = 0
/** @since 0.1.0 */
export const Ping = 1
/** @since 0.1.0 */
export const Pong = 2
/** @since 0.1.0 */
export const PeerRequest = 3
/** @since 0.1.0 */
export const PeerResponse = 4
/** @since 0.1.0 */
export const Alert = 5
/** @since 0.1.0 */
export const Message = 6
/** @since 0.1.0 */
export const MessagePart = 7
/** @since 0.1.0 */
export const Handshake = 8
/** @since 0.1.0 */
export const RejectAlternative = 9

/**
 * A known parcel type, 0..9. A parcel of any other type is invalid and
 * closes the peer that sent it.
 *
 * @since 0.1.0
 */
export const ParcelType = Schema.Literals([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).annotate({ identifier: "ParcelType" })

/**
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
 * @since 0.1.0
 */
export const isParcelType = (n: number): n is ParcelType => Number.isInteger(n) && n >= 0 && n < NAMES.length

/**
 * Go's `ParcelType.String()`: `"Peer-Request"`, `"Message"`, …; `""` for an unknown type.
 *
 * @since 0.1.0
 */
export const name = (type: number): string => NAMES[type] ?? ""

/**
 * Whether parcels of this type go to the application (Message, and the
 * deprecated MessagePart, which the application receives as Message).
 *
 * @since 0.1.0
 */
export const isApplication = (type: number): boolean => type === Message || type === MessagePart
