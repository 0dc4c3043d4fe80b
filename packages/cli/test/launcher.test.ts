/**
 * The `catp2p` executable as npm links it (`bin/catp2p.js`): it runs the
 * command from a checkout of the repository, refuses an old Node.js with
 * one line naming the version it needs, and, started through npm, ends the
 * node cleanly when signalled.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
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

/**
 * `npx catp2p node` and `npm run catp2p -- node` as a user starts them, then
 * signalled as a user or a supervisor would: the node must release its port
 * and write its peer file. npm runs the command under `sh -c`; where that
 * shell execs it (bash, macOS's /bin/sh) the node is npm's child and npm
 * exits 0; where it does not (dash, Debian's /bin/sh) npm's forwarded
 * SIGTERM kills the shell, npm reports SIGTERM, and the launcher sees its
 * parent go and shuts the node down.
 */
const repo = fileURLToPath(new URL("../../..", import.meta.url))
const hasBash = process.platform !== "win32" && spawnSync("bash", ["-c", "true"]).status === 0

interface Outcome {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly peerFile: boolean
  readonly portFree: boolean
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port })
    socket.once("connect", () => {
      socket.destroy()
      resolve(false)
    })
    socket.once("error", () => resolve(true))
  })

/** Starts the node through npm, waits for its banner, sends `signal` to npm (or its process group: a Ctrl-C). */
const runSignalled = (
  via: "npx" | "run",
  signal: NodeJS.Signals,
  target: "npm" | "group",
  shell?: string
): Promise<Outcome> => {
  const peers = join(mkdtempSync(join(dir, "node-")), "peers.json")
  const node = ["node", "--listen-port", "0", "--bind-ip", "127.0.0.1", "--peer-cache-file", peers, "--quiet"]
  const args = via === "npx" ? ["exec", "--", "catp2p", ...node] : ["run", "--silent", "catp2p", "--", ...node]
  const env = { ...process.env, ...(shell === undefined ? {} : { npm_config_script_shell: shell }) }
  const npm = spawn("npm", args, { cwd: repo, env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
  return new Promise<Outcome>((resolve, reject) => {
    let out = ""
    let port = 0
    npm.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const listening = /listening on 127\.0\.0\.1:(\d+)/.exec(out)
      if (port === 0 && listening !== null) {
        port = Number(listening[1])
        process.kill(target === "group" ? -(npm.pid ?? 0) : (npm.pid ?? 0), signal)
      }
    })
    npm.once("error", reject)
    npm.once("exit", (code, signal) => {
      if (port === 0) return reject(new Error(`npm exited before the node listened: ${out}`))
      // the node may still be closing when npm exits (the shell died first): wait for its port
      const settle = (tries: number): Promise<Outcome> =>
        refused(port).then((portFree) =>
          (portFree && existsSync(peers)) || tries === 0
            ? { code, signal, peerFile: existsSync(peers), portFree }
            : new Promise((r) => setTimeout(r, 250)).then(() => settle(tries - 1))
        )
      settle(40).then(resolve, reject)
    })
  }).finally(() => {
    try {
      process.kill(-(npm.pid ?? 0), "SIGKILL")
    } catch {
      // the group is gone: nothing left behind
    }
  })
}

describe.skipIf(!hasBash)("catp2p node started through npm, then signalled", { timeout: 60_000 }, () => {
  it.concurrent("npx, SIGTERM to npx with the platform's sh: the node writes its peer file and frees its port", async () => {
    const r = await runSignalled("npx", "SIGTERM", "npm")
    expect(r).toMatchObject({ peerFile: true, portFree: true })
    // 0 where sh execs the command; npm re-raises SIGTERM where sh (dash) died of it
    expect(r.code === 0 || r.signal === "SIGTERM").toBe(true)
  })

  it.concurrent("npx, SIGTERM to npx, a shell that execs (bash, macOS's sh): npx exits 0", async () => {
    expect(await runSignalled("npx", "SIGTERM", "npm", "bash")).toEqual({
      code: 0,
      signal: null,
      peerFile: true,
      portFree: true
    })
  })

  it.concurrent("npm run, SIGINT to npm: npm exits 0", async () => {
    expect(await runSignalled("run", "SIGINT", "npm", "bash")).toEqual({
      code: 0,
      signal: null,
      peerFile: true,
      portFree: true
    })
  })

  it.concurrent("npm run, Ctrl-C (SIGINT to the group, forwarded again by npm): one shutdown, npm exits 0", async () => {
    expect(await runSignalled("run", "SIGINT", "group", "bash")).toEqual({
      code: 0,
      signal: null,
      peerFile: true,
      portFree: true
    })
  })
})
