import { createHash } from "node:crypto"
import { it } from "@effect/vitest"
import { Duration, Effect, Result, SchemaAST } from "effect"
import { describe, expect, expectTypeOf } from "vitest"
import * as Config from "../src/Config.ts"
import * as Endpoint from "../src/Endpoint.ts"
import * as NetworkId from "../src/NetworkId.ts"

type Cfg = Config.Config

// catp2p's own fields (hardening), after Go's, and their defaults.
const CATP2P_DEFAULTS = {
  inputBudget: 268_435_456,
  frameProgressRate: 1024,
  frameProgressWindow: Duration.seconds(30),
  maxPendingHandshakes: 32,
  maxPendingHandshakesPerIp: 4,
  discourageTime: Duration.hours(1),
  shutdownFlushTimeout: Duration.seconds(2)
} as const
type CatOnly = keyof typeof CATP2P_DEFAULTS
const CATP2P_FIELDS = [
  "InputBudget",
  "FrameProgressRate",
  "FrameProgressWindow",
  "MaxPendingHandshakes",
  "MaxPendingHandshakesPerIP",
  "DiscourageTime",
  "ShutdownFlushTimeout"
]

// Go's DefaultP2PConfiguration() (configuration.go), field by field.
const GO_DEFAULTS: { readonly [K in Exclude<keyof Cfg, CatOnly>]: unknown } = {
  network: 0xfeedbeef,
  nodeId: 0,
  nodeName: "FNode0",
  peerRequestInterval: Duration.seconds(5),
  peerReseedInterval: Duration.hours(4),
  peerIpLimitIncoming: 0,
  peerIpLimitOutgoing: 0,
  special: [],
  peerCacheFile: "",
  peerCacheAge: Duration.hours(1),
  peerShareAmount: 3,
  peerShareTimeout: Duration.seconds(5),
  roundTime: Duration.minutes(15),
  targetPeers: 32,
  maxPeers: 36,
  dropTo: 30,
  minReseed: 10,
  maxIncoming: 36,
  fanout: 8,
  seedUrl: "",
  bindIp: "",
  listenPort: "8108",
  listenLimit: Duration.seconds(1),
  pingInterval: Duration.seconds(15),
  redialInterval: Duration.minutes(2),
  manualBan: Duration.hours(24 * 7),
  handshakeTimeout: Duration.seconds(5),
  dialTimeout: Duration.seconds(5),
  readDeadline: Duration.minutes(5),
  writeDeadline: Duration.minutes(5),
  protocolVersion: 10,
  protocolVersionMinimum: 9,
  channelCapacity: 1000,
  enablePrometheus: true,
  peerResendFilter: true,
  peerResendBuckets: 3,
  peerResendInterval: Duration.seconds(20)
}

// The fields of Go's Configuration struct, in declaration order.
const GO_FIELDS = [
  "Network",
  "NodeID",
  "NodeName",
  "PeerRequestInterval",
  "PeerReseedInterval",
  "PeerIPLimitIncoming",
  "PeerIPLimitOutgoing",
  "Special",
  "PeerCacheFile",
  "PeerCacheAge",
  "PeerShareAmount",
  "PeerShareTimeout",
  "RoundTime",
  "TargetPeers",
  "MaxPeers",
  "DropTo",
  "MinReseed",
  "MaxIncoming",
  "Fanout",
  "SeedURL",
  "BindIP",
  "ListenPort",
  "ListenLimit",
  "PingInterval",
  "RedialInterval",
  "ManualBan",
  "HandshakeTimeout",
  "DialTimeout",
  "ReadDeadline",
  "WriteDeadline",
  "ProtocolVersion",
  "ProtocolVersionMinimum",
  "ChannelCapacity",
  "EnablePrometheus",
  "PeerResendFilter",
  "PeerResendBuckets",
  "PeerResendInterval"
]

