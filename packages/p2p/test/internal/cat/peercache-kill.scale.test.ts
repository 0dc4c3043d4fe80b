/**
 * PeerCache.save under SIGKILL: 30 writer processes, each killed at a seeded
 * moment while saving 2,000 peers in a loop, must each leave a complete peer
 * file. A stress run (one child process per kill, ~35 s on the 2-core CI
 * machine), so it runs in `npm run test:scale`, not the default suite.
 */
import { spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { describe, expect } from "vitest"
import * as PC from "../../../src/internal/cat/PeerCache.ts"
import { versionFile, versionOf } from "./fixtures/versions.ts"
import { tempDir } from "../../support/environment.ts"

const decodeOk = (text: string) => Result.getOrThrow(PC.decode(text, {}))
const tempFiles = (dir: string, name: string) => readdirSync(dir).filter((f) => f !== name)

const WRITER = fileURLToPath(new URL("./fixtures/writer.ts", import.meta.url))
const KILLS = 30

/** Runs the writer on `path` from version `start`; SIGKILLs it `delayMs` after its first save. Returns the highest version it reported. */
const writeThenKill = (path: string, start: number, delayMs: number) =>
  Effect.callback<number, Error>((resume) => {
    const child = spawn(process.execPath, ["--conditions=@catp2p/source", WRITER, path, String(start)], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    let timer: ReturnType<typeof setTimeout> | undefined
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk
      timer ??= setTimeout(() => child.kill("SIGKILL"), delayMs)
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      err += chunk
    })
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") return resume(Effect.fail(new Error(`writer exited (${code}, ${signal}): ${err}`)))
      const reported = out
        .split("\n")
        .filter((l) => /^\d+$/.test(l))
        .map(Number)
      resume(Effect.succeed(Math.max(...reported)))
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      child.kill("SIGKILL")
    })
  })

describe("PeerCache.save survives SIGKILL at any moment", () => {
  it.live(`${KILLS} kills of a writer saving 2,000 peers in a loop leave a complete file each time`, () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const path = join(dir, "peers.json")
      let seed = 0x5eed
      const nextDelay = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31
        return seed % 80
      }
      for (let run = 0; run < KILLS; run++) {
        const start = run * 100_000
        const reported = yield* writeThenKill(path, start, nextDelay())
        const text = readFileSync(path, "utf8")
        const file = decodeOk(text)
        const version = versionOf(file)
        // written by this run, at least as new as the last save it reported, and exactly that version's bytes
        expect(version).toBeGreaterThanOrEqual(Math.max(start, reported))
        expect(version).toBeLessThan(start + 100_000)
        expect(text).toBe(PC.encode(versionFile(version)))
      }
      // a killed save may leave its temp file, never a partial target
      for (const name of tempFiles(dir, "peers.json")) expect(name).toMatch(/^\.peers\.json\.\d+\.[0-9a-z]+\.tmp$/)
    })
  )
})
