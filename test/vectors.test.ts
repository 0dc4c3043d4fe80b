import { readdirSync, readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { vectorsDir } from "./support/vectors.ts"

// Which test files consume each vector file (each ends with an "every vector used" test).
const consumers: Record<string, ReadonlyArray<string>> = {
  "crc32.json": ["packages/p2p/test/wire/types.test.ts"],
  "ids.json": ["packages/p2p/test/wire/types.test.ts"],
  "parcel_types.json": ["packages/p2p/test/wire/types.test.ts"],
  "peercache.json": ["packages/p2p/test/wire/types.test.ts"],
  "peershare.json": ["packages/p2p/test/wire/peershare.test.ts"],
  "v11.json": ["packages/p2p/test/wire/v11.test.ts"],
  "gob_v9.json": ["packages/gob/test/vectors.test.ts", "packages/p2p/test/wire/gob-protocols.test.ts"],
  "gob_v10.json": ["packages/gob/test/vectors.test.ts", "packages/p2p/test/wire/gob-protocols.test.ts"],
  "gob_edge.json": ["packages/gob/test/vectors.test.ts", "packages/p2p/test/wire/gob-protocols.test.ts"]
}

describe("test vectors", () => {
  const index = JSON.parse(readFileSync(new URL("index.json", vectorsDir), "utf8")) as { files: Record<string, string> }

  it("has every file the index lists, and nothing unlisted", () => {
    const present = readdirSync(vectorsDir).filter((f) => f.endsWith(".json") && f !== "index.json")
    expect(present.sort()).toEqual(Object.keys(index.files).sort())
  })

  it("has a test file consuming every vector file", () => {
    for (const file of Object.keys(index.files)) {
      const users = consumers[file]
      expect(users, `no test consumes ${file}`).toBeDefined()
      for (const user of users ?? []) {
        const text = readFileSync(new URL(`../${user}`, import.meta.url), "utf8")
        expect(text, `${user} should read ${file}`).toContain(file)
        expect(text, `${user} should check it used every vector`).toContain(".unused()")
      }
    }
  })
})
