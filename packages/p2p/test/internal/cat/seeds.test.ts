import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { it } from "@effect/vitest"
import { Context, Duration, Effect, Exit, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import type * as Config from "../../../src/Config.ts"
import * as Endpoint from "../../../src/Endpoint.ts"
import * as Seeds from "../../../src/internal/cat/Seeds.ts"
import { captureLogs, closedPort, realSleep, serve, tempDir } from "../../support/environment.ts"
import { nodeConfig } from "./support.ts"

const { Seeds: SeedsService, parseSeedList } = Seeds
const shown = (eps: ReadonlyArray<Endpoint.Endpoint>) => eps.map(Endpoint.format)

/** Builds `Seeds.layer` for `overrides` (Node HTTP client and file system) and returns the service. */
const seedsFor = (overrides: Partial<Config.Config>) =>
  Layer.build(
    SeedsService.layer.pipe(Layer.provide([nodeConfig(overrides), NodeHttpClient.layerUndici, NodeFileSystem.layer]))
  ).pipe(Effect.map((context) => Context.get(context, SeedsService)))

const HOUR = Duration.hours(1)

describe("parseSeedList", () => {
  it("reads ip:port lines, trims, skips blank lines silently", () => {
    const list = parseSeedList("  1.2.3.4:8108 \r\n\n\t\n5.6.7.8:8110\n")
    expect(shown(list.endpoints)).toEqual(["1.2.3.4:8108", "5.6.7.8:8110"])
    expect(list.skipped).toEqual([])
    expect(list.skippedCount).toBe(0)
  })

  it("skips junk with line numbers and reasons", () => {
    const list = parseSeedList(
      "1.2.3.4:8108\nnot an endpoint\n1.2.3.4\n1.2.3.4:0\n1.2.3.4:65536\nbad_host:80\n::1:80\n"
    )
    expect(shown(list.endpoints)).toEqual(["1.2.3.4:8108"])
    expect(list.skipped.map((s) => s.line)).toEqual([2, 3, 4, 5, 6, 7])
    expect(list.skipped.map((s) => s.text)).toEqual([
      "not an endpoint",
      "1.2.3.4",
      "1.2.3.4:0",
      "1.2.3.4:65536",
      "bad_host:80",
      "::1:80"
    ])
    expect(list.skipped[1]!.reason).toContain("missing port")
    expect(list.skipped[2]!.reason).toContain("port")
    expect(list.skipped[5]!.reason).toContain("too many colons")
    for (const s of list.skipped) expect(s.reason.length).toBeGreaterThan(0)
  })

  it("reads IPv6 in brackets and host names", () => {
    const list = parseSeedList("[::1]:80\n[2001:db8::7]:8108\nseed.example.org:8108\n")
    expect(list.endpoints.map((e) => [e.ip, e.port])).toEqual([
      ["::1", "80"],
      ["2001:db8::7", "8108"],
      ["seed.example.org", "8108"]
    ])
  })

  it("removes duplicates, keeping the first", () => {
    const list = parseSeedList("1.1.1.1:1\n2.2.2.2:2\n 1.1.1.1:1\n[::1]:80\n[::1]:80\n")
    expect(shown(list.endpoints)).toEqual(["1.1.1.1:1", "2.2.2.2:2", "[::1]:80"])
    expect(list.skipped).toEqual([
      { line: 3, text: "1.1.1.1:1", reason: "duplicate of line 1" },
      { line: 5, text: "[::1]:80", reason: "duplicate of line 4" }
    ])
  })

  it("caps the line length and shortens what it reports", () => {
    const long = `${"a".repeat(2000)}:80`
    const list = parseSeedList(`${long}\n1.2.3.4:1\n`)
    expect(shown(list.endpoints)).toEqual(["1.2.3.4:1"])
    expect(list.skipped[0]!.reason).toContain("longer than 1024")
    expect(list.skipped[0]!.text.length).toBeLessThanOrEqual(121)
    expect(parseSeedList("1.2.3.4:1\n", { maxLineLength: 5 }).endpoints).toEqual([])
  })

  it("caps the number of endpoints at 10,000 and stops reading", () => {
    const lines = Array.from({ length: 10_005 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8108`)
    const list = parseSeedList(lines.join("\n"))
    expect(list.endpoints.length).toBe(Seeds.MAX_SEED_ENDPOINTS)
    expect(list.skippedCount).toBe(5)
    expect(list.skipped).toHaveLength(1)
    expect(list.skipped[0]!.line).toBe(10_001)
    expect(list.skipped[0]!.reason).toContain("over the cap of 10000 endpoints (4 more lines not read)")
    expect(parseSeedList("1.1.1.1:1\n2.2.2.2:2\n3.3.3.3:3", { maxEndpoints: 2 }).skippedCount).toBe(1)
  })

  it("lists at most 100 skipped lines but counts them all", () => {
    const list = parseSeedList(Array.from({ length: 500 }, (_, i) => `junk${i}`).join("\n"))
    expect(list.skipped).toHaveLength(100)
    expect(list.skippedCount).toBe(500)
  })

  it("classifies seed sources", () => {
    expect(Seeds.sourceOf("")._tag).toBe("None")
    expect(Seeds.sourceOf("  ")._tag).toBe("None")
    expect(Seeds.sourceOf("https://example.org/seeds")).toEqual({ _tag: "Http", url: "https://example.org/seeds" })
    expect(Seeds.sourceOf("HTTP://example.org/x")._tag).toBe("Http")
    expect(Seeds.sourceOf("file:///etc/seeds")).toEqual({ _tag: "File", path: "file:///etc/seeds" })
    expect(Seeds.sourceOf("seeds.txt")).toEqual({ _tag: "File", path: "seeds.txt" })
  })
})

describe("Seeds over HTTP (a server on 127.0.0.1)", () => {
  it.effect("fetches, caches for peerReseedInterval, then fetches again", () =>
    Effect.gen(function* () {
      const server = yield* serve({ status: 200, body: "1.2.3.4:8108\n5.6.7.8:8108\n" })
      const seeds = yield* seedsFor({ seedUrl: server.url, peerReseedInterval: HOUR })
      expect(shown(yield* seeds.get)).toEqual(["1.2.3.4:8108", "5.6.7.8:8108"])
      expect(server.requests).toBe(1)
      server.reply = { status: 200, body: "9.9.9.9:1\n" }
      yield* TestClock.adjust(Duration.minutes(59))
      expect(shown(yield* seeds.get)).toEqual(["1.2.3.4:8108", "5.6.7.8:8108"])
      expect(server.requests).toBe(1)
      yield* TestClock.adjust(Duration.minutes(1))
      expect(shown(yield* seeds.get)).toEqual(["9.9.9.9:1"])
      expect(server.requests).toBe(2)
      // concurrent callers share one read
      yield* TestClock.adjust(HOUR)
      const all = yield* Effect.all(
        Array.from({ length: 5 }, () => seeds.get),
        { concurrency: "unbounded" }
      )
      expect(all.map(shown)).toEqual(Array.from({ length: 5 }, () => ["9.9.9.9:1"]))
      expect(server.requests).toBe(3)
    })
  )

  it.effect("a 500 is a logged HttpStatus SeedError; the last good list is kept; retried after 30 s", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const server = yield* serve({ status: 200, body: "1.2.3.4:8108\n" })
      const seeds = yield* seedsFor({ seedUrl: server.url, peerReseedInterval: HOUR })
      expect(shown(yield* seeds.get)).toEqual(["1.2.3.4:8108"])
      server.reply = { status: 500, body: "boom" }
      yield* TestClock.adjust(HOUR)
      expect(shown(yield* seeds.get)).toEqual(["1.2.3.4:8108"])
      expect(server.requests).toBe(2)
      const [warning] = logs.warnings()
      expect(warning?.message).toContain("HTTP status 500")
      expect(warning?.annotations).toMatchObject({ source: server.url, reason: "HttpStatus" })
      // no hammering: the next calls use the kept list until the retry delay
      yield* TestClock.adjust(Duration.seconds(29))
      expect(shown(yield* seeds.get)).toEqual(["1.2.3.4:8108"])
      expect(server.requests).toBe(2)
      server.reply = { status: 200, body: "5.6.7.8:8108\n" }
      yield* TestClock.adjust(Duration.seconds(1))
      expect(shown(yield* seeds.get)).toEqual(["5.6.7.8:8108"])
      expect(server.requests).toBe(3)
      // a forced read reports the error and keeps the list
      server.reply = { status: 404, body: "" }
      const failed = yield* Effect.flip(seeds.fetch)
      expect(failed).toMatchObject({ _tag: "SeedError", reason: "HttpStatus", source: server.url })
      expect(shown(yield* seeds.get)).toEqual(["5.6.7.8:8108"])
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("an unreachable URL is SeedError Unreachable; get still succeeds", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const port = yield* closedPort
      const url = `http://127.0.0.1:${port}/seeds.txt`
      const seeds = yield* seedsFor({ seedUrl: url, peerReseedInterval: HOUR })
      expect(yield* seeds.get).toEqual([])
      expect(logs.warnings()).toHaveLength(1)
      expect(logs.warnings()[0]!.annotations).toMatchObject({ source: url, reason: "Unreachable" })
      // the line names the cause behind the HTTP client's "Transport error"
      expect(logs.warnings()[0]!.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`)
      expect(yield* Effect.flip(seeds.fetch)).toMatchObject({ _tag: "SeedError", reason: "Unreachable", source: url })
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("a server that does not answer within 10 s is Unreachable", () =>
    Effect.gen(function* () {
      const server = yield* serve({ status: 200, body: "", hang: true })
      const seeds = yield* seedsFor({ seedUrl: server.url, peerReseedInterval: HOUR })
      const fiber = yield* Effect.forkChild(Effect.flip(seeds.fetch))
      while (server.requests === 0) yield* realSleep(5)
      yield* TestClock.adjust(Duration.seconds(9))
      yield* realSleep(20)
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust(Duration.seconds(1))
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "SeedError", reason: "Unreachable", source: server.url })
      expect(error.message).toContain("no complete answer within")
    })
  )

  it.effect("a body above 4 MiB is TooLarge, with or without Content-Length", () =>
    Effect.gen(function* () {
      const big = new Uint8Array(Seeds.MAX_SEED_BYTES + 1).fill(0x0a)
      const server = yield* serve({ status: 200, body: big })
      const seeds = yield* seedsFor({ seedUrl: server.url, peerReseedInterval: HOUR })
      expect(yield* Effect.flip(seeds.fetch)).toMatchObject({ reason: "TooLarge" })
      server.reply = { status: 200, body: big, chunked: true }
      expect(yield* Effect.flip(seeds.fetch)).toMatchObject({ reason: "TooLarge" })
      expect(server.requests).toBe(2)
      server.reply = { status: 200, body: new Uint8Array(Seeds.MAX_SEED_BYTES).fill(0x0a), chunked: true }
      expect(yield* seeds.fetch).toEqual([])
      expect(yield* seeds.get).toEqual([])
    })
  )

  it.effect("logs one summary line for the skipped lines of a read", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const body = ["1.2.3.4:1", "junk a", "junk b", "1.2.3.4:1", "junk c", "junk d", "5.6.7.8:2"].join("\n")
      const server = yield* serve({ status: 200, body })
      const seeds = yield* seedsFor({ seedUrl: server.url, peerReseedInterval: HOUR })
      expect(shown(yield* seeds.get)).toEqual(["1.2.3.4:1", "5.6.7.8:2"])
      const warnings = logs.warnings()
      expect(warnings).toHaveLength(1)
      expect(warnings[0]!.message).toContain("skipped 5 lines")
      expect(warnings[0]!.message).toContain('line 2 "junk a"')
      expect(warnings[0]!.annotations).toMatchObject({ source: server.url })
    }).pipe(Effect.provide(logs.layer))
  })
})

describe("Seeds from a file, none, or a fixed list", () => {
  it.effect("reads a path and a file:// URL; a missing file is Unreadable, a huge one TooLarge", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const path = join(dir, "seeds.txt")
      writeFileSync(path, "\uFEFF1.2.3.4:8108\r\n[::1]:80\r\n")
      for (const seedUrl of [path, pathToFileURL(path).href]) {
        const seeds = yield* seedsFor({ seedUrl, peerReseedInterval: HOUR })
        expect(shown(yield* seeds.get)).toEqual(["1.2.3.4:8108", "[::1]:80"])
      }
      const missing = yield* seedsFor({ seedUrl: join(dir, "nope.txt") })
      expect(yield* Effect.flip(missing.fetch)).toMatchObject({ reason: "Unreadable" })
      expect(yield* missing.get).toEqual([])
      const hugePath = join(dir, "huge.txt")
      writeFileSync(hugePath, new Uint8Array(Seeds.MAX_SEED_BYTES + 10).fill(0x0a))
      const huge = yield* seedsFor({ seedUrl: hugePath })
      expect(yield* Effect.flip(huge.fetch)).toMatchObject({ reason: "TooLarge" })
    })
  )

  it.effect("an empty seedUrl gives no seeds, without reading anything", () =>
    Effect.gen(function* () {
      const seeds = yield* seedsFor({ seedUrl: "" })
      expect(yield* seeds.get).toEqual([])
      expect(yield* seeds.fetch).toEqual([])
    })
  )

  it.effect("layerStatic returns its list", () =>
    Effect.gen(function* () {
      const list = [Endpoint.unsafeMake("10.0.0.1", "8108")]
      const seeds = yield* SeedsService
      expect(yield* seeds.get).toEqual(list)
      expect(Exit.isSuccess(yield* Effect.exit(seeds.fetch))).toBe(true)
    }).pipe(Effect.provide(SeedsService.layerStatic([Endpoint.unsafeMake("10.0.0.1", "8108")])))
  )
})
