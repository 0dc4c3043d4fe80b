import { execFileSync, spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { version } from "../src/version.ts"

const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
const catp2p = (...args: Array<string>) =>
  execFileSync(process.execPath, ["--conditions=@catp2p/source", bin, ...args], { encoding: "utf8", timeout: 120_000 })

describe("the catp2p command", () => {
  it("prints its version and help", () => {
    expect(catp2p("--version")).toContain(version)
    const help = catp2p("--help")
    expect(help).toContain("demo")
    expect(help).toContain("handshakes")
  })

  it("demo --json: a local network of mixed protocols where every node gets every message", () => {
    const out = catp2p("demo", "--json", "--nodes", "5", "--duration", "2").trim().split("\n")
    const summary = JSON.parse(out[out.length - 1]!) as Record<string, unknown>
    expect(summary.nodes).toBe(5)
    expect(summary.messages).toBeGreaterThan(0)
    expect(summary.coverage).toBe(1)
    expect(summary.protocols).toEqual({ v10: 2, v11: 2, v9: 1 })
    expect(typeof summary.p50Ms).toBe("number")
    expect(typeof summary.p99Ms).toBe("number")
    expect(summary.drops).toBe(0)
  })

  it("refuses bad demo options with status 2", () => {
    const r = spawnSync(process.execPath, ["--conditions=@catp2p/source", bin, "demo", "--nodes", "1"], {
      encoding: "utf8"
    })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain("--nodes")
  })
})
