import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { Endpoint, Wire } from "@catp2p/p2p"
import * as HandshakeFlow from "../../../src/internal/handshake/HandshakeFlow.ts"
import type { Connection } from "../../../src/Transport.ts"
import { TEST_NETWORK } from "../../support/node.ts"

const local = (protocolVersion: 9 | 10 | 11) => ({
  network: TEST_NETWORK,
  protocolVersion,
  protocolVersionMinimum: 9,
  nodeId: 0x1234,
  listenPort: "8108"
})

/** A connection that delivers `incoming` once and records what is written. */
const fake = (incoming: Uint8Array) => {
  const written: Array<Uint8Array> = []
  let read = false
  const connection: Connection = {
    remote: { host: "127.0.0.9", port: 1 },
    read: Effect.suspend(() => {
      if (read) return Effect.never
      read = true
      return Effect.succeed([incoming])
    }),
    write: (chunks) => Effect.sync(() => void written.push(...chunks))
  }
  return { connection, written }
}

describe("HandshakeFlow.incoming admission", () => {
  for (const version of [9, 10, 11] as const) {
    it.effect(`a newcomer refused after its hello gets a readable rejection with alternatives (v${version})`, () =>
      Effect.gen(function* () {
        const dialer = new Wire.Negotiation.Outgoing(local(version), 1n)
        const { connection, written } = fake(dialer.hello)
        const alternatives = [Endpoint.unsafeMake("10.0.0.1", "8108")]
        const error = yield* Effect.flip(
          HandshakeFlow.incoming(connection, local(10), 2n, Duration.seconds(5), () => Effect.succeed(alternatives))
        )
        assert.strictEqual(error.reason._tag, "Rejected")
        for (const c of written) dialer.push(c)
        const r = dialer.poll()
        assert.strictEqual(r._tag, "Failure")
        if (r._tag === "Failure" && r.error.reason._tag === "Rejected") {
          assert.deepStrictEqual(r.error.reason.alternatives, alternatives)
        } else assert.fail(`expected Rejected, got ${JSON.stringify(r)}`)
      })
    )
  }

  it.effect("an admitted newcomer gets our hello", () =>
    Effect.gen(function* () {
      const dialer = new Wire.Negotiation.Outgoing(local(10), 1n)
      const { connection, written } = fake(dialer.hello)
      const settled = yield* HandshakeFlow.incoming(connection, local(10), 2n, Duration.seconds(5), () =>
        Effect.succeed(undefined)
      )
      assert.strictEqual(settled.protocol.version, 10)
      for (const c of written) dialer.push(c)
      assert.strictEqual(dialer.poll()._tag, "Value")
    })
  )
})
