// Prints the final `N passed, N failed` line CI reads, from vitest's JSON
// reports (the default suite's and the scale suite's) plus the static checks
// .ci/run ran before the tests.
// Usage: node scripts/test-summary.mjs <vitest-report.json>... [check=0|1 ...]
import { readFileSync } from "node:fs"

const args = process.argv.slice(2)
const checks = args.filter((arg) => /^[\w-]+=/.test(arg))
const reportPaths = args.filter((arg) => !checks.includes(arg))
let passed = 0
let failed = 0
if (reportPaths.length === 0) {
  console.error("no vitest report given")
  failed += 1
}
for (const reportPath of reportPaths) {
  try {
    const report = JSON.parse(readFileSync(reportPath, "utf8"))
    passed += report.numPassedTests
    failed += report.numFailedTests
    // A file that fails to load has no tests but must still count as a failure.
    for (const file of report.testResults ?? []) {
      if (file.status === "failed" && (file.assertionResults ?? []).length === 0) failed += 1
    }
    if (report.numTotalTests === 0) failed += 1
  } catch (error) {
    console.error(`no readable vitest report at ${reportPath}: ${error.message}`)
    failed += 1
  }
}
for (const check of checks) {
  const [name, status] = check.split("=")
  if (status === "0") passed += 1
  else {
    failed += 1
    console.error(`static check failed: ${name}`)
  }
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
