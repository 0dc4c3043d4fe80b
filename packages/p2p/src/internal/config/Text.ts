/**
 * Text forms of configuration values (config files, flags, environment
 * variables): every codec here decodes from a string as well as from its
 * JSON type, so command-line text decodes directly.
 *
 * - durations: `"15 minutes"`, `"5s"`, `"1h30m"`, `"250 millis"`, `"1.5h"`, or a
 *   number of milliseconds; encoded compactly (`"15m"`, `"7d"`);
 * - counts: non-negative integers, as numbers or digit strings;
 * - booleans: `true`/`false`, `"true"`/`"false"`/`"1"`/`"0"`;
 * - network ids: `MainNet`/`TestNet`/`LocalNet`, `custom:<name>`, a uint32 or `0x`-hex;
 * - special peers: `ip:port` or bare IPs, separated by commas or semicolons.
 *
 * @since 0.1.0
 * @module
 */
import { isIP } from "node:net"
import { Duration, Effect, Result, Schema, SchemaIssue, SchemaTransformation } from "effect"
import * as Endpoint from "../../Endpoint.ts"
import * as NetworkId from "../../NetworkId.ts"

const show = (u: unknown): string => (typeof u === "string" ? JSON.stringify(u) : String(u))

/**
 * A codec from `from` (the text/JSON form) to `to`, through a parser whose
 * failure message becomes the schema issue's message.
 *
 * @category schemas
 * @since 0.1.0
 */
export const textCodec = <To extends Schema.Top, I>(
  from: Schema.Codec<I>,
  to: To,
  decode: (input: I) => Result.Result<To["Encoded"], string>,
  encode: (value: To["Encoded"]) => I
) =>
  from.pipe(
    Schema.decodeTo(
      to,
      SchemaTransformation.transformEffect<To["Encoded"], I>({
        decode: (input, options) =>
          Result.match(decode(input), {
            onSuccess: Effect.succeed,
            onFailure: (message) => Effect.fail(new SchemaIssue.InvalidValue({ message }, input, options))
          }),
        encode: (value) => Effect.succeed(encode(value))
      })
    )
  )

const NANOS: Record<string, bigint> = {}
const unit = (nanos: bigint, ...names: Array<string>) => {
  for (const name of names) NANOS[name] = nanos
}
unit(1n, "ns", "nano", "nanos", "nanosecond", "nanoseconds")
unit(1_000n, "us", "µs", "micro", "micros", "microsecond", "microseconds")
unit(1_000_000n, "ms", "milli", "millis", "millisecond", "milliseconds")
unit(1_000_000_000n, "s", "sec", "secs", "second", "seconds")
unit(60_000_000_000n, "m", "min", "mins", "minute", "minutes")
unit(3_600_000_000_000n, "h", "hr", "hrs", "hour", "hours")
unit(86_400_000_000_000n, "d", "day", "days")
unit(604_800_000_000_000n, "w", "week", "weeks")

const TERM = /(\d+(?:\.\d+)?)\s*([a-zµ]+)\s*/iy
const DECIMAL = /^\d+(?:\.\d+)?$/
const DIGITS = /^\d+$/

const fromNanos = (nanos: bigint): Duration.Duration =>
  nanos % 1_000_000n === 0n ? Duration.millis(Number(nanos / 1_000_000n)) : Duration.nanos(nanos)

// value × factor, exactly, rounded down to whole nanoseconds
const scale = (value: string, factor: bigint): bigint => {
  const [whole = "0", frac = ""] = value.split(".")
  return (BigInt(whole + frac) * factor) / 10n ** BigInt(frac.length)
}

/**
 * Parses a non-negative duration: a number of milliseconds (number or
 * string), or `<number><unit>` terms optionally separated by blanks (`"5s"`,
 * `"1h30m"`, `"1d 2h"`, `"15 minutes"`, `"250 millis"`, `"1.5h"`). Units: `ns`,
 * `us`/`µs`, `ms`, `s`, `m`, `h`, `d`, `w` and English names, singular or
 * plural (`millis`, `seconds`, `minutes`, ...). Negative, infinite and NaN
 * values are rejected.
 *
 * @category decoding
 * @since 0.1.0
 */
export const parseDuration = (input: string | number): Result.Result<Duration.Duration, string> => {
  if (typeof input === "number") {
    return Number.isFinite(input) && input >= 0
      ? Result.succeed(Duration.millis(input))
      : Result.fail(`expected a non-negative number of milliseconds, got ${input}`)
  }
  const text = input.trim()
  if (DECIMAL.test(text)) return Result.succeed(fromNanos(scale(text, 1_000_000n)))
  const bad = Result.fail(`expected a duration like "5s", "1h30m", "15 minutes" or milliseconds, got ${show(input)}`)
  if (text === "") return bad
  let nanos = 0n
  TERM.lastIndex = 0
  while (TERM.lastIndex < text.length) {
    const match = TERM.exec(text)
    const factor = match === null ? undefined : NANOS[match[2]!.toLowerCase()]
    if (match === null || factor === undefined) return bad
    nanos += scale(match[1]!, factor)
  }
  return Result.succeed(fromNanos(nanos))
}

