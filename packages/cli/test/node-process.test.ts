/**
 * `catp2p node` as a real process over real TCP: what needs a process, the
 * signals (SIGTERM, SIGINT: the peer file written, exit 0) and the exit
 * status the shell sees. Everything else about the command runs in the
 * test process (node.test.ts, node-json.test.ts, cli.test.ts): each spawn
 * costs a Node start and the loading of the sources.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { Endpoint } from "@catp2p/p2p"
import { PeerFiles } from "@catp2p/p2p/testing"
import { assert, describe, it } from "@effect/vitest"
import { type Duration, Effect } from "effect"
import * as InProcess from "./support/InProcess.ts"
import { hex, local, sha256, tempDir, waitUntil } from "./support/common.ts"

const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))

type Event = Record<string, unknown> & { readonly event: string }

interface Proc {
  readonly name: string
  readonly child: ChildProcessWithoutNullStreams
  readonly lines: Array<string>
  readonly events: Array<Event>
  readonly stderr: Array<string>
}

const spawnNode = (name: string, args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync((): Proc => {
      const child = spawn(process.execPath, ["--conditions=@catp2p/source", bin, "node", ...args], {
        stdio: ["pipe", "pipe", "pipe"]
      })
      const proc: Proc = { name, child, lines: [], events: [], stderr: [] }
      createInterface({ input: child.stdout }).on("line", (line) => {
        proc.lines.push(line)
        if (line.startsWith("{")) proc.events.push(JSON.parse(line) as Event)
      })
      createInterface({ input: child.stderr }).on("line", (line) => proc.stderr.push(line))
      child.stdin.on("error", () => {}) // a node that exited closes its stdin
      return proc
    }),
    (p) =>
      Effect.sync(() => {
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL")
      })
  )

const DEADLINE: Duration.Input = "30 seconds"

/** Waits (bounded) until `find` returns something: the process answers in its own time. */
const waitFor = <A>(p: Proc, what: string, find: () => A | undefined) =>
  waitUntil(
    `${p.name}: no ${what}`,
    find,
    () => `stdout:\n${p.lines.join("\n")}\nstderr:\n${p.stderr.join("\n")}`,
    DEADLINE,
    "25 millis"
  )

const event = (p: Proc, kind: string, matches: (e: Event) => boolean = () => true) =>
  waitFor(p, `${kind} event`, () => p.events.find((e) => e.event === kind && matches(e)))

const exitOf = (p: Proc) =>
  waitFor(p, "exit", () =>
    p.child.exitCode !== null || p.child.signalCode !== null
      ? { code: p.child.exitCode, signal: p.child.signalCode }
      : undefined
  )

const tempDirOf = tempDir("catp2p-node-process-")

const savedPeers = (file: string) => {
  assert.isTrue(existsSync(file), `${file} written`)
  const text = readFileSync(file, "utf8")
  const saved = PeerFiles.decode(text)
  if (saved._tag !== "Success") return assert.fail(`peer file: ${text}`)
  return saved.success.peers.map(Endpoint.format)
}

type Ready = Event & { readonly port: number; readonly hash: string }

describe("catp2p node as a process, over TCP", () => {
  it.live(
    "a node talks to a peer over TCP; SIGTERM and SIGINT write the peer file and exit 0",
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDirOf
        const fileA = join(dir, "a.json")
        const fileC = join(dir, "c.json")
        const A = yield* spawnNode("A", ["--json", ...local("A"), "--peer-cache-file", fileA])
        const readyA = (yield* event(A, "ready")) as Ready
        const C = yield* spawnNode("C", [
          "--chat",
          "--quiet",
          ...local("C"),
          "--peer-cache-file",
          fileC,
          "--special",
          `127.0.0.1:${readyA.port}`
        ])
        // B: the command in this process, on TCP too
        const B = yield* InProcess.start("B", [
          "node",
          "--json",
          ...local("B"),
          "--special",
          `127.0.0.1:${readyA.port}`
        ])
        const readyB = (yield* InProcess.event(B, "ready")) as Ready
        yield* event(A, "peers", (e) => e.total === 2 && e.incoming === 2)
        yield* waitFor(C, "banner", () => C.lines.find((l) => l.startsWith("catp2p node ")))

        // parcels both ways over TCP
        const there = randomBytes(1000)
        yield* InProcess.ask(B, `send ${readyA.hash} ${hex(there)}`, "sent")
        assert.deepStrictEqual(yield* event(A, "recv", (e) => e.sha256 === sha256(there)), {
          event: "recv",
          from: readyB.hash,
          len: 1000,
          sha256: sha256(there)
        })
        const back = randomBytes(10)
        A.child.stdin.write(`send ${readyB.hash} ${hex(back)}\n`)
        yield* InProcess.event(B, "recv", (e) => e.sha256 === sha256(back) && e.from === readyA.hash)

        // SIGTERM: the node's scope closes, the peer file is written, exit 0
        A.child.kill("SIGTERM")
        assert.deepStrictEqual(yield* exitOf(A), { code: 0, signal: null })
        assert.include(savedPeers(fileA), `127.0.0.1:${readyB.port}`)

        // SIGINT (Ctrl-C): the same
        C.child.kill("SIGINT")
        assert.deepStrictEqual(yield* exitOf(C), { code: 0, signal: null })
        savedPeers(fileC)

        yield* B.write("quit")
        assert.strictEqual(yield* B.status, 0)
      }),
    { timeout: 90_000 }
  )

  it.live(
    "a bad configuration exits with status 2, naming the field",
    () =>
      Effect.gen(function* () {
        const P = yield* spawnNode("P", ["--target-peers", "lots"])
        assert.deepStrictEqual(yield* exitOf(P), { code: 2, signal: null })
        const stderr = P.stderr.join("\n")
        for (const text of ["--target-peers", "targetPeers", "non-negative integer"]) assert.include(stderr, text)
        assert.deepStrictEqual(P.lines, [])
      }),
    { timeout: 90_000 }
  )
})
