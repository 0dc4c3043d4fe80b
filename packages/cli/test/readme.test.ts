import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { table } from "../scripts/config-table.ts"

// The README's configuration table is generated from Config.fields (npm run docs:config).
describe("README", () => {
  it("holds the configuration table generated from Config.fields", () => {
    const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8")
    const between = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme)
    expect(between?.[1]).toBe(table())
  })
})
