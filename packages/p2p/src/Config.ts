/**
 * The configuration of a p2p node: every setting of Go's `Configuration`
 * (factom-p2p `configuration.go`), the defaults of `DefaultP2PConfiguration`,
 * Go's `Sanitize` and `Check`, and the checks Go leaves out.
 *
 * Every field is written once, in one table (its Go name, kind, default,
 * documentation, flag, environment variable and Schema with its rule): the
 * {@link Config} Schema, the {@link defaults}, {@link fields} (from which the
 * CLI makes its flags and the README its table) all come from it.
 *
 * The encoded form (JSON, config files, flags, environment variables)
 * accepts text for every field (the text forms `catp2p node` reads): durations as `"15m"`,
 * `"5s"`, `"1h30m"`, `"15 minutes"` or milliseconds; the network as `MainNet`,
 * `custom:<name>`, a uint32 or `0x`-hex; `special` as a list of peers.
 *
 * Beyond Go's `Check`: listenPort in 1..65535 (or 0: any free port, and the
 * handshake announces the port actually bound); protocolVersionMinimum <=
 * protocolVersion; targetPeers, maxIncoming, dropTo <= maxPeers; minReseed <=
 * targetPeers; with the resend filter on, buckets >= 1 and interval > 0 (Go
 * panics otherwise); seedUrl empty, http(s)/file URL or path; bindIp empty
 * or an IP (IPv6 bare or in brackets).
 *
 * Beyond Go's fields, catp2p's protections against hostile peers (see
 * RELIABILITY.md), after Go's fields: `inputBudget`, `frameProgressRate`,
 * `frameProgressWindow`, `maxPendingHandshakes`, `maxPendingHandshakesPerIp`,
 * `discourageTime`. Their Go names in {@link fields} are what Go would call them.
 *
 * @example
 * ```ts
 * import { Config, NetworkId } from "@catp2p/p2p"
 * import { Result } from "effect"
 *
 * // from values: Go's defaults for every field not given, then Go's checks
 * const config = Config.make({ network: NetworkId.TestNet, listenPort: "8110", targetPeers: 8 })
 * if (Result.isFailure(config)) console.error(config.failure.message) // names the field
 *
 * // from text (a config file, flags, environment variables)
 * const fromFile = Config.decode({ network: "TestNet", peerShareTime: "5m", special: "10.0.0.1:8108" })
 * ```
 *
 * @since 0.1.0
 * @module
 */
import { Effect, Result, Schema, Struct } from "effect"
import type * as Text from "./internal/config/Text.ts"
import { formatSpecial as formatSpecialText, parseSpecial as parseSpecialText } from "./internal/config/Text.ts"
import * as Fields from "./internal/config/Fields.ts"
import * as Validate from "./internal/config/Validate.ts"
import * as NetworkId from "./NetworkId.ts"

/**
 * A configuration value that is not usable: the field (camelCase, as in
 * {@link Config}; `"config"` when the input is not an object; the key itself
 * when it is not a setting) and the reason.
 *
 * @category errors
 * @since 0.1.0
 */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  field: Schema.String,
  message: Schema.String
}) {}

const toErrors = (problems: ReadonlyArray<Validate.Problem>): ReadonlyArray<ConfigError> =>
  problems.map((p) => new ConfigError(p))

/**
 * Entries of `special`: a whole IP ({@link SpecialIp}) or an `Endpoint`.
 *
 * @since 0.1.0
 */
export { SpecialIp, SpecialPeer } from "./internal/config/Text.ts"

/**
 * Parses special peers (the form `formatSpecial` writes); a bad entry fails
 * with a {@link ConfigError} for field `"special"`.
 *
 * @category decoding
 * @since 0.1.0
 */
export const parseSpecial = (raw: string): Result.Result<ReadonlyArray<Text.SpecialPeer>, ConfigError> =>
  Result.mapError(parseSpecialText(raw), (message) => new ConfigError({ field: "special", message }))

/**
 * Writes special peers in the text form {@link parseSpecial} reads
 * (`ip` or `ip:port`, comma-separated).
 *
 * @category encoding
 * @since 0.1.0
 */
export const formatSpecial = (peers: ReadonlyArray<{ readonly ip: string; readonly port?: string }>): string =>
  formatSpecialText(peers)

/**
 * The configuration schema, fields in Go's order, built from the field
 * table: each field decodes its text form and checks its own rule. Decoded
 * type {@link Config}, encoded type {@link Encoded}; {@link fields} holds
 * each field's documentation.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Config = Fields.ConfigSchema

/**
 * A decoded configuration.
 *
 * @category models
 * @since 0.1.0
 */
export type Config = Fields.Config

