import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))

// One config for the whole monorepo: every package's test/ folder, and the
// workspace packages resolved to their TypeScript sources (no build step).
// Scale runs (`*.scale.test.ts`: the 1,000-node simulation, the 500-node
// gossip, the bench smoke run, stress runs) are left to `npm run test:scale`
// (vitest.scale.config.ts), so the default `npm test` stays short.
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
    exclude: ["**/node_modules/**", "**/*.scale.test.ts"],
    // what the nodes log (peers connected, handshakes refused) is shown only for a failed test
    silent: "passed-only",
    // the test files of a worker share one module graph instead of importing
    // effect, the OpenTelemetry SDK and the library again for each of 65
    // files: 102 s -> 47 s wall, 176 s -> 71 s CPU for the same 671 tests on
    // this 2-core machine (import was 36 % of the time). Tests keep no state
    // in modules: each builds its nodes in its own scope, under its own clock.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // two test files at a time: vitest's default in run mode is one worker
    // fewer than the cores, so one on the 2-core CI machine (143 s there;
    // 86 s with two, measured on the same machine)
    maxWorkers: 2,
    sequence: { concurrent: false }
  }
})
