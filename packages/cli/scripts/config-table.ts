/**
 * `npm run docs:config`: prints the README's configuration table (field,
 * default, meaning, flag, environment variable) from `Config.fields`, the
 * field table from which the Schema, the defaults and the CLI's flags are made too.
 */
import { Config } from "@catp2p/p2p"

/** The markdown table. */
export const table = (): string => {
  const rows = Config.fields.map((f) => {
    const value = f.default === "" ? "(empty)" : `\`${f.default}\``
    return `| \`${f.name}\` (Go \`${f.goName}\`) | ${value} | ${f.description} | \`--${f.flag}\` | \`${f.env}\` |`
  })
  return ["| field | default | meaning | flag | environment |", "|---|---|---|---|---|", ...rows].join("\n")
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  console.log(table())
}
