import { defineConfig } from "vitest/config"
import base from "./vitest.config.ts"

// `npm run test:scale`: only the scale runs (`*.scale.test.ts`), with the
// default config's aliases and pool. .ci/run runs it after `npm test`.
// (Spread, not mergeConfig: mergeConfig would append to `include`.)
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["packages/*/test/**/*.scale.test.ts", "test/**/*.scale.test.ts"],
    exclude: ["**/node_modules/**"],
    // what the nodes log (peers connected, handshakes refused) is shown only for a failed test
    silent: "passed-only",
    testTimeout: 300_000,
    // one at a time: the memory bounds and the simulations' wall times are read per run
    maxWorkers: 1
  }
})
