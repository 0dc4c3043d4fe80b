import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

describe("examples", () => {
  it("two-nodes: two nodes on loopback exchange and print messages, then exit", () => {
    const script = fileURLToPath(new URL("../examples/two-nodes.ts", import.meta.url))
    const out = execFileSync(process.execPath, ["--conditions=@catp2p/source", script], {
      encoding: "utf8",
      timeout: 60_000
    })
    for (let i = 1; i <= 3; i++) {
      expect(out).toMatch(new RegExp(`\\[node-b\\] from 127\\.0\\.0\\.1:\\d+ [0-9a-f]{8}: hello #${i} from node-a`))
      expect(out).toMatch(new RegExp(`\\[node-a\\] from 127\\.0\\.0\\.1:\\d+ [0-9a-f]{8}: hello #${i} from node-b`))
    }
    expect(out).toContain("using protocol 10")
    expect(out).toContain("done:")
  })
})
