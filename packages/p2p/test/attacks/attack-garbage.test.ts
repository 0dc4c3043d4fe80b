/**
 * Garbage before the handshake: random bytes and mutated valid hellos by the
 * thousand (seeded), and hellos with one invalid field each. Every attacking
 * connection is closed, nothing becomes a peer that should not, descriptors
 * and memory come back, and the node stays live.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import * as fc from "fast-check"
import { NetworkId, Wire } from "@catp2p/p2p"
import { eventually, TEST_NETWORK } from "../support/node.ts"
import {
  assertLive,
  attacker,
  closedWithin,
  connectRaw,
  fds,
  fdsBackTo,
  peakRssGrowth,
  report,
  retainedHeapMiB,
  send,
  startTarget,
  times
} from "../support/attack.ts"

const RSS_BOUND_MIB = 256
const RETAINED_BOUND_MIB = 8
const SEED = 20_240_607

const local = (version: 9 | 10 | 11) => ({
  network: TEST_NETWORK,
  protocolVersion: version,
  protocolVersionMinimum: 9,
  nodeId: 0x0bad,
  listenPort: "9"
})
const hellos = ([9, 10, 11] as const).map((v) => new Wire.Negotiation.Outgoing(local(v), 5n).hello)

const randomBytes = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 600 }), { seed: SEED, numRuns: 1000 })
const mutated = fc.sample(
  fc
    .tuple(
      fc.constantFrom(...hellos),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.boolean()
    )
    .map(([h, muts, truncate]) => {
      const m = h.slice()
      for (const [at, b] of muts) m[at % m.length] = b
      return truncate ? m.subarray(0, muts[0]![0] % m.length) : m
    }),
  { seed: SEED + 1, numRuns: 1000 }
)

/** Sends each input on its own connection and ends it; waits until the node closed every one. */
const flood = (target: { readonly ip: string; readonly port: string }, inputs: ReadonlyArray<Uint8Array>) =>
  Effect.scoped(
    times(inputs.length, 50, (i) =>
      Effect.gen(function* () {
        const s = yield* connectRaw(target, attacker(i % 100))
        yield* send(s, inputs[i]!)
        yield* Effect.sync(() => s.socket.end())
        yield* closedWithin(s, "5 seconds")
      })
    )
  )

describe("garbage before the handshake", () => {
  it.live("2,000 connections of seeded random bytes and mutated hellos", () =>
    Effect.gen(function* () {
      // no discouragement here, so that every input reaches the decoders
      const node = yield* startTarget({ discourageTime: Duration.zero })
      const baseline = fds()
      const heap = retainedHeapMiB()
      const [, growth] = yield* peakRssGrowth(flood(node.endpoint, [...randomBytes, ...mutated]))
      yield* eventually("no peer left", node.network.total, (n) => n === 0)
      const retained = retainedHeapMiB() - heap
      yield* report("random and mutated hellos", {
        connections: 2000,
        rssGrowthMiB: growth.toFixed(1),
        retainedMiB: retained.toFixed(2),
        malformedHandshakes: node.probe.stats().misbehaviour.MalformedHandshake
      })
      assert.isAbove(node.probe.stats().misbehaviour.MalformedHandshake, 500)
      assert.isBelow(growth, RSS_BOUND_MIB)
      yield* fdsBackTo(baseline)
      assert.isBelow(retained, RETAINED_BOUND_MIB)
      yield* assertLive(node)
    })
  )

  it.live("hellos with an invalid network, version, port or type are refused without a reply", () =>
    Effect.gen(function* () {
      const node = yield* startTarget()
      const baseline = fds()
      const other = NetworkId.fromName("another-network")
      const cases = [
        { name: "network", change: { network: other }, misbehaviour: false },
        { name: "version 8", change: { version: 8 }, misbehaviour: false },
        { name: "port 0", change: { listenPort: "0" }, misbehaviour: true },
        { name: "port empty", change: { listenPort: "" }, misbehaviour: true },
        { name: "port 65536", change: { listenPort: "65536" }, misbehaviour: true },
        { name: "type 77", change: { type: 77 }, misbehaviour: true },
        { name: "type 9 (a rejection as hello)", change: { type: 9 }, misbehaviour: true },
        { name: "type 0", change: { type: 0 }, misbehaviour: true }
      ] as const
      let ip = 0
      for (const version of [9, 10, 11] as const) {
        for (const c of cases) {
          const before = node.probe.stats().misbehaviour.MalformedHandshake
          const hs = {
            network: TEST_NETWORK,
            version,
            type: 8,
            nodeId: 1,
            listenPort: "9",
            loopback: 3n,
            alternatives: [],
            ...c.change
          }
          const bytes = Wire.Negotiation.select(local(version)).encodeHandshake(hs)
          const from = attacker(ip++)
          yield* Effect.scoped(
            Effect.gen(function* () {
              const s = yield* connectRaw(node.endpoint, from)
              yield* send(s, bytes)
              yield* closedWithin(s, "3 seconds", `the node to refuse ${c.name} on v${version}`)
              assert.strictEqual(s.received.length, 0, `${c.name} v${version}: no reply`)
            })
          )
          yield* eventually(
            `${c.name} v${version} counted`,
            Effect.sync(() => node.probe.stats().misbehaviour.MalformedHandshake - before),
            (n) => n === (c.misbehaviour ? 1 : 0),
            "2 seconds"
          )
          // a malformed hello discourages its IP: the next connection is closed at once
          if (c.misbehaviour) {
            yield* Effect.scoped(
              Effect.gen(function* () {
                const s = yield* connectRaw(node.endpoint, from)
                yield* send(s, hellos[2]!)
                yield* closedWithin(s, "2 seconds", "the discouraged IP to be refused")
                assert.strictEqual(s.received.length, 0)
              })
            )
          }
        }
      }
      assert.isAtLeast(node.probe.stats().refusedDiscouraged, 18)
      assert.strictEqual(yield* node.network.total, 0)
      yield* fdsBackTo(baseline)
      yield* assertLive(node)
    })
  )
})
