/**
 * What an operator sees at the default log level (memory transport,
 * TestClock): peers connected and disconnected with direction and protocol,
 * dial and handshake failures with their reason in words, and a rate limit
 * that keeps a flood of failures to a bounded number of lines plus a
 * summary.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import { NetworkId } from "@catp2p/p2p"
import { MemoryTransport } from "@catp2p/p2p/testing"
import { operatorLogs } from "../support/log.ts"
import { hostOf, memoryNode, settle } from "../support/memory.ts"

/** The lines of one kind an operator sees before the rate limit (OperatorLog's documented burst). */
const BURST = 40

describe("operator log lines (memory transport, TestClock)", () => {
  it.effect("peer connected and disconnected, with direction, protocol and why, at Info", () => {
    const logs = operatorLogs()
    return Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const a = yield* memoryNode(memory, hostOf(1), { protocolVersion: 10 })
      const b = yield* memoryNode(memory, hostOf(2), { protocolVersion: 10 })
      const peer = yield* b.network.dial(a.endpoint)
      yield* settle()
      const info = logs.at("Info")
      assert.isTrue(
        info.some((m) => m.startsWith(`peer connected: ${peer.hash} (out, v10)`)),
        info.join("\n")
      )
      assert.isTrue(info.some((m) => /^peer connected: 10\.0\.0\.3:8108 [0-9a-f]{8} \(in, v10\), 1 peers$/.test(m)))
      yield* TestClock.adjust(Duration.seconds(90))
      yield* b.network.disconnect(peer.hash)
      yield* settle()
      const gone = logs.at("Info").filter((m) => m.startsWith("peer disconnected"))
      assert.isTrue(
        gone.some((m) =>
          m.startsWith(`peer disconnected: ${peer.hash} (out, v10) after 1m 30s: Stopped (disconnected), 0 peers`)
        ),
        gone.join("\n")
      )
      // the other side saw the connection close
      assert.isTrue(
        gone.some((m) => /\(in, v10\) after 1m 30s: RemoteClosed/.test(m)),
        gone.join("\n")
      )
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("a wrong network: the listener names both networks, the dialer says what it can know", () => {
    const logs = operatorLogs()
    return Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const a = yield* memoryNode(memory, hostOf(1), { network: NetworkId.TestNet })
      const b = yield* memoryNode(memory, hostOf(2), { network: NetworkId.MainNet })
      const error = yield* Effect.flip(b.network.dial(a.endpoint))
      assert.strictEqual(error._tag, "HandshakeError")
      yield* settle()
      const warnings = logs.at("Warn")
      assert.include(
        warnings,
        "incoming handshake from 10.0.0.3 failed: wrong network: we are TestNet, they are MainNet"
      )
      assert.isTrue(
        warnings.some((m) =>
          m.startsWith("dial 10.0.0.2:8108 failed: closed by the remote during the handshake (wrong network")
        ),
        warnings.join("\n")
      )
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("1,000 failed handshakes: a bounded number of lines, then one summary of the rest", () => {
    const logs = operatorLogs()
    return Effect.gen(function* () {
      const memory = yield* MemoryTransport.makeNetwork()
      const a = yield* memoryNode(memory, hostOf(1), { network: NetworkId.TestNet })
      const b = yield* memoryNode(memory, hostOf(2), { network: NetworkId.MainNet })
      for (let i = 0; i < 1_000; i++) yield* Effect.ignore(b.network.dial(a.endpoint))
      yield* settle()
      const failed = () => logs.at("Warn").filter((m) => m.startsWith("incoming handshake from"))
      const dials = () => logs.at("Warn").filter((m) => m.startsWith("dial 10.0.0.2:8108 failed"))
      assert.strictEqual(failed().length, BURST)
      assert.strictEqual(dials().length, BURST)
      // the next tick reports what was suppressed, once per kind
      yield* TestClock.adjust(Duration.seconds(1))
      yield* settle()
      const summaries = logs.at("Warn").filter((m) => m.startsWith("suppressed"))
      assert.includeMembers(summaries, [
        `suppressed ${1_000 - BURST} similar lines (incoming handshake failed)`,
        `suppressed ${1_000 - BURST} similar lines (dial failed)`
      ])
      assert.strictEqual(summaries.length, 2)
      assert.isBelow(logs.lines.length, 2 * BURST + 20)
    }).pipe(Effect.provide(logs.layer))
  })
})
