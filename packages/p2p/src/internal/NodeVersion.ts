/**
 * Refuses a Node.js older than the package needs, with one line naming the
 * version, before any dependency is evaluated (on Node 20, `undici`, loaded by
 * `@effect/platform-node`, crashes while it is evaluated, with a stack trace
 * that says nothing about the version). Imported first by the package entries
 * (`index.ts`, `testing/index.ts`), so it is evaluated before the modules they
 * re-export. Plain statements, no Effect: nothing else may run first.
 *
 * @internal
 */
const NEEDED: readonly [number, number] = [22, 19]

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
if (major < NEEDED[0] || (major === NEEDED[0] && minor < NEEDED[1])) {
  process.stderr.write(
    `@catp2p/p2p needs Node.js ${NEEDED.join(".")} or newer; this is v${process.versions.node} (${process.execPath}).\n`
  )
  process.exit(1)
}

export {}
