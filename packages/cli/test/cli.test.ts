import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { version } from "../src/version.ts"
import { run } from "./support/InProcess.ts"

// The command in this process (see support/InProcess.ts); the executable itself in launcher.test.ts.
describe("the catp2p command", () => {
  it.live("prints its version and help", () =>
    Effect.gen(function* () {
      const v = yield* run(["--version"])
      assert.strictEqual(v.status, 0)
      assert.include(v.stdout, version)
      const help = yield* run(["--help"])
      assert.strictEqual(help.status, 0)
      for (const name of ["node", "demo", "handshakes"]) assert.include(help.stdout, name)
    })
  )

  it.live("demo --json: a local network of mixed protocols where every node gets every message", () =>
    Effect.gen(function* () {
      const r = yield* run(["demo", "--json", "--nodes", "5", "--duration", "2"])
      assert.strictEqual(r.status, 0, r.stderr)
      const lines = r.stdout.trim().split("\n")
      assert.lengthOf(lines, 1, "--json prints only the summary")
      const summary = JSON.parse(lines[0]!) as Record<string, unknown>
      assert.strictEqual(summary.nodes, 5)
      assert.isAbove(summary.messages as number, 0)
      assert.strictEqual(summary.coverage, 1)
      assert.deepStrictEqual(summary.protocols, { v10: 2, v11: 2, v9: 1 })
      assert.isNumber(summary.p50Ms)
      assert.isNumber(summary.p99Ms)
      assert.strictEqual(summary.drops, 0)
    })
  )

  it.live("refuses bad demo options with status 2, naming the option", () =>
    Effect.gen(function* () {
      const few = yield* run(["demo", "--nodes", "1"])
      assert.strictEqual(few.status, 2)
      assert.include(few.stderr, "--nodes")
      assert.strictEqual(few.stdout, "")
      const short = yield* run(["demo", "--duration", "0"])
      assert.strictEqual(short.status, 2)
      assert.include(short.stderr, "--duration")
    })
  )

  it.live("handshakes: a row per pair of protocol versions, each delivering its parcel", () =>
    Effect.gen(function* () {
      const r = yield* run(["handshakes"])
      assert.strictEqual(r.status, 0, r.stderr)
      const rows = r.stdout.trim().split("\n").slice(1)
      assert.deepStrictEqual(
        rows.map((row) => row.split(/\s+/).slice(0, 2).join(" ")),
        ["v9 v9", "v9 v10", "v9 v11", "v10 v9", "v10 v10", "v10 v11", "v11 v9", "v11 v10", "v11 v11"]
      )
      for (const row of rows)
        assert.match(row, new RegExp(`^${row.split(" ")[0]}\\s.*"hello from a ${row.split(" ")[0]} node"$`))
    })
  )
})