/**
 * The encoded (JSON / config file) form of a configuration.
 *
 * @category models
 * @since 0.1.0
 */
export type Encoded = typeof Config.Encoded

/**
 * {@link Config} with every field optional: what {@link decode} reads.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ConfigInput = Config.mapFields(Struct.map(Schema.optionalKey))

/**
 * What kind of value a field holds (for generated flags and docs).
 *
 * @category models
 * @since 0.1.0
 */
export type FieldKind = Fields.FieldKind

/**
 * Machine-readable description of one field (name, Go name, kind, default
 * as text, description, flag, environment variable), for CLIs and docs.
 *
 * @category models
 * @since 0.1.0
 */
export type FieldInfo = Fields.FieldInfo

/**
 * Every field, in Go's order, as written in the field table.
 *
 * @category constants
 * @since 0.1.0
 */
export const fields: ReadonlyArray<FieldInfo> = Fields.fields

/**
 * Go's `DefaultP2PConfiguration()`, with the code's values (Fanout 8,
 * HandshakeTimeout 5 s, ProtocolVersion 10, ...), not the README's: the
 * table's default texts decoded by the Schema.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaults: Config = Schema.decodeUnknownSync(Config)(
  Object.fromEntries(fields.map((field) => [field.name, field.default]))
)

/**
 * Encodes a configuration: durations as `"15m"`, the network by name (else
 * `0x`-hex), `special` as a comma-separated string; decodes back to an equal value.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encode: (config: Config) => Encoded = Schema.encodeSync(Config)

/**
 * Go's `Sanitize`: caps `maxIncoming` and `dropTo` at `maxPeers`. Also
 * takes an IPv6 `bindIp` in brackets (`[::1]`, the form a Go node can bind)
 * as the bare address.
 *
 * @category validation
 * @since 0.1.0
 */
export const sanitize: (config: Config) => Config = Validate.sanitize

/**
 * Every problem of a configuration, at most one per field: each field
 * through its Schema (its type: finite non-negative durations, non-negative
 * integers, ...; then its rule), then the rules across fields
 * (`targetPeers` <= `maxPeers`, ...). Empty when usable.
 *
 * @category validation
 * @since 0.1.0
 */
export const validate = (config: Config): ReadonlyArray<ConfigError> =>
  Result.match(Validate.validate(config), { onSuccess: () => [], onFailure: toErrors })

const firstError = (problems: ReadonlyArray<Validate.Problem>): ConfigError => new ConfigError(problems[0]!)

/**
 * Go's `Check` and more ({@link validate}): the configuration, or its first
 * problem. Like Go's, does not sanitize: unsanitized `dropTo` > `maxPeers` fails.
 *
 * @category validation
 * @since 0.1.0
 */
export const check = (config: Config): Result.Result<Config, ConfigError> =>
  Result.mapError(Validate.validate(config), firstError)

/**
 * {@link defaults} with `overrides`, then {@link sanitize}, then decoded
 * through the Schema and checked ({@link check}).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (overrides: Partial<Config> = {}): Result.Result<Config, ConfigError> =>
  check(sanitize({ ...defaults, ...overrides }))

const decodeInput = Schema.decodeUnknownResult(ConfigInput, { onExcessProperty: "error", errors: "all" })

/**
 * Decodes some settings from their text (or JSON) form, as a config file,
 * flags or environment variables give them: each field through its Schema
 * (its type and its own rule), unknown keys rejected. The settings given, or
 * every problem (at most one per field, each naming it); the rules across
 * fields are left to {@link make} / {@link validate}.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeSettings = (input: unknown): Result.Result<Partial<Config>, ReadonlyArray<ConfigError>> =>
  Result.mapError(decodeInput(input), (error) => toErrors(Validate.problemsOf(error.issue, input, "text")))

/**
 * Decodes unknown input (parsed JSON, a config file, flags): missing fields
 * take their {@link defaults}, unknown keys are rejected, then the result is
 * sanitized and checked as by {@link make}. Fails with the first problem, naming its field.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = (input: unknown): Effect.Effect<Config, ConfigError> =>
  Effect.fromResult(
    Result.flatMap(
      Result.mapError(decodeSettings(input), (errors) => errors[0]!),
      (settings) => make(settings)
    )
  )

/**
 * The node id in use, resolved as Go's `NewNetwork` does: `nodeId`, or when
 * it is 0, `StringToUint32(nodeName)` (the first 4 bytes of its SHA-256).
 *
 * @category getters
 * @since 0.1.0
 */
export const nodeIdOf = (config: Pick<Config, "nodeId" | "nodeName">): number =>
  config.nodeId !== 0 ? config.nodeId : NetworkId.stringToUint32(config.nodeName)
