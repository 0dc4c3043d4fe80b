/**
 * `npm run docs:config`: prints the README's configuration table (field,
 * default, meaning, flag, environment variable) from `Config.fields`, so the
 * table is generated from the same data as the schema and the flags.
 */
import { Config } from "@catp2p/p2p"
import * as NodeOptions from "../src/NodeOptions.ts"

/** The markdown table. */
export const table = (): string => {
  const rows = Config.fields.map((f) => {
    const value = f.default === "" ? "(empty)" : `\`${f.default}\``
    return `| \`${f.name}\` (Go \`${f.goName}\`) | ${value} | ${f.description} | \`--${NodeOptions.flagName(f.name)}\` | \`${NodeOptions.envName(f.name)}\` |`
  })
  return ["| field | default | meaning | flag | environment |", "|---|---|---|---|---|", ...rows].join("\n")
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  console.log(table())
}