const PARTS: ReadonlyArray<readonly [string, bigint]> = [
  ["d", 86_400_000_000_000n],
  ["h", 3_600_000_000_000n],
  ["m", 60_000_000_000n],
  ["s", 1_000_000_000n],
  ["ms", 1_000_000n],
  ["us", 1_000n],
  ["ns", 1n]
]

/**
 * Formats a duration compactly, as {@link parseDuration} reads it back:
 * `"15m"`, `"4h"`, `"7d"`, `"1h30m"`, `"250ms"`, `"0s"`. Infinite durations give
 * `"Infinity"` (which `parseDuration` rejects).
 *
 * @category encoding
 * @since 0.1.0
 */
export const formatDuration = (duration: Duration.Duration): string => {
  const total = Duration.toNanos(duration)
  if (total._tag === "None") return Duration.isNegative(duration) ? "-Infinity" : "Infinity"
  let rest = total.value < 0n ? -total.value : total.value
  let out = ""
  for (const [name, size] of PARTS) {
    if (rest >= size) {
      out += `${rest / size}${name}`
      rest %= size
    }
  }
  return out === "" ? "0s" : total.value < 0n ? `-${out}` : out
}

/**
 * A `Duration`, decoded by {@link parseDuration}, encoded by {@link formatDuration}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const DurationFromText = textCodec(
  Schema.Union([Schema.String, Schema.Number]),
  Schema.Duration,
  parseDuration,
  formatDuration
)

const NumberOrString = Schema.Union([Schema.Number, Schema.String])

/**
 * Whether `n` is an integer in 0..2^32-1.
 *
 * @category guards
 * @since 0.1.0
 */
export const isUint32 = (n: unknown): n is number =>
  Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff

/**
 * Parses a non-negative safe integer from a number or a string of digits.
 *
 * @category decoding
 * @since 0.1.0
 */
export const parseCount = (input: number | string): Result.Result<number, string> => {
  const n = typeof input === "number" ? input : DIGITS.test(input.trim()) ? Number(input.trim()) : Number.NaN
  return Number.isSafeInteger(n) && n >= 0
    ? Result.succeed(n)
    : Result.fail(`expected a non-negative integer, got ${show(input)}`)
}

/**
 * A non-negative integer, from a number or a digit string; encoded as a number.
 *
 * @category schemas
 * @since 0.1.0
 */
export const CountFromText = textCodec(
  NumberOrString,
  Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  parseCount,
  (n) => n
)

/**
 * A protocol version this package speaks.
 *
 * @category models
 * @since 0.1.0
 */
export type ProtocolVersion = 9 | 10 | 11

/**
 * @category guards
 * @since 0.1.0
 */
export const isProtocolVersion = (n: unknown): n is ProtocolVersion => n === 9 || n === 10 || n === 11

/**
 * 9, 10 or 11, from a number or a digit string.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ProtocolFromText = textCodec(
  NumberOrString,
  Schema.Literals([9, 10, 11]),
  (input) =>
    Result.flatMap(parseCount(input), (n) =>
      isProtocolVersion(n) ? Result.succeed(n) : Result.fail(`must be 9, 10 or 11, got ${show(input)}`)
    ),
  (n) => n
)

/**
 * A boolean, from `true`/`false` or `"true"`/`"false"`/`"1"`/`"0"` (any case).
 *
 * @category schemas
 * @since 0.1.0
 */
export const BooleanFromText = textCodec(
  Schema.Union([Schema.Boolean, Schema.String]),
  Schema.Boolean,
  (input) => {
    const text = String(input).trim().toLowerCase()
    if (text === "true" || text === "1") return Result.succeed(true)
    if (text === "false" || text === "0") return Result.succeed(false)
    return Result.fail(`expected true or false, got ${show(input)}`)
  },
  (b) => b
)

/**
 * A string, also accepting a number (written in decimal), e.g. a port.
 *
 * @category schemas
 * @since 0.1.0
 */
export const StringFromText = textCodec(NumberOrString, Schema.String, (input) => Result.succeed(String(input)), String)

const NAMES: ReadonlyArray<readonly [string, NetworkId.NetworkId]> = [
  ["MainNet", NetworkId.MainNet],
  ["TestNet", NetworkId.TestNet],
  ["LocalNet", NetworkId.LocalNet]
]

