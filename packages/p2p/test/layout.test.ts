/**
 * The test suite's own rules (issue #13): behaviour tests use the public API
 * (`@catp2p/p2p`, the public modules at the top of `src/`) and the testing
 * entry (`@catp2p/p2p/testing`); only a unit test of one internal module,
 * under `test/internal/`, imports `src/internal/`. And neither entry point
 * re-exports the implementation: `src/index.ts` and `src/testing/index.ts`
 * export their own modules, never one from `internal/`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

const here = dirname(fileURLToPath(import.meta.url))
const packages = resolve(here, "../..")
const p2pSrc = join(packages, "p2p/src")

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  )

/** Every module specifier of `import … from "…"`, `export … from "…"` and `import("…")` in `source`. */
export const specifiers = (source: string): Array<string> =>
  Array.from(source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm), (m) => m[1]!)

/** The specifiers of `file` that resolve into p2p's `src/internal/`. */
export const internalImports = (file: string, source: string): Array<string> =>
  specifiers(source).filter((s) => {
    if (!s.startsWith(".")) return false
    const target = relative(p2pSrc, resolve(dirname(file), s))
    return target === "internal" || target.startsWith(`internal/`)
  })

/** The test folders of every package and of the repository, and p2p's `test/internal/` (unit tests of internal modules). */
const testDirs = [...readdirSync(packages).map((p) => join(packages, p, "test")), resolve(packages, "../test")].filter(
  (dir) => existsSync(dir)
)
const unitDir = join(packages, "p2p/test/internal")

describe("test layout", () => {
  it("the rule sees an internal import (and only one)", () => {
    const file = join(packages, "p2p/test/node/x.test.ts")
    assert.deepStrictEqual(
      internalImports(
        file,
        [
          'import { Guard } from "../../src/internal/guard/Guard.ts"',
          'import { Network } from "../../src/Network.ts"',
          'import { MemoryTransport } from "@catp2p/p2p/testing"',
          'export * from "../../src/internal/node/Inbox.ts"'
        ].join("\n")
      ),
      ["../../src/internal/guard/Guard.ts", "../../src/internal/node/Inbox.ts"]
    )
  })

  it("only unit tests under p2p's test/internal/ import src/internal/", () => {
    const offenders: Array<string> = []
    for (const dir of testDirs) {
      for (const file of filesUnder(dir)) {
        if (file.startsWith(`${unitDir}/`)) continue
        for (const s of internalImports(file, readFileSync(file, "utf8"))) {
          offenders.push(`${relative(packages, file)} imports ${s}`)
        }
      }
    }
    assert.deepStrictEqual(offenders, [], "use @catp2p/p2p or @catp2p/p2p/testing (Probe, PeerFiles, RawPeer)")
  })

  it("the entry points re-export no module of internal/", () => {
    for (const entry of ["index.ts", "testing/index.ts"]) {
      const file = join(p2pSrc, entry)
      const source = readFileSync(file, "utf8")
      const reExports = Array.from(source.matchAll(/^\s*export\b[^;]*?\bfrom\s*["']([^"']+)["']/gm), (m) => m[1]!)
      assert.isAbove(reExports.length, 0, entry)
      const internal = reExports.filter((s) => relative(p2pSrc, resolve(dirname(file), s)).startsWith("internal"))
      assert.deepStrictEqual(internal, [], `${entry} re-exports from internal/`)
    }
  })
})
