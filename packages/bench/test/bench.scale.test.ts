/**
 * The bench smoke run (npm run test:scale): `npm run bench` (`bin.ts run`)
 * on a tiny configuration, every scenario, in a child process (~35 s on the
 * 2-core CI machine). The bench's pure parts are tested in bench.test.ts.
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))

describe("npm run bench smoke run", () => {
  it("runs every scenario on a tiny configuration and ends with the JSON summary", () => {
    const out = execFileSync(
      process.execPath,
      [
        "--conditions=@catp2p/source",
        bin,
        "run",
        ...["--quick", "--json", "--protocols", "11", "--sizes", "1024", "--window", "0.2"],
        ...["--peers", "10", "--nodes", "4", "--messages", "3", "--sim-nodes", "10", "--sim-timeout", "60"]
      ],
      { encoding: "utf8", timeout: 240_000, stdio: ["ignore", "pipe", "pipe"] }
    )
    const lines = out.trim().split("\n")
    const summary = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>
    expect(summary.errors).toEqual([])
    const throughput = summary.throughput as Array<Record<string, unknown>>
    expect(throughput).toHaveLength(1)
    const row = throughput[0]!
    expect(row.protocol).toBe(11)
    expect(row.size).toBe(1024)
    for (const key of ["parcelsPerSec", "mbPerSec", "baselineMbPerSec", "ratio", "dropped", "lost"]) {
      expect(typeof row[key], key).toBe("number")
    }
    expect(row.parcelsPerSec as number).toBeGreaterThan(0)
    expect(row.baselineMbPerSec as number).toBeGreaterThan(0)
    expect(row.droppedBy).toEqual({ sendQueue: expect.any(Number), applicationQueue: expect.any(Number) })
    expect(typeof (row.unpaced as Record<string, unknown>).dropped).toBe("number")
    expect(Object.keys(summary.handshakesPerSec as object)).toEqual(["11"])
    expect((summary.handshakesPerSec as Record<string, number>)["11"]).toBeGreaterThan(0)
    expect(typeof summary.bytesPerIdlePeer).toBe("number")
    expect(typeof summary.marginalBytesPerIdlePeer).toBe("number")
    expect(typeof summary.broadcastP50Ms).toBe("number")
    expect(typeof summary.broadcastP99Ms).toBe("number")
    expect((summary.broadcast as Record<string, unknown>).complete).toBe(3)
    expect(summary.sim).toEqual([expect.objectContaining({ nodes: 10, status: "ok", connected: true })])
    // the tables came first
    expect(out).toContain("Throughput A → B")
    expect(out).toContain("node:net")
  }, 300_000)
})
