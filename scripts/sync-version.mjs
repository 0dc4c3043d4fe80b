// After `changeset version`: writes @catp2p/cli's package.json version into
// packages/cli/src/version.ts (what `catp2p --version` prints), so the two
// cannot drift (test/toolchain.test.ts checks they are equal).
import { readFileSync, writeFileSync } from "node:fs"

const root = new URL("../", import.meta.url)
const { version } = JSON.parse(readFileSync(new URL("packages/cli/package.json", root), "utf8"))
const file = new URL("packages/cli/src/version.ts", root)
const text = readFileSync(file, "utf8")
const next = text.replace(/export const version = "[^"]*"/, `export const version = ${JSON.stringify(version)}`)
if (next === text && !text.includes(`"${version}"`)) {
  process.stderr.write("sync-version: no `export const version = \"...\"` in packages/cli/src/version.ts\n")
  process.exit(1)
}
writeFileSync(file, next)
process.stdout.write(`catp2p version ${version}\n`)
