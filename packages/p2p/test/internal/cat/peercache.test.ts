import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Option, Result, Schema } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { describe, expect } from "vitest"
import type * as Config from "../../../src/Config.ts"
import { BanList } from "../../../src/internal/guard/Bans.ts"
import * as Endpoint from "../../../src/Endpoint.ts"
import * as PC from "../../../src/internal/cat/PeerCache.ts"
import { versionFile, versionOf } from "./fixtures/versions.ts"
import { startNode } from "../../support/node.ts"
import { captureLogs, tempDir } from "../../support/environment.ts"
import { nodeConfig } from "./support.ts"

const { PeerCache } = PC
const vector = JSON.parse(
  readFileSync(new URL("../../../../../fixtures/vectors/peercache.json", import.meta.url), "utf8")
).vectors[0] as {
  readonly hex: string
  readonly fields: {
    readonly text: string
    readonly loadedBans: Record<string, string>
    readonly loadedPeers: ReadonlyArray<{ ip: string; port: string }>
  }
}
const ms = (iso: string) => Date.parse(iso)
const plain = (file: PC.PeerFile) => ({
  bans: [...file.bans].sort(([a], [b]) => (a < b ? -1 : 1)),
  peers: file.peers.map((p) => ({ ip: p.ip, port: p.port }))
})
const decodeOk = (text: string, now?: number) => Result.getOrThrow(PC.decode(text, { now }))

/** Builds `PeerCache.layer` on Node's file system for `overrides`. */
const cacheFor = (overrides: Partial<Config.Config>) =>
  Layer.build(PeerCache.layer.pipe(Layer.provide([nodeConfig(overrides), NodeFileSystem.layer]))).pipe(
    Effect.map((context) => Context.get(context, PeerCache))
  )
const sample: PC.PeerFile = {
  bans: new Map([
    ["1.2.3.4", ms("2099-01-02T03:04:05.123Z")],
    ["5.6.7.8:8108", ms("2030-06-01T00:00:00Z")]
  ]),
  peers: [Endpoint.unsafeMake("10.0.0.1", "8108"), Endpoint.unsafeMake("::1", "8110")]
}
const tempFiles = (dir: string, name: string) => readdirSync(dir).filter((f) => f !== name)