const plain = (v: unknown): unknown => (Duration.isDuration(v) ? `${Duration.toMillis(v)} ms` : v)
const decodeResult = (input: unknown) => Effect.runSync(Effect.result(Config.decode(input)))
const errorOf = <A>(result: Result.Result<A, Config.ConfigError>): Config.ConfigError => {
  if (Result.isSuccess(result)) throw new Error(`expected a ConfigError, got success`)
  return result.failure
}
const okOf = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(`expected success, got ${JSON.stringify(result.failure)}`)
  return result.success
}
const sha256Uint32 = (s: string) => createHash("sha256").update(s).digest().readUInt32BE(0)
// Values a caller could only produce by bypassing the types (e.g. from JavaScript).
const unsafe = (overrides: Record<string, unknown>): Cfg => ({ ...Config.defaults, ...overrides }) as Cfg

describe("defaults", () => {
  it.each(Object.keys(GO_DEFAULTS) as Array<keyof typeof GO_DEFAULTS>)("%s is Go's code default", (name) => {
    expect(plain(Config.defaults[name])).toEqual(plain(GO_DEFAULTS[name]))
  })

  it.each(Object.keys(CATP2P_DEFAULTS) as Array<CatOnly>)("%s (catp2p only) has its documented default", (name) => {
    expect(plain(Config.defaults[name])).toEqual(plain(CATP2P_DEFAULTS[name]))
  })

  it("has exactly Go's fields, in Go's order, then catp2p's, each documented", () => {
    expect(Object.keys(Config.defaults)).toEqual([...Object.keys(GO_DEFAULTS), ...Object.keys(CATP2P_DEFAULTS)])
    expect(Config.fields.map((f) => f.goName)).toEqual([...GO_FIELDS, ...CATP2P_FIELDS])
    expect(Config.fields.map((f) => f.name)).toEqual(Object.keys(Config.Config.fields))
    for (const f of Config.fields) expect(f.description.length, f.name).toBeGreaterThan(10)
  })

  it("lists each default as its encoded text", () => {
    const encoded = Config.encode(Config.defaults)
    for (const f of Config.fields) expect(f.default, f.name).toBe(String(encoded[f.name]))
    const byName = Object.fromEntries(Config.fields.map((f) => [f.name, f.default]))
    expect(byName).toMatchObject({ network: "MainNet", roundTime: "15m", manualBan: "7d", fanout: "8", special: "" })
  })

  it("are valid, and make() with no overrides gives them", () => {
    expect(Config.validate(Config.defaults)).toEqual([])
    expect(Config.encode(okOf(Config.make()))).toEqual(Config.encode(Config.defaults))
  })
})

