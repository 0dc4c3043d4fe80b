import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { Config, Endpoint } from "@catp2p/p2p"
import { PeerFiles } from "@catp2p/p2p/testing"
import { eventually, startNode, type TestNode } from "../support/node.ts"

/** An HTTP server on 127.0.0.1 serving `body()` at /seeds.txt, closed with the scope. */
const seedServer = (body: () => string) =>
  Effect.acquireRelease(
    Effect.callback<{ server: Server; url: string }>((resume) => {
      const server = createServer((req, res) => {
        if (req.url !== "/seeds.txt") {
          res.writeHead(404).end()
          return
        }
        res.writeHead(200, { "content-type": "text/plain" }).end(body())
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({ server, url: `http://127.0.0.1:${port}/seeds.txt` }))
      })
    }),
    ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
  )

const counts = (nodes: ReadonlyArray<TestNode>) => Effect.forEach(nodes, (n) => n.network.total)

describe("CAT peering over TCP on 127.0.0.1", () => {
  it.live(
    "nodes given an http:// seed URL served by the test reach their target among 12 nodes",
    () =>
      Effect.gen(function* () {
        const nodes: Array<TestNode> = []
        const { url } = yield* seedServer(() =>
          nodes
            .slice(0, 3)
            .map((n) => Endpoint.format(n.endpoint))
            .join("\n")
        )
        for (let i = 0; i < 12; i++) {
          nodes.push(
            yield* startNode({ seedUrl: url, targetPeers: 4, minReseed: 2, maxPeers: 8, maxIncoming: 8, dropTo: 6 })
          )
        }
        yield* eventually("every node at its target", counts(nodes), (cs) => cs.every((c) => c >= 4), "30 seconds")
      }),
    { timeout: 60_000 }
  )

  it.live(
    "20 nodes on one host, all seeded to one node, with default limits: every node has 5+ peers within 30 s",
    () =>
      Effect.gen(function* () {
        const dir = mkdtempSync(join(tmpdir(), "catp2p-seeds-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        const seedFile = join(dir, "seeds.txt")
        // Go's defaults (listenLimit 1 s, redialInterval 2 min), not the test helper's zeros
        const defaults = { listenLimit: Config.defaults.listenLimit, redialInterval: Config.defaults.redialInterval }
        const first = yield* startNode(defaults)
        writeFileSync(seedFile, `${Endpoint.format(first.endpoint)}\n`)
        const nodes = [first]
        for (let i = 1; i < 20; i++) nodes.push(yield* startNode({ seedUrl: seedFile, ...defaults }))
        yield* eventually("every node at 5+ peers", counts(nodes), (cs) => cs.every((c) => c >= 5), "30 seconds")
      }),
    { timeout: 60_000 }
  )

  it.live("the peer file keeps peers and bans across a restart", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "catp2p-peers-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const file = join(dir, "peers.json")
      const B = yield* startNode()
      const C = yield* startNode({ bindIp: "127.0.0.2" })
      const scope = yield* Scope.make()
      const A = yield* Scope.provide(startNode({ peerCacheFile: file, targetPeers: 1, minReseed: 0 }), scope)
      yield* A.network.dial(B.endpoint)
      const atC = yield* A.network.dial(C.endpoint)
      yield* A.network.ban(atC.hash)
      yield* eventually("C gone", A.network.total, (n) => n === 1)
      yield* Scope.close(scope, Exit.void) // writes the file on the way down
      const saved = PeerFiles.decode(readFileSync(file, "utf8"))
      assert.strictEqual(saved._tag, "Success")
      if (saved._tag !== "Success") return
      assert.deepStrictEqual(saved.success.peers.map(Endpoint.format), [Endpoint.format(B.endpoint)])
      assert.isTrue(saved.success.bans.has("127.0.0.2"))
      // restart: it dials B from the file by itself, and C's IP is still banned
      const again = yield* startNode({ peerCacheFile: file, targetPeers: 1, minReseed: 0 })
      yield* eventually("A is back with B", again.network.total, (n) => n === 1)
      const [peer] = yield* again.network.peers
      assert.strictEqual(Endpoint.format(peer!.endpoint), Endpoint.format(B.endpoint))
      const refused = yield* Effect.flip(again.network.dial(C.endpoint))
      assert.strictEqual(refused._tag === "DialError" && refused.reason, "Banned")
    })
  )
})
