/**
 * The harness's side of a child process: spawns `children.ts <program>`
 * with the same Node (`process.execPath`, source condition), sends it commands, and
 * reads its protocol replies (see `Messages`). The child lives in the
 * current scope: closing it closes the child's stdin and waits up to 20 s
 * for it to exit by itself, then sends SIGTERM, then SIGKILL after 3 s.
 *
 * @since 0.1.0
 */
import { fileURLToPath } from "node:url"
import { Cause, Data, type Duration, Effect, Option, Queue, Schema, type Scope, Stream } from "effect"
import { ChildProcess } from "effect/process"
import type { ChildProcessSpawner } from "effect/process/ChildProcessSpawner"
import * as Messages from "./Messages.ts"

/**
 * A scenario could not run: a child failed, exited, or did not answer in time.
 *
 * @since 0.1.0
 */
export class BenchError extends Data.TaggedError("BenchError")<{ readonly message: string }> {}

/**
 * The absolute path of the bench command (`bin.ts`).
 *
 * @since 0.1.0
 */
export const BIN: string = fileURLToPath(new URL("./bin.ts", import.meta.url))

/**
 * The absolute path of the children's entry (`children.ts`): every child is
 * one of its subcommands.
 *
 * @since 0.1.0
 */
export const CHILD: string = fileURLToPath(new URL("./children.ts", import.meta.url))

/**
 * The Node arguments every child gets: TypeScript sources of the workspace.
 *
 * @since 0.1.0
 */
export const NODE_ARGS: ReadonlyArray<string> = ["--conditions=@catp2p/source"]

/**
 * The children: the subcommands of `children.ts`.
 *
 * @since 0.1.0
 */
export type Program = "node" | "net" | "dialer" | "broadcast"

/**
 * @since 0.1.0
 */
export interface ChildOptions {
  /** For messages: "receiver", "sender", ... */
  readonly name: string
  /** Which child: the subcommand of `children.ts`. */
  readonly program: Program
  /** Its flags (parsed by that subcommand). */
  readonly args?: ReadonlyArray<string>
  /** Extra Node flags (`--expose-gc`, `--cpu-prof`, ...). */
  readonly nodeArgs?: ReadonlyArray<string>
}

/**
 * A running child.
 *
 * @since 0.1.0
 */
export interface Child {
  readonly name: string
  readonly pid: number
  /** Sends a command (one JSON line on its stdin). */
  readonly send: (command: Messages.Command) => Effect.Effect<void>
  /** The next reply, decoded with `schema`, within `timeout`. */
  readonly expect: <S extends Schema.ConstraintDecoder<unknown>>(
    schema: S,
    timeout: Duration.Input
  ) => Effect.Effect<S["Type"], BenchError>
  /** `send`, then `expect`. */
  readonly request: <S extends Schema.ConstraintDecoder<unknown>>(
    command: Messages.Command,
    schema: S,
    timeout: Duration.Input
  ) => Effect.Effect<S["Type"], BenchError>
  /**
   * Closes its stdin (the child then exits by itself, finishing any
   * profile) and waits up to 20 s for it to exit. Also done when the scope
   * closes, before the SIGTERM.
   */
  readonly finish: Effect.Effect<void>
  /** The last lines the child wrote on stderr. */
  readonly stderrTail: () => string
}

const decodeJson = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Unknown))
const isFailed = Schema.is(Messages.Failed)

/**
 * Starts a child in the current scope.
 *
 * @since 0.1.0
 */
export const spawn = Effect.fnUntraced(function* (
  options: ChildOptions
): Effect.fn.Return<Child, BenchError, Scope.Scope | ChildProcessSpawner> {
  const { name } = options
  const input = yield* Queue.unbounded<string, Cause.Done>()
  const replies = yield* Queue.unbounded<unknown, Cause.Done>()
  const tail: Array<string> = []
  const handle = yield* ChildProcess.make(
    process.execPath,
    [...NODE_ARGS, ...(options.nodeArgs ?? []), CHILD, options.program, ...(options.args ?? [])],
    {
      stdin: { stream: Stream.fromQueue(input).pipe(Stream.encodeText) },
      killSignal: "SIGTERM",
      forceKillAfter: "3 seconds"
    }
  ).pipe(Effect.mapError((e) => new BenchError({ message: `${name}: could not start: ${e.message}` })))

  yield* handle.stderr.pipe(
    Stream.decodeText(),
    Stream.splitLines,
    Stream.runForEach((l) =>
      Effect.sync(() => {
        tail.push(l)
        if (tail.length > 30) tail.shift()
      })
    ),
    Effect.ignore,
    Effect.forkScoped
  )
  yield* handle.stdout.pipe(
    Stream.decodeText(),
    Stream.splitLines,
    Stream.runForEach((l) => {
      if (!l.startsWith(Messages.PREFIX)) return Effect.void
      const parsed = decodeJson(l.slice(Messages.PREFIX.length))
      return Option.isSome(parsed) ? Queue.offer(replies, parsed.value) : Effect.void
    }),
    Effect.ignore,
    Effect.ensuring(Queue.end(replies)),
    Effect.forkScoped
  )

  const finish = Effect.andThen(Queue.end(input), handle.exitCode).pipe(
    Effect.timeoutOption("20 seconds"),
    Effect.ignore
  )
  // closing the scope first lets the child exit by itself (it finishes its
  // profiles, closes its node); the spawner's kill runs after this
  yield* Effect.addFinalizer(() => finish)

  const stderrTail = () => (tail.length === 0 ? "" : `\n  stderr: ${tail.slice(-12).join("\n  ")}`)
  const fail = (message: string) => new BenchError({ message: `${name}: ${message}${stderrTail()}` })

  const expect = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, timeout: Duration.Input) =>
    Queue.take(replies).pipe(
      Effect.catch((e) => (Cause.isDone(e) ? Effect.fail(fail("exited")) : Effect.fail(fail(String(e))))),
      Effect.flatMap((reply) => {
        if (isFailed(reply)) return Effect.fail(fail(reply.message))
        return Schema.decodeUnknownEffect(schema)(reply).pipe(
          Effect.mapError(() => fail(`unexpected reply ${JSON.stringify(reply)}`))
        )
      }),
      Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(fail("no reply in time")) })
    )

  const send = (command: Messages.Command) => Effect.asVoid(Queue.offer(input, `${JSON.stringify(command)}\n`))

  return {
    name,
    pid: handle.pid,
    send,
    expect,
    request: (command, schema, timeout) => Effect.andThen(send(command), expect(schema, timeout)),
    finish,
    stderrTail
  } satisfies Child
})
