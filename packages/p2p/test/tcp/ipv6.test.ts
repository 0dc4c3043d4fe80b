/**
 * IPv6 over real TCP on loopback (`::1` and `127.0.0.1`): the default bind is
 * dual-stack like Go's `":port"`, IPv4 peers keep their IPv4 address, IPv6
 * endpoints are dialed, and IPv6 bans go to the peer file in Go's form.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { Endpoint, PeerHash } from "@catp2p/p2p"
import { PeerFiles } from "@catp2p/p2p/testing"
import { eventually, startNode } from "../support/node.ts"

const tempFile = Effect.gen(function* () {
  const dir = mkdtempSync(join(tmpdir(), "catp2p-ipv6-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
  return join(dir, "peers.json")
})

describe("IPv6 over TCP", () => {
  it.live("a node with the default bind accepts an IPv4 and an IPv6 peer, each known by its own address", () =>
    Effect.gen(function* () {
      const A = yield* startNode({ bindIp: "" })
      const port = String(A.network.address.port)
      const v4 = yield* startNode({ bindIp: "127.0.0.1" })
      const v6 = yield* startNode({ bindIp: "::1" })
      assert.strictEqual(v6.network.address.host, "::1")
      // the IPv6 node dials an IPv6 endpoint
      const atA = yield* v6.network.dial(Endpoint.unsafeMake("::1", port))
      assert.strictEqual(atA.hash, PeerHash.format("::1", port, A.network.nodeId))
      yield* v4.network.dial(Endpoint.unsafeMake("127.0.0.1", port))
      const peers = yield* eventually("A has both", A.network.peers, (ps) => ps.length === 2)
      const byIp = new Map(peers.map((p) => [p.endpoint.ip, p]))
      // not `::ffff:127.0.0.1`: Go's `net` reports a v4 peer of a dual-stack socket as v4
      assert.deepStrictEqual([...byIp.keys()].sort(), ["127.0.0.1", "::1"])
      const fromV6 = byIp.get("::1")!
      // Go: `fmt.Sprintf("%s:%s %08x", ep.IP, ep.Port, id)` (peer.go), no brackets
      assert.strictEqual(
        fromV6.hash,
        `::1:${v6.network.address.port} ${v6.network.nodeId.toString(16).padStart(8, "0")}`
      )
      assert.strictEqual(byIp.get("127.0.0.1")!.endpoint.port, String(v4.network.address.port))
      // and dials both families from the default bind (and from the IPv4 wildcard)
      for (const bindIp of ["", "0.0.0.0"]) {
        const dialer = yield* startNode({ bindIp })
        for (const host of ["::1", "127.0.0.1"]) {
          const target = yield* startNode({ bindIp: host })
          const peer = yield* dialer.network.dial(Endpoint.unsafeMake(host, String(target.network.address.port)))
          assert.strictEqual(peer.endpoint.ip, host)
        }
      }
    })
  )

  it.live("an explicit IPv6 bindIp (bare or in brackets, as Go's config has it) binds only that address", () =>
    Effect.gen(function* () {
      for (const bindIp of ["::1", "[::1]"]) {
        const A = yield* startNode({ bindIp })
        assert.strictEqual(A.config.bindIp, "::1")
        assert.strictEqual(A.network.address.host, "::1")
        const v4 = yield* startNode({ bindIp: "127.0.0.1" })
        const refused = yield* Effect.flip(
          v4.network.dial(Endpoint.unsafeMake("127.0.0.1", String(A.network.address.port)))
        )
        assert.strictEqual(refused._tag === "DialError" && refused.reason, "Refused")
      }
    })
  )

  it.live("bans an IPv6 peer in the peer file with Go's keys (`::1`, `::1:port`), and reads Go's keys back", () =>
    Effect.gen(function* () {
      const file = yield* tempFile
      const B = yield* startNode({ bindIp: "::1" })
      const bPort = String(B.network.address.port)
      const scope = yield* Scope.make()
      const A = yield* Scope.provide(
        startNode({ bindIp: "", peerCacheFile: file, targetPeers: 1, minReseed: 0 }),
        scope
      )
      const atB = yield* A.network.dial(Endpoint.unsafeMake("::1", bPort))
      yield* A.network.ban(atB.hash)
      yield* eventually("B gone", A.network.total, (n) => n === 0)
      yield* Scope.close(scope, Exit.void) // writes the file on the way down
      const text = readFileSync(file, "utf8")
      // Go: `c.bans[peer.Endpoint.IP]` and `c.bans[peer.Endpoint.String()]` (controller.go `ban`)
      assert.deepStrictEqual(Object.keys(JSON.parse(text).bans), ["::1", `::1:${bPort}`])
      assert.notInclude(text, '"[')

      // a file as Go writes it for an endpoint ban only (`banEndpoint`), read by a fresh node
      const C = yield* startNode({ bindIp: "::1" })
      const cPort = String(C.network.address.port)
      writeFileSync(file, `{"bans":{"::1:${cPort}":"2099-01-02T03:04:05.123456789Z"},"peers":[]}`)
      const again = yield* startNode({ bindIp: "", peerCacheFile: file, targetPeers: 1, minReseed: 0 })
      const refused = yield* Effect.flip(again.network.dial(Endpoint.unsafeMake("::1", cPort)))
      assert.strictEqual(refused._tag === "DialError" && refused.reason, "Banned")
      // only that endpoint: another port of ::1 is dialed
      yield* again.network.dial(Endpoint.unsafeMake("::1", bPort))
      const saved = PeerFiles.decode(readFileSync(file, "utf8"))
      assert.isTrue(saved._tag === "Success" && saved.success.bans.has(`::1:${cPort}`))
    })
  )
})
