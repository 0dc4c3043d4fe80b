/**
 * Checking a configuration: each field through its Schema (type and rule),
 * then the rules across fields; every problem names its field.
 *
 * @since 0.1.0
 */
import { Duration, Result, Schema, SchemaIssue } from "effect"
import { type Config, ConfigSchema, type FieldKind, fields, type Name } from "./Fields.ts"
import { shown, unbracket } from "./Rules.ts"

/**
 * One unusable value: the field (`"config"` when the input is not an object, the key when it is unknown) and why.
 *
 * @since 0.1.0
 */
export interface Problem {
  readonly field: string
  readonly message: string
}

/**
 * What a value of each kind must be, for messages about values of the wrong type.
 */
const EXPECTED: { readonly [K in FieldKind]: string } = {
  network: "a uint32 network id",
  integer: "a non-negative integer",
  string: "a string",
  port: "a string",
  protocol: "9, 10 or 11",
  boolean: "true or false",
  duration: "a finite, non-negative duration",
  special: "a list of SpecialIp and valid Endpoint values"
}

const UNEXPECTED = "is not a configuration setting"
const KINDS = new Map<string, FieldKind>(fields.map((f) => [f.name, f.kind]))

const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1({
  leafHook: (leaf) => (leaf._tag === "UnexpectedKey" ? UNEXPECTED : SchemaIssue.defaultLeafHook(leaf))
})

/**
 * The problems of a failed decoding, at most one per field, in field order.
 * On the type side (`input` holds decoded values), a value of the wrong type
 * is reported as `must be <what the field holds>, got <value>`.
 *
 * @since 0.1.0
 */
export const problemsOf = (issue: SchemaIssue.Issue, input: unknown, side: "text" | "type"): Array<Problem> => {
  const found = new Map<string, string>()
  for (const { message, path } of formatIssue(issue).issues) {
    const field = path?.[0] === undefined ? "config" : String(path[0])
    if (found.has(field)) continue
    const kind = KINDS.get(field)
    const own = path?.length === 1 && message.startsWith("must ")
    found.set(
      field,
      side === "text" || kind === undefined || own
        ? message
        : `must be ${EXPECTED[kind]}, got ${shown((input as Record<string, unknown>)[field])}`
    )
  }
  return Array.from(found, ([field, message]) => ({ field, message }))
}

type Keys<V> = { [K in Name]: Config[K] extends V ? K : never }[Name]
// The field a rule reports on, the fields it reads, and the problem it finds.
type Rule = readonly [field: Name, reads: ReadonlyArray<Name>, problem: (c: Config) => string | undefined]

const atMost = (field: Keys<number>, limit: Keys<number>): Rule => [
  field,
  [field, limit],
  (c) => (c[field] <= c[limit] ? undefined : `must not exceed ${limit} (${c[limit]})`)
]
const whenResendFilterOn = (field: Name, problem: (c: Config) => string | undefined): Rule => [
  field,
  ["peerResendFilter", field],
  (c) => {
    const found = c.peerResendFilter ? problem(c) : undefined
    return found === undefined ? undefined : `${found} while peerResendFilter is on`
  }
]

// The rules across fields (the rules of one field are its Schema's checks, in the field table).
const ACROSS: ReadonlyArray<Rule> = [
  atMost("protocolVersionMinimum", "protocolVersion"),
  atMost("targetPeers", "maxPeers"),
  atMost("maxIncoming", "maxPeers"),
  atMost("dropTo", "maxPeers"),
  atMost("minReseed", "targetPeers"),
  whenResendFilterOn("peerResendBuckets", (c) => (c.peerResendBuckets >= 1 ? undefined : "must be at least 1")),
  whenResendFilterOn("peerResendInterval", (c) =>
    Duration.isGreaterThan(c.peerResendInterval, Duration.zero) ? undefined : "must be greater than zero"
  ),
  atMost("maxPendingHandshakesPerIp", "maxPendingHandshakes")
]

const decodeType = Schema.decodeUnknownResult(Schema.toType(ConfigSchema), { errors: "all" })

/**
 * Decodes a configuration's values through the Schema (each field's type
 * and rule), and checks the rules across fields whose fields are usable:
 * the configuration, or every problem (at most one per field; the fields'
 * own first, in field order, then those across fields).
 *
 * @since 0.1.0
 */
export const validate = (config: Config): Result.Result<Config, ReadonlyArray<Problem>> => {
  const decoded = decodeType(config)
  const found = new Map<string, string>(
    Result.isFailure(decoded) ? problemsOf(decoded.failure.issue, config, "type").map((p) => [p.field, p.message]) : []
  )
  const bad = new Set(found.keys())
  for (const [field, reads, problem] of ACROSS) {
    if (found.has(field) || reads.some((name) => bad.has(name))) continue
    const message = problem(config)
    if (message !== undefined) found.set(field, `${message}, got ${shown(config[field])}`)
  }
  return found.size === 0 && Result.isSuccess(decoded)
    ? Result.succeed(decoded.success)
    : Result.fail(Array.from(found, ([field, message]) => ({ field, message })))
}

/**
 * Go's `Sanitize`: caps `maxIncoming` and `dropTo` at `maxPeers`; also takes
 * an IPv6 `bindIp` in brackets (`[::1]`, the form a Go node can bind) as the bare address.
 *
 * @since 0.1.0
 */
export const sanitize = (config: Config): Config => ({
  ...config,
  bindIp: unbracket(config.bindIp),
  maxIncoming: Math.min(config.maxIncoming, config.maxPeers),
  dropTo: Math.min(config.dropTo, config.maxPeers)
})
