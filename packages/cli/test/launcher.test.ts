/**
 * The `catp2p` executable as npm links it (`bin/catp2p.js`): it runs the
 * command from a checkout of the repository, and refuses an old Node.js with
 * one line naming the version it needs.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { version } from "../src/version.ts"

const launcher = fileURLToPath(new URL("../bin/catp2p.js", import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "catp2p-launcher-test-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const run = (args: ReadonlyArray<string>, nodeArgs: ReadonlyArray<string> = []) =>
  spawnSync(process.execPath, [...nodeArgs, launcher, ...args], { encoding: "utf8", timeout: 60_000 })

describe("the catp2p executable", () => {
  it("runs the command from the repository's sources, without build or flags", () => {
    const r = run(["--version"])
    expect(r.stderr).toBe("")
    expect(r.stdout.trim()).toBe(`catp2p v${version}`)
    expect(r.status).toBe(0)
  })

  it("refuses an older Node.js in one line that names the version needed", () => {
    const old = join(dir, "old-node.cjs")
    writeFileSync(old, `Object.defineProperty(process.versions, "node", { value: "20.11.0" })\n`)
    const r = run(["--version"], ["--require", old])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe("")
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stderr).toMatch(/^catp2p needs Node\.js 22\.19 or newer; this is v/)
  })
})