describe("the field table", () => {
  it("gives every field its Go name, a doc, a default that decodes, a flag and an environment variable", () => {
    const unique = (values: ReadonlyArray<string>) => expect(new Set(values).size).toBe(values.length)
    for (const f of Config.fields) {
      expect(f.description.trim().length, f.name).toBeGreaterThan(10)
      expect(f.goName, f.name).toMatch(/^[A-Z][A-Za-z]+$/)
      expect(f.flag, f.name).toMatch(/^[a-z]+(-[a-z]+)*$/)
      expect(f.env, f.name).toMatch(/^CATP2P_[A-Z]+(_[A-Z]+)*$/)
      expect(f.flag.replaceAll("-", ""), f.name).toBe(f.name.toLowerCase())
      expect(f.env.slice(7).replaceAll("_", "").toLowerCase(), f.name).toBe(f.name.toLowerCase())
      expect(Result.isSuccess(Config.decodeSettings({ [f.name]: f.default })), f.name).toBe(true)
    }
    for (const key of ["name", "goName", "flag", "env"] as const) unique(Config.fields.map((f) => f[key]))
  })

  it("builds the Schema with each field's precise type", () => {
    expect(Object.keys(Config.Config.fields)).toEqual(Config.fields.map((f) => f.name))
    for (const f of Config.fields)
      expect(SchemaAST.resolveDescription(Config.Config.fields[f.name].ast)).toBe(f.description)
    expectTypeOf<Config.Config["roundTime"]>().toEqualTypeOf<Duration.Duration>()
    expectTypeOf<Config.Config["fanout"]>().toEqualTypeOf<number>()
    expectTypeOf<Config.Config["listenPort"]>().toEqualTypeOf<string>()
    expectTypeOf<Config.Config["enablePrometheus"]>().toEqualTypeOf<boolean>()
    expectTypeOf<Config.Config["protocolVersion"]>().toEqualTypeOf<9 | 10 | 11>()
    expectTypeOf<Config.Config["network"]>().toEqualTypeOf<NetworkId.NetworkId>()
    expectTypeOf<Config.Config["special"]>().toEqualTypeOf<ReadonlyArray<Config.SpecialPeer>>()
    expectTypeOf<keyof Config.Config>().toEqualTypeOf<Config.FieldInfo["name"]>()
  })

  it("checks each field's own rule in the Schema, for text and for make alike", () => {
    expect(errorOf(Config.make({ fanout: 0 }))).toMatchObject({ field: "fanout", message: "must be at least 1, got 0" })
    expect(errorOf(decodeResult({ fanout: "0" }))).toMatchObject({
      field: "fanout",
      message: "must be at least 1, got 0"
    })
    expect(errorOf(decodeResult({ roundTime: "0s" }))).toMatchObject({
      field: "roundTime",
      message: "must be greater than zero, got 0s"
    })
  })

  it("decodeSettings reports every bad setting, one per field, and only the settings given", () => {
    const bad = Config.decodeSettings({ fanout: "0", roundTime: "soon", colour: "red", seedUrl: "ftp://x/y" })
    if (Result.isSuccess(bad)) throw new Error("expected problems")
    expect(bad.failure.map((e) => e.field).sort()).toEqual(["colour", "fanout", "roundTime", "seedUrl"])
    expect(bad.failure.find((e) => e.field === "colour")?.message).toBe("is not a configuration setting")
    expect(okOf(Config.decodeSettings({ fanout: "4", bindIp: "[::1]" }))).toEqual({ fanout: 4, bindIp: "::1" })
  })
})