describe("the peer file format (Go's PeerCache JSON)", () => {
  it("decodes Go's bytes (vector) to its peers and bans", () => {
    const text = Buffer.from(vector.hex, "hex").toString("utf8")
    expect(text).toBe(vector.fields.text)
    const file = decodeOk(text)
    expect(file.peers.map((p) => ({ ip: p.ip, port: p.port }))).toEqual(vector.fields.loadedPeers)
    // Go's time has nanoseconds (.123456789); catp2p keeps milliseconds (.123)
    expect([...file.bans]).toEqual([["1.2.3.4", ms("2099-01-02T03:04:05.123Z")]])
    expect(Object.keys(vector.fields.loadedBans)).toEqual(["1.2.3.4"])
    expect(file.skipped).toEqual({ invalidPeers: 0, invalidBans: 0, expiredBans: 0, overCap: 0 })
  })

  it("encodes the vector back: same bytes but the time's sub-millisecond digits", () => {
    const text = vector.fields.text
    const encoded = PC.encode(decodeOk(text))
    // we write milliseconds: compare with the vector's time cut to .123, and after re-decoding
    expect(encoded).toBe(text.replace(".123456789Z", ".123Z"))
    expect(plain(decodeOk(encoded))).toEqual(plain(decodeOk(text)))
    // a time with whole milliseconds round-trips to the exact bytes
    const whole = text.replace(".123456789Z", ".123Z")
    expect(Buffer.from(PC.encode(decodeOk(whole)))).toEqual(Buffer.from(whole))
  })

  it("writes times as Go's RFC3339Nano in UTC and reads any RFC 3339 time", () => {
    expect(PC.formatTime(ms("2099-01-02T03:04:05.123Z"))).toBe("2099-01-02T03:04:05.123Z")
    expect(PC.formatTime(ms("2099-01-02T03:04:05.120Z"))).toBe("2099-01-02T03:04:05.12Z")
    expect(PC.formatTime(ms("2099-01-02T03:04:05Z"))).toBe("2099-01-02T03:04:05Z")
    expect(PC.formatTime(ms("2099-01-02T03:04:50Z"))).toBe("2099-01-02T03:04:50Z")
    expect(PC.formatTime(Number.POSITIVE_INFINITY)).toBe("9999-12-31T23:59:59.999Z")
    expect(PC.formatTime(-1e20)).toBe("0000-01-01T00:00:00Z")
    expect(PC.parseTime("2099-01-02T05:04:05.5+02:00")).toBe(ms("2099-01-02T03:04:05.500Z"))
    expect(PC.parseTime("2099-01-01T21:34:05-05:30")).toBe(ms("2099-01-02T03:04:05Z"))
    expect(PC.parseTime("2099-01-02t03:04:05.999999999z")).toBe(ms("2099-01-02T03:04:05.999Z"))
    // 2000 years = 5 Gregorian cycles of 146,097 days
    expect(PC.parseTime("0050-03-01T00:00:00Z")).toBe(Date.UTC(2050, 2, 1) - 5 * 146_097 * 86_400_000)
    expect(PC.parseTime("2024-02-29T00:00:00Z")).toBe(ms("2024-02-29T00:00:00Z"))
    for (const bad of [
      "2023-02-29T00:00:00Z",
      "2099-13-01T00:00:00Z",
      "2099-01-01T24:00:00Z",
      "2099-01-01T00:00:60Z",
      "2099-01-01T00:00:00",
      "2099-01-01 00:00:00Z",
      "2099-01-01T00:00:00.Z",
      "2099-01-01T00:00:00+2:00",
      ""
    ]) {
      expect(PC.parseTime(bad), bad).toBeUndefined()
    }
  })

  const peerArb = fc
    .oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.domain().filter((d) => Endpoint.isValidHost(d))
    )
    .chain((ip) => fc.integer({ min: 1, max: 65535 }).map((port) => Endpoint.unsafeMake(ip, String(port))))
  const banKeyArb = fc.oneof(fc.ipV4(), fc.ipV6(), peerArb.map(Endpoint.formatGo))
  const timeArb = fc.integer({ min: -62167219200000, max: 253402300799999 })
  const fileArb = fc.record({
    bans: fc.array(fc.tuple(banKeyArb, timeArb), { maxLength: 20 }).map((entries) => new Map(entries)),
    peers: fc.array(peerArb, { maxLength: 30 })
  })

  it("round-trips any peers and bans (property)", () => {
    fc.assert(
      fc.property(fileArb, (file) => {
        const text = PC.encode(file)
        const back = decodeOk(text)
        expect(plain(back)).toEqual(plain(file))
        expect(PC.encode(back)).toBe(text)
        // Go's shape, compact, bans in key order
        const json = JSON.parse(text)
        expect(Schema.is(PC.PeerFileJson)(json)).toBe(true)
        expect(JSON.stringify(json)).toBe(text)
        const keys = Object.keys(json.bans)
        expect(keys).toEqual([...keys].sort())
      })
    )
  })

  it("drops expired bans on write and on load (a ban ending now is expired)", () => {
    const now = ms("2030-06-01T00:00:00Z")
    expect([...decodeOk(PC.encode(sample, { now })).bans.keys()]).toEqual(["1.2.3.4"])
    const loaded = decodeOk(PC.encode(sample), now)
    expect([...loaded.bans.keys()]).toEqual(["1.2.3.4"])
    expect(loaded.skipped.expiredBans).toBe(1)
    expect(decodeOk(PC.encode(sample), now - 1).bans.size).toBe(2)
  })

  it("reads and writes IPv6 bans as Go does: `ip` and `ip:port` without brackets", () => {
    // Built from Go's code (no Go vector has IPv6): `Endpoint.String` is `fmt.Sprintf("%s:%s", ep.IP, ep.Port)`
    // (endpoint.go), `ban` keys `c.bans[peer.Endpoint.IP]` and `c.bans[peer.Endpoint.String()]`, `banEndpoint`
    // keys `c.bans[ep.String()]` (controller.go), and `json.Marshal` sorts the map's keys.
    const until = ms("2099-01-02T03:04:05.123Z")
    const goText =
      '{"bans":{"2001:db8:0:0:0:0:0:1:8108":"2099-01-02T03:04:05.123Z","2001:db8::5":"2099-01-02T03:04:05.123Z",' +
      '"::1":"2099-01-02T03:04:05.123Z","::1:8108":"2099-01-02T03:04:05.123Z"},"peers":[{"ip":"::1","port":"8108"}]}'
    const file = decodeOk(goText)
    expect(file.skipped).toEqual({ invalidPeers: 0, invalidBans: 0, expiredBans: 0, overCap: 0 })
    expect([...file.bans.keys()].sort()).toEqual(["2001:db8:0:0:0:0:0:1:8108", "2001:db8::5", "::1", "::1:8108"])
    expect(PC.encode(file)).toBe(goText)
    // what the keys ban: as in Go, a key is matched as a string against an IP and against `ip:port`
    const list = new BanList()
    for (const [key, end] of file.bans) list.ban(key, end)
    const now = until - 1
    expect(list.isBannedEndpoint(Endpoint.unsafeMake("2001:db8:0:0:0:0:0:1", "8108"), now)).toBe(true)
    expect(list.isBannedEndpoint(Endpoint.unsafeMake("2001:db8:0:0:0:0:0:1", "8109"), now)).toBe(false)
    expect(list.isBannedEndpoint(Endpoint.unsafeMake("2001:db8::5", "1"), now)).toBe(true)
    expect(list.isBannedEndpoint(Endpoint.unsafeMake("2001:db8::6", "8108"), now)).toBe(false)
    // a node bans an IPv6 peer under Go's keys, and writes them as Go does
    const ours = new BanList()
    const peer = Endpoint.unsafeMake("2001:db8::7", "8110")
    ours.ban(peer.ip, until)
    ours.banEndpoint(peer, until)
    expect(PC.encode({ bans: ours.entries, peers: [] })).toBe(
      '{"bans":{"2001:db8::7":"2099-01-02T03:04:05.123Z","2001:db8::7:8110":"2099-01-02T03:04:05.123Z"},"peers":[]}'
    )
  })

  it("reads an `[ipv6]:port` ban key (catp2p before Go's form) as Go's `ipv6:port`", () => {
    const file = decodeOk(
      '{"bans":{"[::1]:8108":"2099-01-01T00:00:00Z","::1:8108":"2098-01-01T00:00:00Z","[::1]":"2099-01-01T00:00:00Z"}}'
    )
    expect([...file.bans]).toEqual([["::1:8108", ms("2099-01-01T00:00:00Z")]])
    expect(file.skipped.invalidBans).toBe(1)
  })

  it("skips invalid peers and bans, counting them; fails only on a broken structure", () => {
    const text = JSON.stringify({
      bans: { "1.2.3.4": "2099-01-01T00:00:00Z", "not a host!": "2099-01-01T00:00:00Z", "5.6.7.8": "soon", x: 5 },
      peers: [
        { ip: "10.0.0.1", port: "8108" },
        { ip: "10.0.0.2", port: "0" },
        { ip: "", port: "1" },
        { ip: "10.0.0.3", port: 8108 },
        null,
        { IP: "10.0.0.4", Port: "9" }
      ],
      extra: true
    })
    const file = decodeOk(text)
    expect(plain(file).peers).toEqual([
      { ip: "10.0.0.1", port: "8108" },
      { ip: "10.0.0.4", port: "9" }
    ])
    expect([...file.bans.keys()]).toEqual(["1.2.3.4"])
    expect(file.skipped).toEqual({ invalidPeers: 4, invalidBans: 3, expiredBans: 0, overCap: 0 })
    for (const empty of ["{}", '{"bans":null,"peers":null}', '{"Bans":{},"PEERS":[]}']) {
      expect(plain(decodeOk(empty))).toEqual({ bans: [], peers: [] })
    }
    for (const corrupt of [
      "",
      "{",
      '{"bans":{},"peers":[{"ip":"1.2.3.4"',
      "[]",
      "null",
      '"x"',
      '{"bans":[]}',
      '{"peers":{}}'
    ]) {
      const result = PC.decode(corrupt, { path: "/x/peers.json" })
      expect(Result.isFailure(result), corrupt).toBe(true)
      if (Result.isFailure(result)) expect(result.failure).toMatchObject({ reason: "Corrupt", path: "/x/peers.json" })
    }
  })

  it("reads and writes at most 10,000 peers and 10,000 bans", () => {
    const peers = Array.from({ length: 10_003 }, (_, i) => Endpoint.unsafeMake(`10.0.${i >> 8}.${i & 255}`, "1"))
    const bans = new Map(peers.map((p, i) => [p.ip, ms("2099-01-01T00:00:00Z") + i] as const))
    expect(decodeOk(PC.encode({ bans, peers })).peers).toHaveLength(PC.MAX_PEERS)
    expect(decodeOk(PC.encode({ bans, peers })).bans.size).toBe(PC.MAX_BANS)
    const text = JSON.stringify({
      bans: Object.fromEntries([...bans].map(([k, v]) => [k, PC.formatTime(v)])),
      peers: peers.map((p) => ({ ip: p.ip, port: p.port }))
    })
    const file = decodeOk(text)
    expect(file.peers).toHaveLength(PC.MAX_PEERS)
    expect(file.bans.size).toBe(PC.MAX_BANS)
    expect(file.skipped.overCap).toBe(6)
  })
})

