import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { eventually, startNode } from "../support/node.ts"

// Its own file (its own process): no other test's sockets are closing meanwhile.
describe("node lifecycle", () => {
  it.live("stopping nodes closes every socket and server they had", () =>
    Effect.gen(function* () {
      const handles = () =>
        process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "TCPServerWrap").length
      const before = handles()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const A = yield* startNode()
          const B = yield* startNode()
          const C = yield* startNode({ protocolVersion: 11 })
          yield* A.network.dial(B.endpoint)
          yield* C.network.dial(B.endpoint)
          yield* C.network.dial(A.endpoint)
          yield* eventually("B has 2 peers", B.network.total, (n) => n === 2)
          // 3 servers and 3 connections, each with two ends
          assert.strictEqual(handles() - before, 3 + 6)
        })
      )
      yield* eventually("no socket left", Effect.sync(handles), (n) => n === before)
    })
  )
})