describe("decode", () => {
  it.effect("reads human durations, network names and strings for every kind", () =>
    Effect.gen(function* () {
      const config = yield* Config.decode({
        network: "custom:myNetwork",
        nodeId: "7",
        roundTime: "15 minutes",
        pingInterval: "5s",
        peerReseedInterval: "1h",
        readDeadline: "250 millis",
        writeDeadline: 90_000,
        manualBan: "1d 12h",
        dialTimeout: "1.5s",
        special: "1.2.3.4:8108; 5.6.7.8",
        listenPort: 8110,
        fanout: "16",
        enablePrometheus: "false",
        protocolVersion: "11"
      })
      expect(config.network).toBe(0x29cb7175)
      expect(config.nodeId).toBe(7)
      expect(Duration.toMillis(config.roundTime)).toBe(900_000)
      expect(Duration.toMillis(config.pingInterval)).toBe(5_000)
      expect(Duration.toMillis(config.peerReseedInterval)).toBe(3_600_000)
      expect(Duration.toMillis(config.readDeadline)).toBe(250)
      expect(Duration.toMillis(config.writeDeadline)).toBe(90_000)
      expect(Duration.toMillis(config.manualBan)).toBe(36 * 3_600_000)
      expect(Duration.toMillis(config.dialTimeout)).toBe(1_500)
      expect(config.special.map(String)).toEqual(["1.2.3.4:8108", "5.6.7.8"])
      expect(config.listenPort).toBe("8110")
      expect(config.fanout).toBe(16)
      expect(config.enablePrometheus).toBe(false)
      expect(config.protocolVersion).toBe(11)
      expect(config.targetPeers).toBe(32) // missing fields take the defaults
    })
  )

  it.each([
    ["MainNet", 0xfeedbeef],
    ["testnet", 0xdeadbeef],
    ["LocalNet", 0xbeaded],
    ["custom:myNetwork", 0x29cb7175],
    ["0x29cb7175", 0x29cb7175],
    ["4276993775", 0xfeedbeef],
    [0xdeadbeef, 0xdeadbeef]
  ])("network %s", (input, id) => {
    expect(okOf(decodeResult({ network: input })).network).toBe(id)
  })

  it("round-trips encode -> JSON -> decode", () => {
    const original = okOf(
      Config.make({
        network: NetworkId.fromName("elsewhere"),
        nodeId: 4_000_000_000,
        special: okOf(Config.parseSpecial("[::1]:8110;10.0.0.1; seed.example.com:8108")),
        roundTime: Duration.millis(5_400_250),
        listenLimit: Duration.nanos(1_500n),
        seedUrl: "https://seed.example.com/seeds.txt",
        protocolVersion: 11,
        peerResendFilter: false,
        peerResendBuckets: 0
      })
    )
    const json = JSON.parse(JSON.stringify(Config.encode(original)))
    expect(json).toMatchObject({ roundTime: "1h30m250ms", listenLimit: "1us500ns", nodeId: 4_000_000_000 })
    expect(json.network).toMatch(/^0x[0-9a-f]{8}$/)
    expect(json.special).toBe("[::1]:8110,10.0.0.1,seed.example.com:8108")
    const decoded = okOf(decodeResult(json))
    expect(Config.encode(decoded)).toEqual(Config.encode(original))
    for (const name of Object.keys(original) as Array<keyof Cfg>) {
      expect(plain(decoded[name]), name).toEqual(plain(original[name]))
    }
    expect(decoded.network).toBe(NetworkId.fromName("elsewhere"))
  })

  it.each([
    [{ fanout: "x" }, "fanout"],
    [{ fanout: true }, "fanout"],
    [{ fanout: -1 }, "fanout"],
    [{ fanout: 1.5 }, "fanout"],
    [{ roundTime: "soon" }, "roundTime"],
    [{ roundTime: "-5s" }, "roundTime"],
    [{ roundTime: false }, "roundTime"],
    [{ network: "DevNet" }, "network"],
    [{ network: -1 }, "network"],
    [{ network: "0x123456789" }, "network"],
    [{ enablePrometheus: "yes" }, "enablePrometheus"],
    [{ protocolVersion: "eleven" }, "protocolVersion"],
    [{ protocolVersion: 12 }, "protocolVersion"],
    [{ listenPort: true }, "listenPort"],
    [{ nodeName: 5 }, "nodeName"],
    [{ special: 5 }, "special"],
    [{ special: "1.2.3.4:8108,nonsense" }, "special"],
    [{ nodeId: 2 ** 32 }, "nodeId"],
    [{ protocolVersionMinimum: 70_000 }, "protocolVersionMinimum"],
    [{ fanOut: 3 }, "fanOut"],
    ["config", "config"],
    [null, "config"],
    [[1, 2], "config"]
  ])("type error %j names field %s", (input, field) => {
    const error = errorOf(decodeResult(input))
    expect(error).toBeInstanceOf(Config.ConfigError)
    expect(error._tag).toBe("ConfigError")
    expect(error.field).toBe(field)
    expect(error.message.length).toBeGreaterThan(0)
  })

  it("runs sanitize and check after decoding", () => {
    expect(okOf(decodeResult({ maxPeers: "32" }))).toMatchObject({ maxIncoming: 32, dropTo: 30 })
    expect(errorOf(decodeResult({ maxPeers: 20 })).field).toBe("targetPeers")
    expect(errorOf(decodeResult({ listenPort: "abc" }))).toMatchObject({
      field: "listenPort",
      message: 'must be a port number in 1..65535, or 0 for any free port, got "abc"'
    })
  })
})

