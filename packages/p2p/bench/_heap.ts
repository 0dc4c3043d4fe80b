import { Effect, References, Random } from "effect"
import { TestClock } from "effect/testing"
import { Simulation } from "@catp2p/p2p"
import * as v8 from "node:v8"

const N = Number(process.argv[2] ?? 300)
await Effect.runPromise(
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* Simulation.make({ tick: "5 seconds" })
      const scope = yield* Effect.scope
      for (let i = 0; i < N; i++) yield* sim.start(i, scope)
      for (let s = 1; s <= 60; s++) {
        yield* TestClock.adjust("1 second")
        if (Simulation.minPeers(sim) >= 10) break
      }
      for (let s = 1; s <= 10; s++) yield* TestClock.adjust("1 second")
      let ends = 0
      for (const n of sim.nodes) ends += n!.store.total
      ;(globalThis as any).gc?.()
      console.log(`ends=${ends} heap=${process.memoryUsage().heapUsed}`)
      const file = v8.writeHeapSnapshot("/tmp/prof/sim.heapsnapshot")
      console.log(file)
    })
  ).pipe(
    Random.withSeed(1),
    Effect.provideService(References.TracerEnabled, false),
    Effect.provideService(References.MinimumLogLevel, "Warn"),
    Effect.provide(TestClock.layer({ warningDelay: "1 hour" }))
  )
)
