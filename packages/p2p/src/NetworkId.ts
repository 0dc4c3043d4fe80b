/**
 * The identifier of a p2p network: nodes only talk to nodes with the same id.
 *
 * @since 0.1.0
 * @module
 */
import { createHash } from "node:crypto"
import { Schema } from "effect"

/**
 * A network id: an unsigned 32-bit integer (Go: `type NetworkID uint32`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const NetworkId = Schema.Number.pipe(Schema.check(Schema.isUint32()), Schema.brand("NetworkId")).annotate({
  identifier: "NetworkId",
  description: "an unsigned 32-bit network identifier"
})

/**
 * @category models
 * @since 0.1.0
 */
export type NetworkId = typeof NetworkId.Type

/**
 * Brands a number known to be a uint32 (no check: use `Schema` to validate input).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (value: number): NetworkId => (value >>> 0) as NetworkId

/**
 * Factom's main production network.
 *
 * @category constants
 * @since 0.1.0
 */
export const MainNet: NetworkId = make(0xfeedbeef)

/**
 * Factom's test network.
 *
 * @category constants
 * @since 0.1.0
 */
export const TestNet: NetworkId = make(0xdeadbeef)

/**
 * A network of local nodes.
 *
 * @category constants
 * @since 0.1.0
 */
export const LocalNet: NetworkId = make(0xbeaded)

/**
 * The first four bytes of the SHA-256 of `input`, big-endian (Go: `StringToUint32`).
 * Also how a node id is derived from a node name.
 *
 * @category utils
 * @since 0.1.0
 */
export const stringToUint32 = (input: string): number =>
  createHash("sha256").update(input, "utf8").digest().readUInt32BE(0)

/**
 * The network id of a custom network, from its name (Go: `NewNetworkID`).
 *
 * @example
 * ```ts
 * import { NetworkId } from "@catp2p/p2p"
 * NetworkId.fromName("myNetwork") // 0x29cb7175
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromName = (name: string): NetworkId => make(stringToUint32(name))

/**
 * Go's `NetworkID.String()`: `MainNet`, `TestNet`, `LocalNet` or `CustomNet ID: <hex>`.
 *
 * @category encoding
 * @since 0.1.0
 */
export const format = (id: NetworkId): string => {
  switch (id) {
    case MainNet:
      return "MainNet"
    case TestNet:
      return "TestNet"
    case LocalNet:
      return "LocalNet"
    default:
      return `CustomNet ID: ${id.toString(16)}`
  }
}