describe("PeerCache on disk", () => {
  it.effect("saves and loads; age is the file's modification time against the Clock", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const path = join(dir, "peers.json")
      const cache = yield* cacheFor({ peerCacheFile: path })
      yield* TestClock.setTime(ms("2029-01-01T00:00:00Z"))
      yield* cache.save(sample)
      expect(readFileSync(path, "utf8")).toBe(PC.encode(sample))
      expect(statSync(path).mode & 0o777).toBe(0o644)
      const savedAt = new Date("2029-12-31T23:00:00Z")
      utimesSync(path, savedAt, savedAt)
      yield* TestClock.setTime(savedAt.getTime() + 90 * 60_000)
      const loaded = Option.getOrThrow(yield* cache.load)
      expect(plain(loaded.file)).toEqual(plain(sample))
      expect(Duration.toMillis(loaded.age)).toBe(90 * 60_000)
      // a file from the future has age 0; bans expired by then are dropped
      yield* TestClock.setTime(ms("2031-01-01T00:00:00Z"))
      utimesSync(path, new Date("2040-01-01T00:00:00Z"), new Date("2040-01-01T00:00:00Z"))
      const later = Option.getOrThrow(yield* cache.load)
      expect(Duration.toMillis(later.age)).toBe(0)
      expect([...later.file.bans.keys()]).toEqual(["1.2.3.4"])
      expect(tempFiles(dir, "peers.json")).toEqual([])
    })
  )

  it.effect("a missing file is None without a warning; an empty peerCacheFile means no persistence", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const dir = yield* tempDir
      const cache = yield* cacheFor({ peerCacheFile: join(dir, "peers.json") })
      expect(Option.isNone(yield* cache.load)).toBe(true)
      const none = yield* cacheFor({ peerCacheFile: "" })
      yield* none.save(sample)
      expect(Option.isNone(yield* none.load)).toBe(true)
      expect(readdirSync(dir)).toEqual([])
      expect(logs.warnings()).toEqual([])
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("a corrupt, oversize or unreadable file is None with a logged PeerCacheError", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const dir = yield* tempDir
      const path = join(dir, "peers.json")
      const cache = yield* cacheFor({ peerCacheFile: path })
      writeFileSync(path, '{"bans":{},"peers":[{"ip":"10.0.0.1","po')
      expect(Option.isNone(yield* cache.load)).toBe(true)
      writeFileSync(path, Buffer.alloc(PC.MAX_FILE_BYTES + 1, 0x20))
      expect(Option.isNone(yield* cache.load)).toBe(true)
      const asDir = join(dir, "dir.json")
      mkdirSync(asDir)
      expect(Option.isNone(yield* (yield* cacheFor({ peerCacheFile: asDir })).load)).toBe(true)
      expect(logs.warnings().map((w) => w.annotations)).toMatchObject([
        { path, reason: "Corrupt" },
        { path, reason: "Corrupt" },
        { path: asDir, reason: "Unreadable" }
      ])
      expect(logs.warnings()[0]!.message).toContain("not JSON")
    }).pipe(Effect.provide(logs.layer))
  })

  it.live("a node starts with a corrupt peer file", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const path = join(dir, "peers.json")
      writeFileSync(path, "garbage")
      const node = yield* startNode({ peerCacheFile: path })
      expect(yield* node.network.total).toBe(0)
    })
  )

  it.effect("a save into a missing directory or over a directory fails Unwritable and leaves no temp file", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const missing = yield* cacheFor({ peerCacheFile: join(dir, "no", "such", "peers.json") })
      expect(yield* Effect.flip(missing.save(sample))).toMatchObject({ _tag: "PeerCacheError", reason: "Unwritable" })
      // the temp file is written, then the rename over a non-empty directory fails
      const target = join(dir, "peers.json")
      mkdirSync(target)
      writeFileSync(join(target, "keep"), "x")
      const overDir = yield* cacheFor({ peerCacheFile: target })
      const error = yield* Effect.flip(overDir.save(sample))
      expect(error).toMatchObject({ reason: "Unwritable", path: target })
      expect(readdirSync(dir)).toEqual(["peers.json"])
      expect(readdirSync(target)).toEqual(["keep"])
    })
  )

  it.effect("many saves leave only the target; a symlinked target is written through", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const real = join(dir, "real")
      mkdirSync(real)
      const link = join(dir, "peers.json")
      symlinkSync(join(real, "peers.json"), link)
      const cache = yield* cacheFor({ peerCacheFile: link })
      yield* Effect.all(
        Array.from({ length: 20 }, (_, v) => cache.save(versionFile(v))),
        { concurrency: 4 }
      )
      expect(readdirSync(real)).toEqual(["peers.json"])
      expect(readdirSync(dir).sort()).toEqual(["peers.json", "real"])
      expect(versionOf(decodeOk(readFileSync(link, "utf8")))).toBeLessThan(20)
      yield* cache.save(versionFile(20))
      expect(readFileSync(link, "utf8")).toBe(PC.encode(versionFile(20)))
      expect(readdirSync(real)).toEqual(["peers.json"])
    })
  )
})

describe("PeerCache in memory", () => {
  it.effect("keeps the file across layer builds sharing a store; age from the Clock at save time", () =>
    Effect.gen(function* () {
      const store = PeerCache.makeMemoryStore()
      const build = Layer.build(PeerCache.layerMemoryStore(store)).pipe(
        Effect.map((context) => Context.get(context, PeerCache))
      )
      const first = yield* build
      expect(Option.isNone(yield* first.load)).toBe(true)
      yield* TestClock.setTime(ms("2030-05-31T23:00:00Z"))
      yield* first.save(sample)
      yield* TestClock.adjust(Duration.minutes(70))
      const second = yield* build
      const loaded = Option.getOrThrow(yield* second.load)
      expect(Duration.toMillis(loaded.age)).toBe(70 * 60_000)
      // 5.6.7.8:8108 was banned until 2030-06-01T00:00Z, which has passed
      expect([...loaded.file.bans.keys()]).toEqual(["1.2.3.4"])
      expect(plain(loaded.file).peers).toEqual(plain(sample).peers)
      const fresh = yield* Layer.build(PeerCache.layerMemory).pipe(Effect.map((c) => Context.get(c, PeerCache)))
      expect(Option.isNone(yield* fresh.load)).toBe(true)
    })
  )
})
