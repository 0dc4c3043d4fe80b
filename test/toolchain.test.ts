import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { version } from "../packages/cli/src/version.ts"

describe("toolchain", () => {
  it("runs on the Node the repository brings (>= 22.19), not the machine's Node 20", () => {
    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
    expect(major > 22 || (major === 22 && minor >= 19), `running on Node ${process.versions.node}`).toBe(true)
  })

  it("keeps the CLI version in step with its package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../packages/cli/package.json", import.meta.url), "utf8"))
    expect(version).toBe(pkg.version)
  })
})
