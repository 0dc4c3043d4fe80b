/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`, written by the harness's
 * children with `npm run bench -- --cpu-prof DIR`): self time per function and
 * per area (the Effect runtime, catp2p's modules, the gob codec, Node's
 * internals, garbage collection), walking the `.cpuprofile` JSON.
 *
 * @since 0.1.0
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Option, Schema } from "effect"

const CpuProfile = Schema.Struct({
  nodes: Schema.Array(
    Schema.Struct({
      id: Schema.Finite,
      callFrame: Schema.Struct({ functionName: Schema.String, url: Schema.String, lineNumber: Schema.Finite })
    })
  ),
  samples: Schema.Array(Schema.Finite),
  timeDeltas: Schema.Array(Schema.Finite)
})

const decodeProfile = Schema.decodeUnknownOption(Schema.fromJsonString(CpuProfile))

/**
 * Self time of one function or area.
 *
 * @since 0.1.0
 */
export interface Entry {
  readonly name: string
  readonly ms: number
  /** Share of the busy time (total minus idle), 0..1. */
  readonly share: number
}

/**
 * One profile's summary.
 *
 * @since 0.1.0
 */
export interface Summary {
  readonly file: string
  readonly totalMs: number
  readonly idleMs: number
  readonly functions: ReadonlyArray<Entry>
  readonly areas: ReadonlyArray<Entry>
}

/** Where a function's code lives, for the per-area summary. */
const areaOf = (url: string, name: string): string => {
  if (url === "") return name.startsWith("(") ? name : "native"
  if (url.includes("/node_modules/effect/")) return "effect runtime"
  if (url.includes("/node_modules/@effect/")) return "@effect/platform"
  const own = /\/packages\/(p2p|gob|cli)\/src\/(.+)$/.exec(url)
  if (own !== null) return own[1] === "gob" ? "gob codec" : `${own[1]}/${own[2]!.replace(/^protocol\//, "")}`
  if (url.startsWith("node:")) return "node internals"
  return "other"
}

const shortUrl = (url: string): string => {
  const own = /\/packages\/(.+)$/.exec(url)
  if (own !== null) return own[1]!.replace("/src/", "/")
  const lib = /\/node_modules\/(.+)$/.exec(url)
  if (lib !== null) return lib[1]!.replace("/dist/esm/", "/").replace("/src/", "/")
  return url
}

const top = (totals: Map<string, number>, busy: number, n: number): ReadonlyArray<Entry> =>
  [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, share: busy === 0 ? 0 : us / busy }))

/**
 * Summarizes one profile: the `n` functions and areas with the most self time.
 *
 * @since 0.1.0
 */
export const summarize = (file: string, json: string, n = 15): Option.Option<Summary> =>
  Option.map(decodeProfile(json), (profile) => {
    const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
    const functions = new Map<string, number>()
    const areas = new Map<string, number>()
    let total = 0
    let idle = 0
    // sample i lasts until the next one: timeDeltas[i + 1] microseconds
    for (let i = 0; i < profile.samples.length; i++) {
      const us = profile.timeDeltas[i + 1] ?? 0
      const frame = byId.get(profile.samples[i]!)
      if (frame === undefined || us <= 0) continue
      total += us
      const name = frame.functionName || "(anonymous)"
      if (name === "(idle)") {
        idle += us
        continue
      }
      const key = frame.url === "" ? name : `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`
      functions.set(key, (functions.get(key) ?? 0) + us)
      const area = areaOf(frame.url, name)
      areas.set(area, (areas.get(area) ?? 0) + us)
    }
    const busy = total - idle
    return {
      file,
      totalMs: total / 1000,
      idleMs: idle / 1000,
      functions: top(functions, busy, n),
      areas: top(areas, busy, n)
    }
  })

/**
 * Summarizes every `.cpuprofile` file in `dir`.
 *
 * @since 0.1.0
 */
export const summarizeDir = (dir: string, n = 15): Effect.Effect<ReadonlyArray<Summary>> =>
  Effect.sync(() => {
    const files = Option.liftThrowable(() => readdirSync(dir))().pipe(Option.getOrElse(() => []))
    const out: Array<Summary> = []
    for (const f of files.filter((f) => f.endsWith(".cpuprofile")).sort()) {
      const text = Option.liftThrowable(() => readFileSync(join(dir, f), "utf8"))()
      if (Option.isNone(text)) continue
      const s = summarize(f, text.value, n)
      if (Option.isSome(s)) out.push(s.value)
    }
    return out
  })

/**
 * A summary as text: busy time, areas, then functions, with their share of
 * the busy time.
 *
 * @since 0.1.0
 */
export const format = (s: Summary): string => {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`
  const lines = [
    `${s.file}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${((s.totalMs - s.idleMs) / 1000).toFixed(1)} s busy`,
    "  self time by area:",
    ...s.areas.map((e) => `    ${pct(e.share)}  ${e.name}`),
    "  self time by function:",
    ...s.functions.map((e) => `    ${pct(e.share)}  ${e.name}`)
  ]
  return lines.join("\n")
}