// One rule per row: the overrides break exactly that rule, so exactly one error, naming that field.
const RULE_CASES: ReadonlyArray<readonly [string, keyof Cfg, Record<string, unknown>]> = [
  ["inputBudget below 64 KiB", "inputBudget", { inputBudget: 65_535 }],
  ["frameProgressWindow zero", "frameProgressWindow", { frameProgressWindow: Duration.zero }],
  ["maxPendingHandshakesPerIp zero", "maxPendingHandshakesPerIp", { maxPendingHandshakesPerIp: 0 }],
  ["maxPendingHandshakesPerIp above the total", "maxPendingHandshakesPerIp", { maxPendingHandshakesPerIp: 33 }],
  ["Go: ListenPort empty", "listenPort", { listenPort: "" }],
  ["Go: ListenPort not a number", "listenPort", { listenPort: "abc" }],
  ["ListenPort 00", "listenPort", { listenPort: "00" }],
  ["ListenPort above 65535", "listenPort", { listenPort: "65536" }],
  ["ListenPort negative", "listenPort", { listenPort: "-1" }],
  ["Go: PeerShareAmount zero", "peerShareAmount", { peerShareAmount: 0 }],
  ["Go: RoundTime zero", "roundTime", { roundTime: Duration.zero }],
  ["Go: TargetPeers zero", "targetPeers", { targetPeers: 0, minReseed: 0 }],
  ["Go: Fanout zero", "fanout", { fanout: 0 }],
  ["Go: HandshakeTimeout zero", "handshakeTimeout", { handshakeTimeout: Duration.zero }],
  ["Go: DialTimeout zero", "dialTimeout", { dialTimeout: Duration.zero }],
  ["Go: ReadDeadline zero", "readDeadline", { readDeadline: Duration.zero }],
  ["Go: WriteDeadline zero", "writeDeadline", { writeDeadline: Duration.zero }],
  ["Go: ProtocolVersion below 9", "protocolVersion", { protocolVersion: 8 }],
  ["Go: ProtocolVersion above 11", "protocolVersion", { protocolVersion: 12 }],
  ["Go: ProtocolVersionMinimum above 11", "protocolVersionMinimum", { protocolVersionMinimum: 12 }],
  ["Go: ChannelCapacity zero", "channelCapacity", { channelCapacity: 0 }],
  ["Go: PeerShareTimeout zero", "peerShareTimeout", { peerShareTimeout: Duration.zero }],
  ["Go: Special unparseable", "special", { special: [Endpoint.unsafeMake("1.2.3.4", "0")] }],
  ["special entry not an Endpoint/SpecialIp", "special", { special: [{ ip: "1.2.3.4", port: "80" }] }],
  ["protocolVersionMinimum above protocolVersion", "protocolVersionMinimum", { protocolVersionMinimum: 11 }],
  ["targetPeers above maxPeers", "targetPeers", { targetPeers: 37 }],
  ["maxIncoming above maxPeers (unsanitized)", "maxIncoming", { maxIncoming: 37 }],
  ["dropTo above maxPeers (unsanitized)", "dropTo", { dropTo: 37 }],
  ["minReseed above targetPeers", "minReseed", { minReseed: 33 }],
  ["peerResendBuckets zero with the filter on", "peerResendBuckets", { peerResendBuckets: 0 }],
  ["peerResendInterval zero with the filter on", "peerResendInterval", { peerResendInterval: Duration.zero }],
  ["seedUrl with another scheme", "seedUrl", { seedUrl: "ftp://seed.example.com/seeds.txt" }],
  ["seedUrl without a host", "seedUrl", { seedUrl: "http://" }],
  ["bindIp a host name", "bindIp", { bindIp: "localhost" }],
  ["bindIp not an IP", "bindIp", { bindIp: "1.2.3" }],
  ["nodeId above uint32", "nodeId", { nodeId: 2 ** 32 }],
  ["count negative", "fanout", { fanout: -1 }],
  ["count fractional", "peerIpLimitIncoming", { peerIpLimitIncoming: 1.5 }],
  ["duration infinite", "pingInterval", { pingInterval: Duration.infinity }],
  ["duration negative", "listenLimit", { listenLimit: Duration.millis(-1) }],
  ["duration not a Duration", "manualBan", { manualBan: 1000 }],
  ["boolean not a boolean", "enablePrometheus", { enablePrometheus: "yes" }],
  ["network not a uint32", "network", { network: 2 ** 32 }],
  ["string not a string", "nodeName", { nodeName: 5 }],
  ["special not a list", "special", { special: "1.2.3.4:8108" }]
]

