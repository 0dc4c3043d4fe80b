/**
 * The configuration of `catp2p node`: every field of the p2p `Config`, from
 * a flag, an environment variable or a JSON config file, with precedence
 * **flag > environment > file > default**, validated by the `Config` Schema.
 *
 * The names are those of `Config.fields` (the field table), so a new field
 * gets its flag and its variable with no change here. The table splits the
 * camelCase field name before each capital letter:
 *
 * | field | flag | environment variable | config file key |
 * |---|---|---|---|
 * | `targetPeers` | `--target-peers` | `CATP2P_TARGET_PEERS` | `"targetPeers"` |
 * | `peerIpLimitIncoming` | `--peer-ip-limit-incoming` | `CATP2P_PEER_IP_LIMIT_INCOMING` | `"peerIpLimitIncoming"` |
 * | `seedUrl` | `--seed-url` | `CATP2P_SEED_URL` | `"seedUrl"` |
 *
 * - flag: the words in lower case joined by `-`; it takes a value
 *   (`--target-peers 40` or `--target-peers=40`), except that a boolean may be
 *   given bare (`--enable-prometheus` = `--enable-prometheus=true`; to turn
 *   it off write `--enable-prometheus=false`);
 * - environment: `CATP2P_` and the words in upper case joined by `_`; an
 *   empty value is a value (`CATP2P_SEED_URL=` means no seed list); other
 *   `CATP2P_*` variables are ignored;
 * - config file (`--config path`): one JSON object whose keys are the field
 *   names, as in `Config.Encoded`: `{"targetPeers": 40, "roundTime": "5m"}`;
 *   an unknown key is an error.
 *
 * Every source holds text as `Config` reads it (durations `"5s"`, `"15m"`;
 * networks `MainNet`, `custom:<name>`, `0x`-hex; special peers
 * `ip:port,ip`; booleans `true`/`false`/`1`/`0`); the file may also hold
 * JSON numbers and booleans. Each source is decoded on its own by
 * `Config.decodeSettings` (each field's text and its own rule, so a bad
 * value is reported with where it came from, even when a higher source
 * overrides it), then the merged configuration is sanitized and checked as
 * by `Config.make` (the rules across fields). Every problem is reported,
 * each naming its field.
 *
 * @since 0.1.0
 */
import { Config } from "@catp2p/p2p"
import { Option, Result, Schema } from "effect"
import { Flag } from "effect/cli"

/**
 * A configuration field's name (camelCase, as in `Config`).
 *
 * @since 0.1.0
 */
export type Field = keyof Config.Config

/**
 * Where a setting came from.
 *
 * @since 0.1.0
 */
export type Source = "flag" | "env" | "file" | "default"

const BY_NAME = new Map<string, Config.FieldInfo>(Config.fields.map((f) => [f.name, f]))

/**
 * The flag of a field, without the leading `--` (as `Config.fields` writes
 * it): `targetPeers` → `target-peers`.
 *
 * @since 0.1.0
 */
export const flagName = (field: string): string => BY_NAME.get(field)?.flag ?? field

/**
 * The environment variable of a field (as `Config.fields` writes it):
 * `targetPeers` → `CATP2P_TARGET_PEERS`.
 *
 * @since 0.1.0
 */
export const envName = (field: string): string => BY_NAME.get(field)?.env ?? field

const METAVARS: { readonly [K in Config.FieldKind]: string } = {
  network: "NETWORK",
  integer: "N",
  string: "TEXT",
  duration: "DURATION",
  special: "PEERS",
  port: "PORT",
  protocol: "VERSION",
  boolean: "BOOL"
}

const describe = (field: Config.FieldInfo): string =>
  `${field.description}. Env ${field.env}; default ${field.default === "" ? '""' : field.default}`

/**
 * One optional text flag per configuration field, in `Config.fields` order,
 * each described with its environment variable and default.
 *
 * @since 0.1.0
 */
export const flags: { readonly [K in Field]: Flag.Flag<Option.Option<string>> } = Object.fromEntries(
  Config.fields.map((field) => {
    const flag = Flag.String(field.flag).pipe(
      Flag.withMetavar(METAVARS[field.kind]),
      Flag.withDescription(describe(field))
    )
    return [field.name, Flag.optional(field.kind === "boolean" ? Flag.withOptionalValue(flag, "true") : flag)]
  })
) as { readonly [K in Field]: Flag.Flag<Option.Option<string>> }

/**
 * The raw inputs of the resolution: flag texts by field, the environment,
 * and the config file (its path and text) when `--config` was given.
 *
 * @since 0.1.0
 */
export interface Inputs {
  readonly flags: { readonly [K in Field]?: string | undefined }
  readonly env: { readonly [name: string]: string | undefined }
  readonly file?: { readonly path: string; readonly text: string } | undefined
}

/**
 * A resolved configuration, and where each field's value came from.
 *
 * @since 0.1.0
 */
export interface Resolved {
  readonly config: Config.Config
  readonly origin: { readonly [K in Field]: Source }
}

/**
 * One unusable setting. `field` is the configuration field (or `"config"`
 * for the config file itself), `setting` how the user wrote it
 * (`--target-peers`, `CATP2P_TARGET_PEERS`, `targetPeers in node.json`), and
 * `message` the reason.
 *
 * @since 0.1.0
 */
export class OptionsError extends Schema.TaggedError<OptionsError>()("OptionsError", {
  field: Schema.String,
  source: Schema.Literals(["flag", "env", "file", "default"]),
  setting: Schema.String,
  message: Schema.String
}) {}

/**
 * One line for an {@link OptionsError}: `--target-peers (targetPeers): must …`.
 *
 * @since 0.1.0
 */
