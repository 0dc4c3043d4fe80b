/**
 * An address a node can be dialed at: an IP (or host name) and a port, both
 * kept as strings exactly as Go's `Endpoint` does (they travel as strings in
 * peer shares and in the peer file).
 *
 * @since 0.1.0
 * @module
 */
import { isIP } from "node:net"
import { Result, Schema } from "effect"

const HOSTNAME = /^([0-9A-Za-z][0-9A-Za-z-]{0,62}\.)*[0-9A-Za-z][0-9A-Za-z-]{0,62}$/
const PORT = /^[0-9]{1,5}$/

/**
 * Whether `port` is a decimal port number in 1..65535.
 *
 * @category guards
 * @since 0.1.0
 */
export const isValidPort = (port: string): boolean => {
  if (!PORT.test(port)) return false
  const n = Number(port)
  return n >= 1 && n <= 65535
}

/**
 * Whether `host` is an IPv4/IPv6 address or a syntactically valid host name
 * of at most 253 characters (Go: `Endpoint.Valid`).
 *
 * @category guards
 * @since 0.1.0
 */
export const isValidHost = (host: string): boolean =>
  host.length > 0 && host.length <= 253 && (isIP(host) !== 0 || HOSTNAME.test(host))

/**
 * An endpoint. JSON field names are Go's (`ip`, `port`), so the same schema
 * reads and writes peer shares (protocol 10) and the peer file.
 *
 * Stricter than Go in one respect: Go accepts any non-zero integer port
 * (even negative or above 65535); catp2p requires 1..65535.
 *
 * @category models
 * @since 0.1.0
 */
export class Endpoint extends Schema.Class<Endpoint>("@catp2p/p2p/Endpoint")({
  ip: Schema.String.check(Schema.makeFilter(isValidHost, { message: "expected an IP address or host name" })),
  port: Schema.String.check(Schema.makeFilter(isValidPort, { message: "expected a port number in 1..65535" }))
}) {
  /**
   * `ip:port`, with IPv6 addresses in brackets.
   */
  override toString(): string {
    return format(this)
  }
}

/**
 * Whether both fields are valid (Go: `Endpoint.Valid`).
 *
 * @category guards
 * @since 0.1.0
 */
export const isValid = (ep: { readonly ip: string; readonly port: string }): boolean =>
  isValidHost(ep.ip) && isValidPort(ep.port)

/**
 * Formats `ip:port` (`[ip]:port` for IPv6).
 *
 * @category encoding
 * @since 0.1.0
 */
export const format = (ep: { readonly ip: string; readonly port: string }): string =>
  isIP(ep.ip) === 6 ? `[${ep.ip}]:${ep.port}` : `${ep.ip}:${ep.port}`

/**
 * Formats `ip:port` as Go's `Endpoint.String` does (`endpoint.go`:
 * `fmt.Sprintf("%s:%s", ep.IP, ep.Port)`): IPv6 addresses without brackets
 * (`::1:8108`). Go keys bans by this string (`controller.go`: `ban`,
 * `banEndpoint`), so it is the key of endpoint bans in the peer file. It is
 * not for dialing or for parsing back (`::1:8108` is also the IPv6 address
 * `::1:8108`); use {@link format} there.
 *
 * @example
 * ```ts
 * import { Endpoint } from "@catp2p/p2p"
 * Endpoint.formatGo({ ip: "::1", port: "8108" }) // "::1:8108"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const formatGo = (ep: { readonly ip: string; readonly port: string }): string => `${ep.ip}:${ep.port}`

/**
 * Why a string is not an endpoint.
 *
 * @category errors
 * @since 0.1.0
 */
export class EndpointParseError extends Schema.TaggedError<EndpointParseError>()("EndpointParseError", {
  input: Schema.String,
  message: Schema.String
}) {}

/**
 * Parses `ip:port`, `host:port` or `[ipv6]:port` (Go: `ParseEndpoint`, whose
 * `net.SplitHostPort` requires the brackets around an IPv6 address and, like
 * here, also takes `[ipv4]:port` or `[host]:port`).
 *
 * @example
 * ```ts
 * import { Endpoint } from "@catp2p/p2p"
 * import { Result } from "effect"
 * Result.getOrThrow(Endpoint.parse("127.0.0.1:8108")).port // "8108"
 * ```
 * @category decoding
 * @since 0.1.0
 */
export const parse = (input: string): Result.Result<Endpoint, EndpointParseError> => {
  const fail = (message: string) => Result.fail(new EndpointParseError({ input, message }))
  let host: string
  let port: string
  if (input.startsWith("[")) {
    const close = input.indexOf("]")
    if (close < 0 || input[close + 1] !== ":") return fail("missing port in address")
    host = input.slice(1, close)
    port = input.slice(close + 2)
  } else {
    const colon = input.lastIndexOf(":")
    if (colon < 0) return fail("missing port in address")
    host = input.slice(0, colon)
    port = input.slice(colon + 1)
    if (host.includes(":")) return fail("too many colons in address (use [ipv6]:port)")
  }
  if (!isValidPort(port)) return fail(`port ${JSON.stringify(port)} is not a number in 1..65535`)
  if (!isValidHost(host)) return fail(`${JSON.stringify(host)} is not an IP address or host name`)
  return Result.succeed(new Endpoint({ ip: host, port }, { disableChecks: true }))
}

/**
 * Makes an endpoint from parts already known to be valid (no checks).
 *
 * @category constructors
 * @since 0.1.0
 */
export const unsafeMake = (ip: string, port: string): Endpoint => new Endpoint({ ip, port }, { disableChecks: true })

/**
 * The IPv4 address as a big-endian uint32, or for IPv6 the last four bytes;
 * 0 when `host` is not an IP address (Go: `IP2LocationQuick`, no DNS).
 * Protocol 9 peer shares carry it as `Location`.
 *
 * @category utils
 * @since 0.1.0
 */
export const ipToLocation = (host: string): number => {
  const kind = isIP(host)
  if (kind === 4) return ipv4ToUint32(host)
  if (kind !== 6) return 0
  const zone = host.indexOf("%")
  const addr = zone >= 0 ? host.slice(0, zone) : host
  const tailStart = addr.lastIndexOf(":")
  const tail = addr.slice(tailStart + 1)
  if (tail.includes(".")) return ipv4ToUint32(tail)
  const groups = expandIpv6(addr)
  return ((groups[6]! << 16) | groups[7]!) >>> 0
}

const ipv4ToUint32 = (ip: string): number => {
  const p = ip.split(".")
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0
}

const expandIpv6 = (addr: string): Array<number> => {
  const [head = "", tail] = addr.split("::")
  const left = head === "" ? [] : head.split(":")
  const right = tail === undefined || tail === "" ? [] : tail.split(":")
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill("0")
  return [...left, ...zeros, ...right].map((g) => Number.parseInt(g, 16))
}
