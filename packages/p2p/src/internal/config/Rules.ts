/**
 * The rules of single configuration fields, as Schema checks: each failure
 * message starts with `must`, ends with `, got <value>`, and is what a
 * `ConfigError` for that field says.
 *
 * @since 0.1.0
 */
import { isIP } from "node:net"
import { Duration, Schema, SchemaTransformation } from "effect"
import * as Text from "./Text.ts"
import * as Endpoint from "../../Endpoint.ts"

const show = (u: unknown): string => (typeof u === "string" ? JSON.stringify(u) : String(u))

/**
 * A value as configuration messages show it: durations as `"15m"`, strings quoted.
 *
 * @since 0.1.0
 */
export const shown = (value: unknown): string => (Duration.isDuration(value) ? Text.formatDuration(value) : show(value))

/**
 * A check failing with `<problem>, got <value>` when `ok` is false.
 *
 * @since 0.1.0
 */
export const rule = <T>(ok: (value: T) => boolean, problem: string) =>
  Schema.makeFilter<T>((value) => (ok(value) ? undefined : `${problem}, got ${shown(value)}`))

/**
 * At least `min` (a count).
 *
 * @since 0.1.0
 */
export const atLeast = (min: number, problem = `must be at least ${min}`) => rule<number>((n) => n >= min, problem)

/**
 * Every duration: finite and not negative (text never decodes to others; a caller of `make` could pass one).
 *
 * @since 0.1.0
 */
export const usable = rule<Duration.Duration>(
  (d) => Duration.isFinite(d) && !Duration.isNegative(d),
  "must be a finite, non-negative duration"
)

/**
 * Greater than zero (a duration).
 *
 * @since 0.1.0
 */
export const positive = rule<Duration.Duration>(
  (d) => Duration.isGreaterThan(d, Duration.zero),
  "must be greater than zero"
)

/**
 * `"0"` (any free port) or a port in 1..65535, written as Go's `ListenPort`.
 *
 * @since 0.1.0
 */
export const listenPort = rule<string>(
  (port) => port === "0" || Endpoint.isValidPort(port),
  "must be a port number in 1..65535, or 0 for any free port"
)

const isSeedSource = (source: string): boolean => {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source)?.[1]?.toLowerCase()
  if (scheme === undefined) return !source.includes("\0") // "" (no seed) or a file path
  if (!URL.canParse(source)) return false
  return scheme === "file" || ((scheme === "http" || scheme === "https") && new URL(source).host !== "")
}

/**
 * Empty, an http(s) or file URL, or a file path.
 *
 * @since 0.1.0
 */
export const seedSource = rule<string>(isSeedSource, "must be empty, an http(s):// URL or a file path")

/**
 * Empty or an IP address.
 *
 * @since 0.1.0
 */
export const ipOrEmpty = rule<string>((ip) => ip === "" || isIP(ip) !== 0, "must be empty or an IP address")

/**
 * `[ipv6]` as `ipv6`: Go listens on `BindIP + ":" + port`, so a Go config can bind IPv6 only as `[::1]`.
 *
 * @since 0.1.0
 */
export const unbracket = (ip: string): string =>
  ip.startsWith("[") && ip.endsWith("]") && isIP(ip.slice(1, -1)) === 6 ? ip.slice(1, -1) : ip

/**
 * A string, with an IPv6 address in brackets taken bare.
 *
 * @since 0.1.0
 */
export const BindIpFromText = Schema.String.pipe(
  Schema.decode(SchemaTransformation.transform({ decode: unbracket, encode: (ip: string) => ip }))
)
