/**
 * The seed list (Go: `seed` in seed.go): `ip:port` lines read from
 * `seedUrl`, an http(s) URL or a local file, and cached for
 * `peerReseedInterval`. The node dials seeds when it has few peers.
 *
 * Where catp2p differs from Go: Go caches whatever a failed read produced
 * (often nothing) for the whole interval; catp2p keeps the last good list and
 * retries sooner (after `min(peerReseedInterval, 30 s)`). Go follows
 * `http.Get` only; catp2p also reads `file://` URLs and plain paths. Every
 * read is bounded: 4 MiB of body, 10 s, 10,000 endpoints, 1,024 characters a
 * line, so a hostile seed source cannot bloat memory or stall the node.
 *
 * @since 0.1.0
 */
import { fileURLToPath } from "node:url"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Clock, Context, Duration, Effect, FileSystem, Layer, Schema, Semaphore, Stream } from "effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Endpoint from "../../Endpoint.ts"
import { NodeConfig } from "../node/NodeConfig.ts"
import * as Reasons from "../log/Reasons.ts"

/**
 * Most bytes read from a seed source; a larger one fails with `TooLarge`.
 *
 * @since 0.1.0
 */
export const MAX_SEED_BYTES = 4 * 1024 * 1024

/**
 * Most endpoints kept from one seed list; further lines are skipped.
 *
 * @since 0.1.0
 */
export const MAX_SEED_ENDPOINTS = 10_000

/**
 * Longest line (after trimming) read as an endpoint; longer ones are skipped.
 *
 * @since 0.1.0
 */
export const MAX_SEED_LINE_LENGTH = 1024

/**
 * Time limit of one read of the seed source (request and body).
 *
 * @since 0.1.0
 */
export const SEED_TIMEOUT: Duration.Duration = Duration.seconds(10)

/**
 * Longest wait before retrying a seed source that failed.
 *
 * @since 0.1.0
 */
export const SEED_RETRY: Duration.Duration = Duration.seconds(30)

const MAX_SKIPPED_LISTED = 100
const MAX_SKIPPED_TEXT = 120

/**
 * A line of a seed list that was not used, with its 1-based number, its
 * (trimmed, at most 120 characters) text and why.
 *
 * @since 0.1.0
 */
export interface SkippedLine {
  readonly line: number
  readonly text: string
  readonly reason: string
}

/**
 * A parsed seed list: the endpoints in order of first appearance, and the
 * skipped lines (the first 100 of them; `skippedCount` counts them all).
 *
 * @since 0.1.0
 */
export interface SeedList {
  readonly endpoints: ReadonlyArray<Endpoint.Endpoint>
  readonly skipped: ReadonlyArray<SkippedLine>
  readonly skippedCount: number
}

/**
 * Limits for {@link parseSeedList}; default {@link MAX_SEED_ENDPOINTS} and
 * {@link MAX_SEED_LINE_LENGTH}.
 *
 * @since 0.1.0
 */
export interface ParseOptions {
  readonly maxEndpoints?: number | undefined
  readonly maxLineLength?: number | undefined
}

/**
 * Parses a seed list: one `ip:port` (`host:port`, `[ipv6]:port`) a line,
 * trimmed. Blank lines are skipped silently; lines that are not an endpoint,
 * too long, repeated (the first is kept) or beyond the endpoint cap are
 * skipped with a reason. Once the cap is reached the rest of the text is not
 * parsed: one skipped entry says how many lines were left.
 *
 * @example
 * ```ts
 * import { Seeds } from "@catp2p/p2p"
 * Seeds.parseSeedList("1.2.3.4:8108\n\njunk\n").endpoints.length // 1
 * ```
 * @since 0.1.0
 */
export const parseSeedList = (text: string, options: ParseOptions = {}): SeedList => {
  const maxEndpoints = options.maxEndpoints ?? MAX_SEED_ENDPOINTS
  const maxLineLength = options.maxLineLength ?? MAX_SEED_LINE_LENGTH
  const endpoints: Array<Endpoint.Endpoint> = []
  const skipped: Array<SkippedLine> = []
  const seen = new Map<string, number>()
  let skippedCount = 0
  const skip = (line: number, raw: string, reason: string) => {
    skippedCount++
    if (skipped.length >= MAX_SKIPPED_LISTED) return
    const shown = raw.length > MAX_SKIPPED_TEXT ? `${raw.slice(0, MAX_SKIPPED_TEXT)}…` : raw
    skipped.push({ line, text: shown, reason })
  }
  const lines = text.split(/\r?\n|\r/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === "") continue
    if (endpoints.length >= maxEndpoints) {
      const rest = lines.slice(i + 1).filter((l) => l.trim() !== "").length
      skip(i + 1, line, `over the cap of ${maxEndpoints} endpoints (${rest} more lines not read)`)
      skippedCount += rest
      break
    }
    if (line.length > maxLineLength) {
      skip(i + 1, line, `line longer than ${maxLineLength} characters`)
      continue
    }
    const parsed = Endpoint.parse(line)
    if (parsed._tag === "Failure") {
      skip(i + 1, line, parsed.failure.message)
      continue
    }
    const key = Endpoint.format(parsed.success)
    const first = seen.get(key)
    if (first !== undefined) {
      skip(i + 1, line, `duplicate of line ${first}`)
      continue
    }
    seen.set(key, i + 1)
    endpoints.push(parsed.success)
  }
  return { endpoints, skipped, skippedCount }
}

