import { Effect, References, Random } from "effect"
import { TestClock } from "effect/testing"
import { Simulation } from "@catp2p/p2p"

const N = Number(process.argv[2] ?? 2000)
const SECS = Number(process.argv[3] ?? 30)
const t0 = performance.now()
const c0 = process.cpuUsage()
await Effect.runPromise(
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* Simulation.make({ tick: "5 seconds" })
      const scope = yield* Effect.scope
      for (let i = 0; i < N; i++) yield* sim.start(i, scope)
      console.log(`started ${N} in ${Math.round(performance.now() - t0)} ms heap ${Math.round(process.memoryUsage().heapUsed / 1048576)}MB`)
      for (let s = 1; s <= SECS; s++) {
        yield* TestClock.adjust("1 second")
        let ge1 = 0, ge10 = 0, links = 0
        for (const n of sim.nodes) {
          if (!n) continue
          const t = n.store.total
          if (t >= 1) ge1++
          if (t >= 10) ge10++
          links += t
        }
        const cpu = process.cpuUsage(c0)
        console.log(`t=${s}s wall=${Math.round(performance.now() - t0)}ms cpu=${Math.round((cpu.user + cpu.system) / 1000)}ms ge1=${ge1} ge10=${ge10} ends=${links} conns=${sim.memory.totalConnections} open=${sim.memory.openConnections} heap=${Math.round(process.memoryUsage().heapUsed / 1048576)}MB`)
        if (ge10 === N) break
      }
    })
  ).pipe(
    Random.withSeed(1),
    Effect.provideService(References.TracerEnabled, false),
    Effect.provideService(References.MinimumLogLevel, "Warn"),
    Effect.provide(TestClock.layer({ warningDelay: "1 hour" }))
  )
)