describe("check", () => {
  it.each(RULE_CASES)("%s -> ConfigError for %s", (_, field, overrides) => {
    const config = unsafe(overrides)
    const errors = Config.validate(config)
    expect(errors.map((e) => e.field)).toEqual([field])
    const error = errorOf(Config.check(config))
    expect(error).toBeInstanceOf(Config.ConfigError)
    expect(error.field).toBe(field)
    expect(error.message).toMatch(/^must .*, got /)
  })

  it.each([
    [
      "the resend settings when the filter is off",
      { peerResendFilter: false, peerResendBuckets: 0, peerResendInterval: Duration.zero }
    ],
    ["protocolVersionMinimum below 9 (harmless)", { protocolVersionMinimum: 0 }],
    ["protocolVersionMinimum equal to protocolVersion", { protocolVersion: 11, protocolVersionMinimum: 11 }],
    ["minReseed equal to targetPeers", { minReseed: 32 }],
    ["targetPeers equal to maxPeers", { targetPeers: 36 }],
    [
      "zero for the optional limits and intervals",
      {
        peerIpLimitIncoming: 0,
        dropTo: 0,
        minReseed: 0,
        maxIncoming: 0,
        listenLimit: Duration.zero,
        pingInterval: Duration.zero
      }
    ],
    ["an http seed URL", { seedUrl: "http://seed.example.com:8080/seeds.txt" }],
    ["an https seed URL", { seedUrl: "https://seed.example.com/seeds.txt" }],
    ["a file URL", { seedUrl: "file:///etc/factom/seeds.txt" }],
    ["an absolute seed path", { seedUrl: "/etc/factom/seeds.txt" }],
    ["a relative seed path", { seedUrl: "seeds.txt" }],
    ["a Windows seed path", { seedUrl: "C:\\factom\\seeds.txt" }],
    ["an IPv4 bindIp", { bindIp: "127.0.0.1" }],
    ["an IPv6 bindIp", { bindIp: "::1" }],
    ["the highest port", { listenPort: "65535" }],
    ["the highest node id", { nodeId: 0xffffffff }]
  ])("accepts %s", (_, overrides) => {
    expect(Config.validate(unsafe(overrides))).toEqual([])
  })

  it("reports every broken field at once in validate, the first in check", () => {
    const config = unsafe({ maxPeers: 20, fanout: 0 })
    expect(Config.validate(config).map((e) => e.field)).toEqual(["fanout", "targetPeers", "maxIncoming", "dropTo"])
    expect(errorOf(Config.check(config)).field).toBe("fanout")
  })

  it("puts the value in the message", () => {
    expect(errorOf(Config.check(unsafe({ dropTo: 40 }))).message).toBe("must not exceed maxPeers (36), got 40")
    expect(errorOf(Config.check(unsafe({ roundTime: Duration.zero }))).message).toBe(
      "must be greater than zero, got 0s"
    )
  })
})

describe("sanitize", () => {
  it("caps maxIncoming and dropTo at maxPeers, and nothing else", () => {
    const sanitized = Config.sanitize(unsafe({ maxPeers: 20, maxIncoming: 50, dropTo: 25, targetPeers: 40 }))
    expect(sanitized).toMatchObject({ maxPeers: 20, maxIncoming: 20, dropTo: 20, targetPeers: 40 })
  })

  it("leaves values already within maxPeers", () => {
    const sanitized = Config.sanitize(Config.defaults)
    expect(sanitized).toMatchObject({ maxIncoming: 36, dropTo: 30 })
  })

  it('takes an IPv6 bindIp in brackets (the form Go can bind: it listens on bindIp + ":" + port) as the address', () => {
    expect(okOf(Config.make({ bindIp: "[::1]" })).bindIp).toBe("::1")
    expect(okOf(Config.make({ bindIp: "::1" })).bindIp).toBe("::1")
    expect(errorOf(Config.make({ bindIp: "[10.0.0.1]" })).field).toBe("bindIp")
  })

  it("runs in make() before check, unlike check() alone", () => {
    const overrides = { maxPeers: 20, targetPeers: 20, minReseed: 5 }
    expect(okOf(Config.make(overrides))).toMatchObject({ maxIncoming: 20, dropTo: 20 })
    expect(errorOf(Config.check(unsafe(overrides))).field).toBe("maxIncoming")
    expect(errorOf(Config.make({ maxPeers: 20 })).field).toBe("targetPeers")
  })
})

