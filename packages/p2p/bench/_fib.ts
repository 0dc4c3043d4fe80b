import { Deferred, Effect, Latch } from "effect"
const N = 20000
const heap = () => { (globalThis as any).gc(); return process.memoryUsage().heapUsed }
await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
  const d = yield* Deferred.make<void>()
  let h0 = heap()
  for (let i = 0; i < N; i++) yield* Effect.forkScoped(Deferred.await(d))
  yield* Effect.yieldNow
  let h1 = heap()
  console.log("fiber awaiting deferred:", Math.round((h1 - h0) / N), "B")
  h0 = heap()
  const ls: any[] = []
  for (let i = 0; i < N; i++) ls.push(Latch.makeUnsafe(false))
  h1 = heap()
  console.log("latch:", Math.round((h1 - h0) / N), "B")
  h0 = heap()
  const ds: any[] = []
  for (let i = 0; i < N; i++) ds.push(Deferred.makeUnsafe())
  h1 = heap()
  console.log("deferred:", Math.round((h1 - h0) / N), "B")
  h0 = heap()
  for (let i = 0; i < N; i++) yield* Effect.forkScoped(Effect.gen(function* () { for (;;) { yield* Deferred.await(d) } }))
  yield* Effect.yieldNow
  h1 = heap()
  console.log("gen loop fiber:", Math.round((h1 - h0) / N), "B")
  h0 = heap()
  for (let i = 0; i < N; i++) yield* Effect.forkScoped(Effect.scoped(Effect.gen(function* () { yield* Effect.addFinalizer(() => Effect.void); for (;;) { yield* Deferred.await(d) } })).pipe(Effect.catch(() => Effect.void), Effect.annotateLogs("x", "y"), Effect.withSpan("s", {}, {captureStackTrace: false})))
  yield* Effect.yieldNow
  h1 = heap()
  console.log("gen loop fiber scoped+catch+annot+span:", Math.round((h1 - h0) / N), "B")
})))
