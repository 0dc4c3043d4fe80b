import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))

// One config for the whole monorepo: every package's test/ folder, and the
// workspace packages resolved to their TypeScript sources (no build step).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@catp2p\/gob$/, replacement: src("gob/src/index.ts") },
      { find: /^@catp2p\/p2p$/, replacement: src("p2p/src/index.ts") },
      { find: /^@catp2p\/p2p\/testing$/, replacement: src("p2p/src/testing/index.ts") },
      { find: /^@catp2p\/cli$/, replacement: src("cli/src/index.ts") }
    ]
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    sequence: { concurrent: false }
  }
})