/**
 * A seed source that could not be read: not reachable (connection refused,
 * DNS, timeout), a non-2xx HTTP status, a file that cannot be read, or more
 * than {@link MAX_SEED_BYTES}.
 *
 * @since 0.1.0
 */
export class SeedError extends Schema.TaggedError<SeedError>()("SeedError", {
  source: Schema.String,
  reason: Schema.Literals(["Unreachable", "HttpStatus", "Unreadable", "TooLarge"]),
  message: Schema.String
}) {}

/**
 * Where a seed list comes from, as `seedUrl` says: nowhere (empty), an
 * http(s) URL, or a file (`file://` URL or any other text, as a path).
 *
 * @since 0.1.0
 */
export type SeedSource =
  | { readonly _tag: "None" }
  | { readonly _tag: "Http"; readonly url: string }
  | { readonly _tag: "File"; readonly path: string }

/**
 * Classifies `seedUrl` (see {@link SeedSource}); a `file://` URL is kept as
 * given and turned into a path when read.
 *
 * @since 0.1.0
 */
export const sourceOf = (seedUrl: string): SeedSource => {
  const source = seedUrl.trim()
  if (source === "") return { _tag: "None" }
  if (/^https?:\/\//i.test(source)) return { _tag: "Http", url: source }
  return { _tag: "File", path: source }
}

/**
 * @since 0.1.0
 */
export interface SeedsService {
  /**
   * The current seed list, read again when older than `peerReseedInterval`.
   * Never fails: a failed read is logged, the last good list (or none) is
   * kept and the source is tried again after `min(peerReseedInterval, 30 s)`.
   */
  readonly get: Effect.Effect<ReadonlyArray<Endpoint.Endpoint>>
  /** Reads the source now; on success the list is also what `get` returns next. */
  readonly fetch: Effect.Effect<ReadonlyArray<Endpoint.Endpoint>, SeedError>
}

const tooLarge = (source: string) =>
  new SeedError({ source, reason: "TooLarge", message: `seed list larger than ${MAX_SEED_BYTES} bytes` })

/** Reads a byte stream into text, failing with `TooLarge` past `MAX_SEED_BYTES`. */
const readCapped = <E>(
  source: string,
  stream: Stream.Stream<Uint8Array, E>,
  onError: (e: E) => SeedError
): Effect.Effect<string, SeedError> =>
  stream.pipe(
    Stream.mapError(onError),
    Stream.runFoldEffect(
      () => ({ size: 0, chunks: [] as Array<Uint8Array> }),
      (acc, chunk: Uint8Array) => {
        acc.size += chunk.length
        if (acc.size > MAX_SEED_BYTES) return Effect.fail(tooLarge(source))
        acc.chunks.push(chunk)
        return Effect.succeed(acc)
      }
    ),
    Effect.map(({ size, chunks }) => {
      const bytes = new Uint8Array(size)
      let at = 0
      for (const chunk of chunks) {
        bytes.set(chunk, at)
        at += chunk.length
      }
      return new TextDecoder().decode(bytes)
    })
  )

const readHttp = (client: HttpClient.HttpClient, url: string): Effect.Effect<string, SeedError> =>
  client.get(url).pipe(
    // with its causes: "Transport error" alone does not say connection refused, DNS, TLS …
    Effect.mapError((e) => new SeedError({ source: url, reason: "Unreachable", message: Reasons.withCauses(e) })),
    Effect.flatMap((response) => {
      if (response.status < 200 || response.status > 299) {
        // read at most one chunk, so the connection is released
        return Stream.take(response.stream, 1).pipe(
          Stream.runDrain,
          Effect.ignore,
          Effect.andThen(
            Effect.fail(new SeedError({ source: url, reason: "HttpStatus", message: `HTTP status ${response.status}` }))
          )
        )
      }
      const declared = Number(response.headers["content-length"] ?? Number.NaN)
      if (declared > MAX_SEED_BYTES) return Effect.fail(tooLarge(url))
      return readCapped(
        url,
        response.stream,
        (e) => new SeedError({ source: url, reason: "Unreadable", message: Reasons.withCauses(e) })
      )
    }),
    Effect.timeoutOrElse({
      duration: SEED_TIMEOUT,
      orElse: () =>
        Effect.fail(
          new SeedError({
            source: url,
            reason: "Unreachable",
            message: `no complete answer within ${Duration.format(SEED_TIMEOUT)}`
          })
        )
    })
  )

const readFile = Effect.fnUntraced(function* (fs: FileSystem.FileSystem, source: string) {
  const path = /^file:\/\//i.test(source)
    ? yield* Effect.try({
        try: () => fileURLToPath(source),
        catch: (e) => new SeedError({ source, reason: "Unreadable", message: String(e) })
      })
    : source
  return yield* readCapped(
    source,
    fs.stream(path, { bytesToRead: MAX_SEED_BYTES + 1 }),
    (e) => new SeedError({ source, reason: "Unreadable", message: e.message })
  )
})

const summarize = (list: SeedList): string => {
  const first = list.skipped
    .slice(0, 3)
    .map((s) => `line ${s.line} ${JSON.stringify(s.text)}: ${s.reason}`)
    .join("; ")
  return `seed list: skipped ${list.skippedCount} lines (${first}${list.skippedCount > 3 ? "; …" : ""})`
}

const makeService = (
  source: SeedSource,
  read: Effect.Effect<string, SeedError>,
  interval: Duration.Duration
): Effect.Effect<SeedsService> =>
  Effect.gen(function* () {
    const lock = yield* Semaphore.make(1)
    const reseedMs = Duration.toMillis(interval)
    const retryMs = Math.min(reseedMs, Duration.toMillis(SEED_RETRY))
    const label = source._tag === "Http" ? source.url : source._tag === "File" ? source.path : ""
    let current: ReadonlyArray<Endpoint.Endpoint> = []
    let nextReadAt = Number.NEGATIVE_INFINITY

    const load = Effect.gen(function* () {
      if (source._tag === "None") return current
      const list = parseSeedList(yield* read)
      if (list.skippedCount > 0) yield* Effect.logWarning(summarize(list))
      yield* Effect.logDebug(`seed list: ${list.endpoints.length} endpoints`)
      current = list.endpoints
      nextReadAt = (yield* Clock.currentTimeMillis) + reseedMs
      return current
    }).pipe(Effect.annotateLogs({ source: label }))

    const get = lock.withPermits(1)(
      Effect.gen(function* () {
        if ((yield* Clock.currentTimeMillis) < nextReadAt) return current
        return yield* load.pipe(
          Effect.catchTag("SeedError", (e) =>
            Effect.gen(function* () {
              nextReadAt = (yield* Clock.currentTimeMillis) + retryMs
              yield* Effect.logWarning(
                `seed list not read (${e.reason}): ${e.message}; keeping ${current.length} endpoints`
              ).pipe(Effect.annotateLogs({ source: e.source, reason: e.reason }))
              return current
            })
          )
        )
      })
    )

    return { get, fetch: lock.withPermits(1)(load) }
  })

/**
 * @since 0.1.0
 */
export class Seeds extends Context.Service<Seeds, SeedsService>()("@catp2p/p2p/Seeds") {
  /** Reads `seedUrl` with the given HTTP client and file system. */
  static readonly layer: Layer.Layer<Seeds, never, NodeConfig | HttpClient.HttpClient | FileSystem.FileSystem> =
    Layer.effect(
      Seeds,
      Effect.gen(function* () {
        const { config } = yield* NodeConfig
        const client = HttpClient.followRedirects(yield* HttpClient.HttpClient, 10)
        const fs = yield* FileSystem.FileSystem
        const source = sourceOf(config.seedUrl)
        const read: Effect.Effect<string, SeedError> =
          source._tag === "Http"
            ? readHttp(client, source.url)
            : source._tag === "File"
              ? readFile(fs, source.path)
              : Effect.succeed("")
        return Seeds.of(yield* makeService(source, read, config.peerReseedInterval))
      })
    )

  /** {@link Seeds.layer} with Node's HTTP client (undici) and file system. */
  static readonly layerNode: Layer.Layer<Seeds, never, NodeConfig> = Layer.provide(
    Seeds.layer,
    Layer.mergeAll(NodeHttpClient.layerUndici, NodeFileSystem.layer)
  )

  /** A fixed list (simulations, tests): `get` and `fetch` always return it. */
  static readonly layerStatic = (endpoints: ReadonlyArray<Endpoint.Endpoint>): Layer.Layer<Seeds> =>
    Layer.succeed(Seeds, Seeds.of({ get: Effect.succeed(endpoints), fetch: Effect.succeed(endpoints) }))
}
