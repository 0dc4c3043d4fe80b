#!/usr/bin/env node
// The `catp2p` executable. Plain JavaScript that any Node.js can parse, so an
// old Node gets one line naming the version needed instead of a crash deep in
// a dependency. Installed from the registry it runs the built `dist/`; in a
// checkout of the repository (after `npm ci`, as `npx catp2p`) it runs the
// TypeScript sources, resolving the workspace packages to their sources too.
// Either way the command runs in this process, so the process that holds the
// port is the one that receives SIGINT/SIGTERM (or, under npm's shell, sees
// that shell die: below).
import { realpathSync } from "node:fs"
import { fileURLToPath } from "node:url"

const NEEDED = [22, 19]
const [major, minor] = process.versions.node.split(".").map(Number)
if (major < NEEDED[0] || (major === NEEDED[0] && minor < NEEDED[1])) {
  process.stderr.write(
    `catp2p needs Node.js ${NEEDED.join(".")} or newer; this is v${process.versions.node} (${process.execPath}).\n`
  )
  process.exit(1)
}

// Started by npm (`npx catp2p`, `npm run catp2p`), we run under the `sh -c`
// npm spawns. Where that shell does not exec its command (dash, /bin/sh on
// Debian and Ubuntu), npm forwards SIGTERM to the shell, which dies without
// passing it on: we would keep running, holding the port. So when our parent
// goes away, shut down as if signalled (peer file written, port released).
// Windows has no such shell and no signals to forward.
if (process.env.npm_lifecycle_event !== undefined && process.platform !== "win32") {
  const parent = process.ppid
  const watch = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(watch)
      process.kill(process.pid, "SIGTERM")
    }
  }, 200)
  watch.unref()
}

const installed = realpathSync(fileURLToPath(import.meta.url)).split(/[\\/]/).includes("node_modules")
if (installed) {
  await import("../dist/bin.js")
} else {
  const { registerHooks } = await import("node:module")
  registerHooks({
    resolve: (specifier, context, next) =>
      next(specifier, { ...context, conditions: [...context.conditions, "@catp2p/source"] })
  })
  await import("../src/bin.ts")
}
