import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

// One config for the whole monorepo: every package's test/ folder, and the
// workspace packages resolved to their TypeScript sources (no build step).
export default defineConfig({
  resolve: {
    alias: {
      "@catp2p/gob": src("gob"),
      "@catp2p/p2p": src("p2p"),
      "@catp2p/cli": src("cli")
    }
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    sequence: { concurrent: false }
  }
})