describe("special", () => {
  const parse = (raw: string) => okOf(Config.parseSpecial(raw))

  it.each([
    ["1.2.3.4:8108,5.6.7.8:8109", ["1.2.3.4:8108", "5.6.7.8:8109"]],
    ["1.2.3.4:8108;5.6.7.8:8109", ["1.2.3.4:8108", "5.6.7.8:8109"]],
    ["  1.2.3.4:8108 ,\t5.6.7.8:8109 ; 9.9.9.9:1  ", ["1.2.3.4:8108", "5.6.7.8:8109", "9.9.9.9:1"]],
    ["1.2.3.4:8108,", ["1.2.3.4:8108"]],
    ["", []],
    [" , ; ", []],
    ["seed.example.com:8108", ["seed.example.com:8108"]],
    ["[::1]:8108", ["[::1]:8108"]]
  ])("parses %j", (raw, expected) => {
    expect(parse(raw).map(String)).toEqual(expected)
  })

  it("reads an entry without a port as the whole IP", () => {
    const [v4, v6, bracketed, endpoint] = parse("10.0.0.1, ::1, [fe80::1], 10.0.0.2:8108")
    expect(v4).toBeInstanceOf(Config.SpecialIp)
    expect(v4).toMatchObject({ ip: "10.0.0.1" })
    expect(v6).toBeInstanceOf(Config.SpecialIp)
    expect(v6).toMatchObject({ ip: "::1" })
    expect(bracketed).toMatchObject({ ip: "fe80::1" })
    // an unbracketed IPv6 address with a "port" is a whole IPv6 address: ::1:80 is ::0.1.0.128
    expect(parse("::1:80")[0]).toBeInstanceOf(Config.SpecialIp)
    expect(endpoint).toBeInstanceOf(Endpoint.Endpoint)
    expect(endpoint).toMatchObject({ ip: "10.0.0.2", port: "8108" })
  })

  it.each([
    "seed.example.com",
    "1.2.3.4:0",
    "1.2.3.4:99999",
    "1.2.3.4:abc",
    "a b:80",
    "1.2.3.4:8108,bad",
    "[::1]:0",
    "[::1"
  ])("rejects %j with field special", (raw) => {
    const error = errorOf(Config.parseSpecial(raw))
    expect(error).toMatchObject({ _tag: "ConfigError", field: "special" })
    expect(error.message).toContain("entry ")
    expect(errorOf(decodeResult({ special: raw })).field).toBe("special")
  })

  it("encodes back to a comma-separated string", () => {
    const config = okOf(decodeResult({ special: "1.2.3.4:8108; [::1]:80 ;10.0.0.1" }))
    expect(Config.encode(config).special).toBe("1.2.3.4:8108,[::1]:80,10.0.0.1")
  })
})

describe("nodeIdOf", () => {
  it("derives the id from the node name when nodeId is 0, as Go's NewNetwork does", () => {
    expect(Config.nodeIdOf(Config.defaults)).toBe(sha256Uint32("FNode0"))
    expect(Config.nodeIdOf({ nodeId: 0, nodeName: "other" })).toBe(sha256Uint32("other"))
    expect(Config.nodeIdOf({ nodeId: 42, nodeName: "other" })).toBe(42)
  })
})
