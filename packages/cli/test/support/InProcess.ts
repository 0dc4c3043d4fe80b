/**
 * Runs the `catp2p` command inside the test process, as `bin.ts` runs it
 * (`Cli.run` on the platform services), but with a captured console (stdout:
 * `Console.log`; stderr: `Console.error`, where the logs go too), lines fed
 * to its stdin, its own environment, a recorded exit status instead of
 * `process.exit`, and the in-memory transport for its node when one is given.
 *
 * What needs a real process (signals, the exit status reaching the shell,
 * the launcher, TCP end to end) is tested with spawned processes elsewhere.
 */
import { format } from "node:util"
import { NodeServices } from "@effect/platform-node"
import type { Transport } from "@catp2p/p2p"
import { MemoryTransport } from "@catp2p/p2p/testing"
import {
  Cause,
  Console,
  type Duration,
  Effect,
  Exit,
  Fiber,
  type Layer,
  Queue,
  type Scope,
  Stdio,
  Stream
} from "effect"
import * as Cli from "../../src/Cli.ts"
import { Host, processHost } from "../../src/internal/Host.ts"
import { waitUntil } from "./common.ts"

/** A `Host.exit` in a test: the command ends here with this status. */
class Exited {
  readonly code: number
  constructor(code: number) {
    this.code = code
  }
}

/** How a command ended, as the shell would see it. */
const status = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0
  for (const reason of exit.cause.reasons) {
    if (Cause.isDieReason(reason) && reason.defect instanceof Exited) return reason.defect.code
  }
  // NodeRuntime.runMain: 130 when interrupted (a signal), 1 for any other failure
  return Cause.hasInterruptsOnly(exit.cause) ? 130 : 1
}

export interface Options {
  /** The environment variables the command sees (nothing else of the test's). */
  readonly env?: Record<string, string>
  /** The node's transport (default: TCP). */
  readonly transport?: Layer.Layer<Transport.Transport>
}

/** A command running in this process. */
export interface Running {
  readonly name: string
  readonly stdout: Array<string>
  readonly stderr: Array<string>
  /** stdout lines that are JSON objects */
  readonly events: Array<Event>
  /** Writes a line to its stdin. */
  readonly write: (line: string) => Effect.Effect<void>
  /** Ends its stdin (Ctrl-D, or a closed pipe). */
  readonly end: Effect.Effect<void>
  /** What the runtime does on SIGINT/SIGTERM: interrupts the command. */
  readonly interrupt: Effect.Effect<void>
  /** Waits for the command to end; its exit status. */
  readonly status: Effect.Effect<number>
}

export type Event = Record<string, unknown> & { readonly event: string }

/** Starts `catp2p ...args` in a fiber of the current scope (interrupted when it closes). */
export const start = (
  name: string,
  args: ReadonlyArray<string>,
  options: Options = {}
): Effect.Effect<Running, never, Scope.Scope> =>
  Effect.gen(function* () {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const events: Array<Event> = []
    const toStdout = (...items: ReadonlyArray<unknown>) => {
      for (const line of format(...items).split("\n")) {
        stdout.push(line)
        if (line.startsWith("{")) events.push(JSON.parse(line) as Event)
      }
    }
    const toStderr = (...items: ReadonlyArray<unknown>) => {
      stderr.push(...format(...items).split("\n"))
    }
    const console: Console.Console = {
      ...globalThis.console,
      log: toStdout,
      info: toStdout,
      debug: toStdout,
      error: toStderr,
      warn: toStderr
    }
    const stdin = yield* Queue.unbounded<string, Cause.Done>()
    const encoder = new TextEncoder()
    const stdio = Stdio.layerTest({
      args: Effect.succeed(args),
      stdin: Stream.fromQueue(stdin).pipe(Stream.map((line) => encoder.encode(`${line}\n`)))
    })
    const fiber = yield* Cli.run.pipe(
      Effect.provide(stdio),
      Effect.provide(NodeServices.layer),
      Effect.provideService(Console.Console, console),
      Effect.provideService(Host, {
        env: Effect.succeed({ ...options.env }),
        exit: (code) => Effect.die(new Exited(code)),
        transport: options.transport ?? processHost.transport
      }),
      Effect.forkScoped
    )
    return {
      name,
      stdout,
      stderr,
      events,
      write: (line) => Effect.asVoid(Queue.offer(stdin, line)),
      end: Effect.asVoid(Queue.end(stdin)),
      interrupt: Effect.asVoid(Fiber.interrupt(fiber)),
      status: Effect.map(Fiber.await(fiber), status)
    }
  })

/** Runs `catp2p ...args` to its end with `stdin` as its input, then the end of input. */
export const run = (args: ReadonlyArray<string>, options: Options & { readonly stdin?: ReadonlyArray<string> } = {}) =>
  Effect.scoped(
    Effect.gen(function* () {
      const cmd = yield* start("catp2p", args, options)
      for (const line of options.stdin ?? []) yield* cmd.write(line)
      yield* cmd.end
      const code = yield* cmd.status
      return { status: code, stdout: cmd.stdout.join("\n"), stderr: cmd.stderr.join("\n"), events: cmd.events }
    })
  )

const DEADLINE: Duration.Input = "20 seconds"

/** Waits (bounded) until `find` returns something: the command runs in other fibers of this process. */
export const waitFor = <A>(cmd: Running, what: string, find: () => A | undefined): Effect.Effect<A> =>
  waitUntil(
    `${cmd.name}: no ${what}`,
    find,
    () => `stdout:\n${cmd.stdout.join("\n")}\nstderr:\n${cmd.stderr.join("\n")}`,
    DEADLINE,
    "10 millis"
  )

/** The first event from index `from` on that is `kind` and matches. */
export const event = (cmd: Running, kind: string, matches: (e: Event) => boolean = () => true, from = 0) =>
  waitFor(cmd, `${kind} event`, () => cmd.events.slice(from).find((e) => e.event === kind && matches(e)))

/** Sends a command line and waits for the first `kind` event after it. */
export const ask = (cmd: Running, line: string, kind: string) =>
  Effect.suspend(() => {
    const at = cmd.events.length
    return Effect.andThen(
      cmd.write(line),
      event(cmd, kind, () => true, at)
    )
  })

/** One in-memory network whose hosts all answer at 127.0.0.1, as nodes on one machine. */
export const memoryNetwork = Effect.map(MemoryTransport.makeNetwork(), (network) =>
  MemoryTransport.layerHost(network, "127.0.0.1")
)
