/**
 * Helpers the CLI tests share, whether the command runs in this process
 * (`InProcess.ts`) or as a child process (`node-process.test.ts`).
 */
import { createHash } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Duration, Effect, Schedule } from "effect"

export const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")

/** A temporary directory, removed with the scope. */
export const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** The flags of a node on 127.0.0.1, any free port, the tests' own network. */
export const local = (name: string): Array<string> => [
  "--bind-ip",
  "127.0.0.1",
  "--listen-port",
  "0",
  "--network",
  "custom:catp2p-cli-test",
  "--node-name",
  name
]

/**
 * Waits (bounded by `deadline`, checking every `every`) until `find` returns
 * something; past the deadline the test dies with what the command printed.
 */
export const waitUntil = <A>(
  what: string,
  find: () => A | undefined,
  printed: () => string,
  deadline: Duration.Input,
  every: Duration.Input
): Effect.Effect<A> =>
  Effect.suspend(() => {
    const found = find()
    return found === undefined ? Effect.fail("not yet") : Effect.succeed(found)
  }).pipe(
    Effect.retry(Schedule.spaced(every)),
    Effect.orDie,
    Effect.timeoutOrElse({
      duration: deadline,
      orElse: () => Effect.die(new Error(`${what} within ${deadline}\n${printed()}`))
    })
  )
