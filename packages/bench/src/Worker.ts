/**
 * What every child process of the harness shares (its parameters come as
 * flags of `children.ts ...`, parsed by the same effect/cli parser): the
 * replies it prints, the commands it reads from stdin, its memory figures, and how
 * it runs (Node services, logs only from errors up).
 *
 * @since 0.1.0
 */
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector"
import { Cause, Effect, Fiber, Option, References, Schema, type Scope, Stdio, Stream } from "effect"
import * as Messages from "./Messages.ts"

/**
 * Prints a reply for the harness.
 *
 * @since 0.1.0
 */
export const reply = (message: object): Effect.Effect<void> =>
  Effect.sync(() => {
    process.stdout.write(`${Messages.line(message)}\n`)
  })

/**
 * The message of a failure, for the harness.
 *
 * @since 0.1.0
 */
export const describe = (cause: Cause.Cause<unknown>): string => {
  const e = Cause.squash(cause)
  if (typeof e === "string") return e
  if (typeof e === "object" && e !== null && "message" in e) return String(e.message)
  return String(e)
}

const decodeCommand = Schema.decodeUnknownOption(Schema.fromJsonString(Messages.Command))

const post = (session: Session, method: string, params?: object) =>
  Effect.callback<unknown>((resume) => {
    session.post(method, params, (error, result) => resume(error ? Effect.die(error) : Effect.succeed(result)))
  })

/**
 * CPU-profiles this process (V8's sampling profiler through `node:inspector`,
 * every 500 µs) from `afterMs` from now for `forMs`, and writes the
 * profile to `file`: a profile of the measured window only, without
 * start-up and module loading.
 *
 * @since 0.1.0
 */
export const profileWindow = (file: string, afterMs: number, forMs: number): Effect.Effect<void> =>
  Effect.gen(function* () {
    yield* Effect.sleep(afterMs)
    const session = new Session()
    session.connect()
    yield* post(session, "Profiler.enable")
    yield* post(session, "Profiler.setSamplingInterval", { interval: 500 })
    yield* post(session, "Profiler.start")
    yield* Effect.sleep(forMs)
    const stopped = (yield* post(session, "Profiler.stop")) as { readonly profile: unknown }
    yield* Effect.sync(() => {
      writeFileSync(file, JSON.stringify(stopped.profile))
      session.disconnect()
    })
  })

/**
 * Handles the harness's commands one after the other until stdin closes
 * (the harness is done with this child). A failing command is answered
 * with an `error` reply. `profile` is handled here, for every child (in
 * the background: the next commands are not held up; when stdin closes,
 * profiles still running are finished first).
 *
 * @since 0.1.0
 */
export const serve = (
  handle: (command: Messages.Command) => Effect.Effect<void, unknown>
): Effect.Effect<void, never, Stdio.Stdio> =>
  Effect.gen(function* () {
    const stdio = yield* Stdio.Stdio
    const profiles: Array<Fiber.Fiber<void>> = []
    yield* stdio.stdin.pipe(
      Stream.decodeText(),
      Stream.splitLines,
      Stream.runForEach((l) => {
        const command = decodeCommand(l)
        if (Option.isNone(command)) return reply({ type: "error", message: `bad command ${JSON.stringify(l)}` })
        const c = command.value
        if (c.cmd === "profile") {
          return Effect.map(Effect.forkChild(profileWindow(c.file, c.afterMs, c.forMs)), (f) => {
            profiles.push(f)
          })
        }
        return handle(c).pipe(
          Effect.catchCause((cause) =>
            reply({ type: "error", message: `${command.value.cmd} failed: ${describe(cause)}` })
          )
        )
      }),
      Effect.ignore
    )
    // the harness is done: finish the profiles still running (a busy process's timers run late)
    yield* Fiber.awaitAll(profiles).pipe(Effect.timeoutOption("20 seconds"))
  })

/**
 * Tells the harness the child is ready (with its RSS at that point).
 *
 * @since 0.1.0
 */
export const ready = (fields: { readonly port?: number; readonly hash?: string } = {}): Effect.Effect<void> =>
  Effect.suspend(() => reply({ type: "ready", ...fields, rss: process.memoryUsage().rss }))

/**
 * The peak resident set size of this process so far, in KiB.
 *
 * @since 0.1.0
 */
export const maxRssKiB = (): number => process.resourceUsage().maxRSS

/**
 * Memory after full garbage collections (the child runs with
 * `--expose-gc`; without it the figures include garbage).
 *
 * @since 0.1.0
 */
export const memory = (peers: number): Effect.Effect<typeof Messages.Memoried.Type> =>
  Effect.sync(() => {
    const gc = (globalThis as { gc?: () => void }).gc
    if (gc !== undefined) for (let i = 0; i < 3; i++) gc()
    const m = process.memoryUsage()
    return { type: "memory", rss: m.rss, heapUsed: m.heapUsed, external: m.external, peers } as const
  })

/**
 * Runs a child's program: log output only for errors, and an `error` reply
 * if the program fails (the failure is kept: the process exits non-zero).
 *
 * @since 0.1.0
 */
export const run = <R>(program: Effect.Effect<void, unknown, R>): Effect.Effect<void, unknown, Exclude<R, Scope.Scope>> =>
  program.pipe(
    Effect.scoped,
    Effect.catchCause((cause) =>
      Effect.andThen(reply({ type: "error", message: describe(cause) }), Effect.failCause(cause))
    ),
    Effect.provideService(References.MinimumLogLevel, "Error")
  )