/**
 * Reads a network id: `MainNet`, `TestNet`, `LocalNet` (any case),
 * `custom:<name>` (= `NetworkId.fromName(name)`), a uint32, or `0x`-hex such as
 * `"0x29cb7175"`.
 *
 * @category decoding
 * @since 0.1.0
 */
export const parseNetwork = (input: number | string): Result.Result<NetworkId.NetworkId, string> => {
  const text = typeof input === "number" ? "" : input.trim()
  if (/^custom:./i.test(text)) return Result.succeed(NetworkId.fromName(text.slice(7)))
  const named = NAMES.find(([name]) => name.toLowerCase() === text.toLowerCase())
  if (named !== undefined) return Result.succeed(named[1])
  let n = typeof input === "number" ? input : Number.NaN
  if (/^0x[0-9a-f]{1,8}$/i.test(text)) n = Number.parseInt(text.slice(2), 16)
  else if (DIGITS.test(text)) n = Number(text)
  return isUint32(n)
    ? Result.succeed(NetworkId.make(n))
    : Result.fail(`expected MainNet, TestNet, LocalNet, custom:<name>, a uint32 or 0x-hex, got ${show(input)}`)
}

/**
 * Writes a network id as {@link parseNetwork} reads it: its name, else `0x`-hex.
 *
 * @category encoding
 * @since 0.1.0
 */
export const formatNetwork = (id: number): string =>
  NAMES.find(([, value]) => value === id)?.[0] ?? `0x${id.toString(16).padStart(8, "0")}`

/**
 * A `NetworkId`, decoded by {@link parseNetwork}, encoded by {@link formatNetwork}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const NetworkFromText = textCodec(NumberOrString, NetworkId.NetworkId, parseNetwork, formatNetwork)

/**
 * A special peer given without a port: every port of this IP is special.
 *
 * @category models
 * @since 0.1.0
 */
export class SpecialIp extends Schema.Class<SpecialIp>("@catp2p/p2p/Config/SpecialIp")({
  ip: Schema.String.check(Schema.makeFilter((s: string) => isIP(s) !== 0, { message: "expected an IP address" }))
}) {
  override toString(): string {
    return this.ip
  }
}

/**
 * One special peer: a whole IP, or one endpoint (`ip:port`, `host:port`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const SpecialPeer = Schema.Union([Endpoint.Endpoint, SpecialIp])

/**
 * @category models
 * @since 0.1.0
 */
export type SpecialPeer = typeof SpecialPeer.Type

/**
 * Whether `peer` is a `SpecialIp` holding an IP or a valid `Endpoint`.
 *
 * @category guards
 * @since 0.1.0
 */
export const isValidSpecial = (peer: unknown): peer is SpecialPeer =>
  peer instanceof SpecialIp ? isIP(peer.ip) !== 0 : peer instanceof Endpoint.Endpoint && Endpoint.isValid(peer)

/**
 * Parses special peers separated by commas (Go's `parseSpecial`) or
 * semicolons (Go's `SetSpecial` doc). Each entry is `ip:port`, `host:port`,
 * `[ipv6]:port`, or a bare IP (`1.2.3.4`, `::1`, `[::1]`) meaning every port of
 * that IP. Blanks around entries and empty entries are ignored; any other
 * entry fails (Go fails the whole list too).
 *
 * @category decoding
 * @since 0.1.0
 */
export const parseSpecial = (raw: string): Result.Result<ReadonlyArray<SpecialPeer>, string> => {
  const peers: Array<SpecialPeer> = []
  for (const part of raw.split(/[,;]/)) {
    const item = part.trim()
    if (item === "") continue
    const bare = item.startsWith("[") && item.endsWith("]") ? item.slice(1, -1) : item
    if (isIP(bare) !== 0) {
      peers.push(new SpecialIp({ ip: bare }, { disableChecks: true }))
      continue
    }
    const endpoint = Endpoint.parse(item)
    if (Result.isFailure(endpoint)) return Result.fail(`entry ${show(item)}: ${endpoint.failure.message}`)
    peers.push(endpoint.success)
  }
  return Result.succeed(peers)
}

/**
 * Writes special peers comma-separated, as {@link parseSpecial} reads them back.
 *
 * @category encoding
 * @since 0.1.0
 */
export const formatSpecial = (peers: ReadonlyArray<{ readonly ip: string; readonly port?: string }>): string =>
  peers.map((p) => (p.port === undefined ? p.ip : Endpoint.format({ ip: p.ip, port: p.port }))).join(",")

/**
 * Special peers, decoded by {@link parseSpecial}, encoded by {@link formatSpecial}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const SpecialFromText = textCodec(Schema.String, Schema.Array(SpecialPeer), parseSpecial, formatSpecial)
