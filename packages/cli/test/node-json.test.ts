import { randomBytes } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import { Endpoint } from "@catp2p/p2p"
import { PeerFiles } from "@catp2p/p2p/testing"
import { assert, describe, it } from "@effect/vitest"
import { type Duration, Effect, Schedule } from "effect"
import { ask, type Event, event, memoryNetwork, start, waitFor } from "./support/InProcess.ts"
import { hex, local, sha256, tempDir } from "./support/common.ts"

// `catp2p node` run in this process (support/InProcess.ts), its nodes on the in-memory transport;
// the same over TCP in real processes, with signals, in node-process.test.ts.

const DEADLINE: Duration.Input = "20 seconds"

const tempDirOf = tempDir("catp2p-node-json-")

const freePort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

type Ready = Event & { readonly port: number; readonly hash: string }

describe("catp2p node --json: the scripting interface", () => {
  it.live(
    "two nodes: ready, peers, send to a peer hash and broadcast, peerlist, stats, errors, interrupted with a peer file, quit",
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDirOf
        const peerFile = join(dir, "peers.json")
        const transport = yield* memoryNetwork
        const A = yield* start("A", ["node", "--json", ...local("A"), "--peer-cache-file", peerFile], { transport })
        const readyA = (yield* event(A, "ready")) as Ready
        assert.isAbove(readyA.port, 0)
        assert.strictEqual(readyA.hash, `127.0.0.1:${readyA.port} ${readyA.nodeId}`)
        const B = yield* start("B", ["node", "--json", ...local("B"), "--special", `127.0.0.1:${readyA.port}`], {
          transport
        })
        const readyB = (yield* event(B, "ready")) as Ready

        // peers, every second: B dialed A
        yield* event(A, "peers", (e) => e.total === 1 && e.incoming === 1 && e.outgoing === 0)
        yield* event(B, "peers", (e) => e.total === 1 && e.incoming === 0 && e.outgoing === 1)

        // our `hash` in ready is the hash the other side knows us by
        assert.deepStrictEqual((yield* ask(A, "peers", "peerlist")).peers, [readyB.hash])
        assert.deepStrictEqual((yield* ask(B, "peers", "peerlist")).peers, [readyA.hash])

        // send to a peer hash (which contains a space): recv with the right length and digest
        const direct = randomBytes(300)
        const sent = yield* ask(B, `send ${readyA.hash} ${hex(direct)}`, "sent")
        assert.deepInclude(sent, { to: readyA.hash, len: 300, peers: 1 })
        const got = yield* event(A, "recv", (e) => e.sha256 === sha256(direct))
        assert.deepStrictEqual(got, { event: "recv", from: readyB.hash, len: 300, sha256: sha256(direct) })

        // broadcast the other way
        const wide = randomBytes(5)
        assert.deepInclude(yield* ask(A, `send broadcast ${hex(wide)}`, "sent"), { to: "broadcast", len: 5, peers: 1 })
        const back = yield* event(B, "recv", (e) => e.sha256 === sha256(wide))
        assert.deepStrictEqual(back, { event: "recv", from: readyA.hash, len: 5, sha256: sha256(wide) })

        // stats: the Info fields
        const stats = yield* ask(A, "stats", "stats")
        assert.strictEqual(stats.peers, 1)
        for (const key of ["receiving", "sending", "download", "upload", "dropped", "rounds"]) {
          assert.isNumber(stats[key], key)
        }

        // malformed commands: error events, and the node keeps working
        const unknown = yield* ask(A, "frobnicate now", "error")
        assert.deepInclude(unknown, { reason: "UnknownCommand", line: "frobnicate now" })
        assert.isString(unknown.message)
        assert.strictEqual((yield* ask(A, "send broadcast not-hex", "error")).reason, "BadPayload")
        assert.strictEqual((yield* ask(A, "send somebody 00", "error")).reason, "BadTarget")
        assert.strictEqual((yield* ask(A, "send 127.0.0.1:9 0000000a 00", "error")).reason, "UnknownPeer")
        assert.strictEqual((yield* ask(A, "send", "error")).reason, "BadArguments")
        assert.deepStrictEqual((yield* ask(A, "peers", "peerlist")).peers, [readyB.hash])

        // interrupted, as the runtime does on SIGINT/SIGTERM: the node's scope closes, the peer file is written, exit 0
        yield* A.interrupt
        assert.strictEqual(yield* A.status, 0)
        assert.isTrue(existsSync(peerFile))
        const text = readFileSync(peerFile, "utf8")
        JSON.parse(text)
        const saved = PeerFiles.decode(text)
        assert.isTrue(saved._tag === "Success", text)
        if (saved._tag === "Success") {
          assert.include(saved.success.peers.map(Endpoint.format), `127.0.0.1:${readyB.port}`)
        }

        // quit: exit 0
        yield* B.write("quit")
        assert.strictEqual(yield* B.status, 0)
      }),
    { timeout: 90_000 }
  )

  it.live(
    "--chat: typed lines are broadcast, received parcels printed; interrupted or at the end of stdin, exit 0",
    () =>
      Effect.gen(function* () {
        const transport = yield* memoryNetwork
        const A = yield* start("A", ["node", "--json", ...local("A")], { transport })
        const readyA = (yield* event(A, "ready")) as Ready
        const C = yield* start(
          "C",
          ["node", "--chat", "--quiet", ...local("C"), "--special", `127.0.0.1:${readyA.port}`],
          { transport }
        )
        const banner = yield* waitFor(C, "banner", () => C.stdout.find((l) => l.startsWith("catp2p node ")))
        const hashC = /^catp2p node (.+ [0-9a-f]{8}): listening/.exec(banner)?.[1]
        assert.isString(hashC, banner)
        yield* event(A, "peers", (e) => e.total === 1)

        yield* C.write("hello there")
        const text = new TextEncoder().encode("hello there")
        const got = yield* event(A, "recv")
        assert.deepStrictEqual(got, { event: "recv", from: hashC, len: text.length, sha256: sha256(text) })

        yield* A.write(`send ${hashC} ${hex(new TextEncoder().encode("hi from A\u0007"))}`)
        // control characters are shown as ?: a peer cannot drive the terminal
        yield* waitFor(C, "chat line", () => C.stdout.find((l) => l === `<${readyA.hash}> hi from A?`))

        yield* C.interrupt
        assert.strictEqual(yield* C.status, 0)
        yield* A.end // the end of stdin shuts the node down too
        assert.strictEqual(yield* A.status, 0)
      }),
    { timeout: 90_000 }
  )

  it.live(
    "--metrics HOST:PORT serves Go's instruments under Go's names and types, unlabeled, and they move",
    () =>
      Effect.gen(function* () {
        const port = yield* freePort
        const transport = yield* memoryNetwork
        const A = yield* start("A", ["node", "--json", ...local("A"), "--metrics", `127.0.0.1:${port}`], { transport })
        const readyA = (yield* event(A, "ready")) as Ready
        const B = yield* start("B", ["node", "--json", ...local("B"), "--special", `127.0.0.1:${readyA.port}`], {
          transport
        })
        yield* event(B, "ready")
        yield* event(A, "peers", (e) => e.total === 1)
        // Go's series carry no label: `name value`
        const value = (text: string, name: string): number => {
          const m = new RegExp(String.raw`^${name} (\S+)$`, "m").exec(text)
          return m === null ? Number.NaN : Number(m[1])
        }
        const scrapeUntil = (check: (text: string) => boolean) =>
          Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())).pipe(
            Effect.filterOrFail(check, () => "not yet"),
            Effect.retry(Schedule.spaced("200 millis")),
            Effect.timeout(DEADLINE)
          )
        yield* B.write(`send broadcast ${hex(randomBytes(64))}`)
        const before = yield* scrapeUntil((t) => value(t, "factomd_p2p_messages_received") >= 1)

        // Go's instruments (github.com/whosoup/factom-p2p, prometheus.go at 3cfdb9b, `_setup`):
        // all made by prometheus.NewGauge, and the histogram ParcelSize
        const go = new Map<string, string>([
          ..."peers_online peers_connecting peers_incoming peers_outgoing to_network to_network_ratio from_network from_network_ratio cat_rounds tech_sendroutines tech_receiveroutines parcels_sent parcels_received parcels_invalid messages_sent messages_received byte_rate_down byte_rate_up msg_rate_down msg_rate_up dropped_peer_send dropped_from_network dropped_to_network"
            .split(" ")
            .map((n): [string, string] => [`factomd_p2p_${n}`, "gauge"]),
          ["factomd_p2p_parcels_size", "histogram"]
        ])
        assert.strictEqual(go.size, 24)
        const types = new Map(
          before
            .split("\n")
            .filter((line) => line.startsWith("# TYPE "))
            .map((line) => line.slice(7).split(" ") as [string, string])
        )
        for (const [name, type] of go) {
          assert.strictEqual(types.get(name), type, name)
          assert.isFalse(types.has(`${name}_total`), `${name}_total`)
          if (type === "gauge") assert.isNotNaN(value(before, name), `${name} without labels`)
        }
        assert.deepStrictEqual(
          [...before.matchAll(/^factomd_p2p_parcels_size_bucket\{le="([^"]+)"\} \S+$/gm)].map((m) => m[1]),
          [..."1 2 4 8 16 32 64 128 256 512 1024 2048 4096 8192 16384 32768".split(" "), "+Inf"]
        )
        assert.notInclude(before, "target_info")
        assert.notInclude(before, "node=")
        assert.strictEqual(value(before, "factomd_p2p_peers_online"), 1)
        assert.strictEqual(value(before, "factomd_p2p_peers_incoming"), 1)

        for (let i = 0; i < 3; i++) yield* B.write(`send broadcast ${hex(randomBytes(64))}`)
        const received = value(before, "factomd_p2p_messages_received")
        const after = yield* scrapeUntil((t) => value(t, "factomd_p2p_messages_received") >= received + 3)
        assert.isAbove(value(after, "factomd_p2p_parcels_received"), value(before, "factomd_p2p_parcels_received"))
        yield* A.write("quit")
        assert.strictEqual(yield* A.status, 0)
      }),
    { timeout: 90_000 }
  )
})