export const render = (error: OptionsError): string =>
  error.source === "flag" || error.source === "env"
    ? `${error.setting} (${error.field}): ${error.message}`
    : `${error.setting}: ${error.message}`

const settingOf = (field: string, source: Source, file: string | undefined): string => {
  switch (source) {
    case "flag":
      return `--${flagName(field)}`
    case "env":
      return envName(field)
    case "file":
      return `${field} in ${file ?? "the config file"}`
    case "default":
      return field
  }
}

const FIELDS = new Set<string>(Config.fields.map((f) => f.name))
const ORDER = new Map<string, number>(Config.fields.map((f, i) => [f.name, i]))
const squash = (s: string) => s.replace(/[^a-z0-9]/gi, "").toLowerCase()
const ALIASES = new Map<string, string>(
  Config.fields.flatMap((f) => [
    [squash(f.name), f.name],
    [squash(f.goName), f.name]
  ])
)

const unknownKey = (key: string): string => {
  const like = ALIASES.get(squash(key))
  return `is not a configuration setting${like === undefined ? "" : ` (did you mean "${like}"?)`}`
}

type Values = { -readonly [K in Field]?: Config.Config[K] }

// Decodes the settings of one source; every problem names its field.
const decodeSource = (
  source: Source,
  values: { readonly [key: string]: unknown },
  file: string | undefined
): Result.Result<Values, ReadonlyArray<OptionsError>> => {
  const decoded = Config.decodeSettings(values)
  if (Result.isSuccess(decoded)) return Result.succeed(decoded.success as Values)
  const errors = decoded.failure.map(
    ({ field, message }) =>
      new OptionsError({
        field,
        source,
        setting: settingOf(field, source, file),
        message: FIELDS.has(field) ? message : unknownKey(field)
      })
  )
  errors.sort((a, b) => (ORDER.get(a.field) ?? -1) - (ORDER.get(b.field) ?? -1))
  return Result.fail(errors)
}

const configFileError = (path: string, message: string) =>
  new OptionsError({ field: "config", source: "file", setting: `--config ${path}`, message })

/**
 * Parses the text of a config file: one JSON object.
 *
 * @since 0.1.0
 */
export const parseFile = (path: string, text: string): Result.Result<Record<string, unknown>, OptionsError> => {
  const parsed = Result.try({
    try: (): unknown => JSON.parse(text),
    catch: (e) => configFileError(path, `is not valid JSON: ${e instanceof Error ? e.message : String(e)}`)
  })
  return Result.flatMap(parsed, (value) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? Result.succeed(value as Record<string, unknown>)
      : Result.fail(
          configFileError(
            path,
            `must hold one JSON object of configuration settings, got ${Array.isArray(value) ? "an array" : JSON.stringify(value)}`
          )
        )
  )
}

/**
 * The configuration settings found in an environment: every `CATP2P_*`
 * variable named after a field, by field.
 *
 * @since 0.1.0
 */
export const fromEnv = (env: { readonly [name: string]: string | undefined }): { [K in Field]?: string } => {
  const out: { [K in Field]?: string } = {}
  for (const { name, env: variable } of Config.fields) {
    const value = env[variable]
    if (value !== undefined) out[name] = value
  }
  return out
}

/**
 * Resolves the configuration: each source decoded by the `Config` Schema
 * (unknown file keys rejected), merged flag > env > file > default,
 * sanitized and checked as by `Config.make`. Fails with every problem found,
 * each naming its field and where its value came from.
 *
 * @since 0.1.0
 */
export const resolve = (inputs: Inputs): Result.Result<Resolved, ReadonlyArray<OptionsError>> => {
  const errors: Array<OptionsError> = []
  const path = inputs.file?.path
  const layer = (source: Source, values: { readonly [key: string]: unknown }): Values => {
    const decoded = decodeSource(source, values, path)
    if (Result.isSuccess(decoded)) return decoded.success
    errors.push(...decoded.failure)
    return {}
  }

  let fileValues: Values = {}
  if (inputs.file !== undefined) {
    const parsed = parseFile(inputs.file.path, inputs.file.text)
    if (Result.isFailure(parsed)) errors.push(parsed.failure)
    else fileValues = layer("file", parsed.success)
  }
  const envValues = layer("env", fromEnv(inputs.env))
  const flagTexts = Object.fromEntries(Object.entries(inputs.flags).filter(([, v]) => v !== undefined))
  const flagValues = layer("flag", flagTexts)
  if (errors.length > 0) return Result.fail(errors)

  const origin = {} as { [K in Field]: Source }
  for (const { name } of Config.fields) {
    origin[name] = name in flagValues ? "flag" : name in envValues ? "env" : name in fileValues ? "file" : "default"
  }
  const config = Config.sanitize({ ...Config.defaults, ...fileValues, ...envValues, ...flagValues })
  const problems = Config.validate(config)
  if (problems.length === 0) return Result.succeed({ config, origin })
  return Result.fail(
    problems.map((p) => {
      const source = origin[p.field as Field] ?? "default"
      return new OptionsError({
        field: p.field,
        source,
        setting: settingOf(p.field, source, path),
        message: p.message
      })
    })
  )
}

/**
 * The flag texts of a parsed `node` command (`Option` per field) as {@link Inputs}`["flags"]`.
 *
 * @since 0.1.0
 */
export const flagTexts = (parsed: { readonly [K in Field]: Option.Option<string> }): Inputs["flags"] => {
  const out: { [K in Field]?: string } = {}
  for (const { name } of Config.fields) {
    const value = parsed[name]
    if (Option.isSome(value)) out[name] = value.value
  }
  return out
}
