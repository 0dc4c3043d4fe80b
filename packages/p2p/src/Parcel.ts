/**
 * A parcel: what travels between the network and the application.
 *
 * @since 0.1.0
 * @module
 */
import { Result, Schema } from "effect"
import * as ParcelType from "./ParcelType.ts"

/**
 * Send to `Fanout` random peers plus every special peer.
 *
 * @category constants
 * @since 0.1.0
 */
export const Broadcast = "<BROADCAST>"

/**
 * Send to every connected peer. The spelling is Go's and part of the API.
 *
 * @category constants
 * @since 0.1.0
 */
export const FullBroadcast = "<FULLBORADCAST>"

/**
 * Send to one peer chosen at random.
 *
 * @category constants
 * @since 0.1.0
 */
export const RandomPeer = "<RANDOMPEER>"

/**
 * A parcel. `address` is the target peer hash (or one of the targets above)
 * when sending; for a received parcel it is the sender's peer hash.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Parcel = Schema.Struct({
  type: ParcelType.ParcelType,
  address: Schema.String,
  payload: Schema.Uint8Array
}).annotate({ identifier: "Parcel" })

/**
 * @category models
 * @since 0.1.0
 */
export interface Parcel {
  readonly type: ParcelType.ParcelType
  readonly address: string
  readonly payload: Uint8Array
}

/**
 * An application message to `target` (a peer hash, `Broadcast`,
 * `FullBroadcast` or `RandomPeer`). Go: `NewParcel`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (target: string, payload: Uint8Array): Parcel => ({
  type: ParcelType.Message,
  address: target,
  payload
})

/**
 * A parcel of any type with no address (Go: `newParcel`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const ofType = (type: ParcelType.ParcelType, payload: Uint8Array): Parcel => ({ type, address: "", payload })

/**
 * Why a received parcel is invalid. An invalid parcel closes the peer that
 * sent it.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidParcel extends Schema.TaggedError<InvalidParcel>()("InvalidParcel", {
  reason: Schema.Literals(["UnknownType", "EmptyPayload"]),
  message: Schema.String
}) {}

/**
 * Checks a decoded `(type, payload)` pair the way Go's `Parcel.Valid` does:
 * the type must be known (0..9) and the payload non-empty.
 *
 * @category validation
 * @since 0.1.0
 */
export const validate = (type: number, payload: Uint8Array, address = ""): Result.Result<Parcel, InvalidParcel> => {
  if (!ParcelType.isParcelType(type)) {
    return Result.fail(new InvalidParcel({ reason: "UnknownType", message: `unknown parcel type ${type}` }))
  }
  if (payload.length === 0) {
    return Result.fail(new InvalidParcel({ reason: "EmptyPayload", message: "zero-length payload" }))
  }
  return Result.succeed({ type, address, payload })
}
