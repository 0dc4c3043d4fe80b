/**
 * Exporting a node's metrics and traces through OpenTelemetry
 * (`@effect/opentelemetry`):
 *
 * - {@link layerPrometheus}: a Prometheus scrape endpoint (`GET /metrics`, text
 *   format) on `host:port`, serving every Effect metric of the process (so
 *   every node's `Metrics`, told apart by their `node` attribute); port 0
 *   binds a free port, {@link PrometheusEndpoint} says which;
 * - {@link layerTracing}, {@link layerConsoleTracing}, {@link layerOtlpTracing}: tracer
 *   layers for the node's spans (`p2p.dial`, `p2p.handshake`, `p2p.peer`,
 *   `p2p.round`, `p2p.replenish`) and the application's calls (`Network.dial`,
 *   `Network.ban`, `Network.disconnect`, `Network.setSpecial`, `Network.info`,
 *   `Network.peers`, `Network.subscribe`; not `send`, the hot path);
 * - {@link layer}: all of them from plain options, e.g. command-line flags.
 *
 * Where to provide them: a tracer provided to a node's layer traces the
 * node's own work (CAT replenish and its dials, rounds, incoming handshakes,
 * peers), e.g. `P2PLayer.layer(config, { metrics: true }).pipe(Layer.provide(Telemetry.layer({ metrics: "127.0.0.1:9100", console: true })))`;
 * calls the application makes (`Network.dial`) are traced by the tracer of
 * the calling fiber, so provide it around the whole program to trace those
 * too. Build the Prometheus endpoint once per process (one port), however
 * many nodes: every node's `Metrics` land in the same registry.
 *
 * @example
 * ```ts
 * import { Config, Network, P2PLayer, Telemetry } from "@catp2p/p2p"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect, Layer, Result } from "effect"
 *
 * const config = Result.getOrThrow(Config.make({ listenPort: "8110" }))
 * const telemetry = Telemetry.layer({ metrics: "127.0.0.1:9100", otlp: "http://localhost:4318/v1/traces" })
 * const node = P2PLayer.layer(config, { metrics: true }).pipe(Layer.provide(telemetry))
 * Network.run.pipe(Effect.provide(node), NodeRuntime.runMain)
 * // curl http://127.0.0.1:9100/metrics
 * ```
 * @since 0.1.0
 * @module
 */
import * as Http from "node:http"
import type { SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Context, Effect, Layer, Result, Schema } from "effect"

// The OpenTelemetry SDK and exporters are loaded on first use, when a layer
// of this module is built: importing `@catp2p/p2p` does not load them (they
// were most of its import time), and a node without telemetry never does.
const sdkTraceBase = Effect.promise(() => import("@opentelemetry/sdk-trace-base"))
const nodeSdk = Effect.promise(() => import("@effect/opentelemetry/NodeSdk"))
const otlpExporter = Effect.promise(() => import("@opentelemetry/exporter-trace-otlp-http"))
const prometheusModules = Effect.promise(() =>
  Promise.all([
    import("@opentelemetry/exporter-prometheus"),
    import("@effect/opentelemetry/OtelMetrics"),
    import("@effect/opentelemetry/Resource")
  ])
)

/**
 * A telemetry setting that does not work: a bad `host:port`, a port in use.
 *
 * @category errors
 * @since 0.1.0
 */
export class TelemetryError extends Schema.TaggedError<TelemetryError>()("TelemetryError", {
  message: Schema.String
}) {}

/**
 * Where an endpoint listens.
 *
 * @category models
 * @since 0.1.0
 */
export interface HostPort {
  readonly host: string
  readonly port: number
}

/**
 * Parses `host:port`, `[ipv6]:port`, `:port` or `port` (host `127.0.0.1`).
 *
 * @category decoding
 * @since 0.1.0
 */
export const parseHostPort = (raw: string): Result.Result<HostPort, TelemetryError> => {
  const text = raw.trim()
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text)
  const port = m === null ? Number.NaN : Number(m[3])
  if (m === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    return Result.fail(new TelemetryError({ message: `not a host:port (e.g. 127.0.0.1:9100): "${raw}"` }))
  }
  return Result.succeed({ host: m[1] || m[2] || "127.0.0.1", port })
}

/**
 * Where the Prometheus endpoint listens (the bound port when 0 was asked).
 *
 * @category models
 * @since 0.1.0
 */
export interface PrometheusEndpointInfo extends HostPort {
  /** `http://host:port/metrics` */
  readonly url: string
}

/**
 * @category services
 * @since 0.1.0
 */
export class PrometheusEndpoint extends Context.Service<PrometheusEndpoint, PrometheusEndpointInfo>()(
  "@catp2p/p2p/PrometheusEndpoint"
) {}

/**
 * @category models
 * @since 0.1.0
 */
export interface PrometheusOptions extends HostPort {
  /** Default `/metrics`. */
  readonly path?: string
  /** The OpenTelemetry resource's `service.name` (default `catp2p`; not scraped: no `target_info` series is served). */
  readonly serviceName?: string
}

const listen = (server: Http.Server, at: HostPort) =>
  Effect.callback<HostPort, TelemetryError>((resume) => {
    const onError = (e: Error) =>
      resume(Effect.fail(new TelemetryError({ message: `metrics endpoint ${at.host}:${at.port}: ${e.message}` })))
    server.once("error", onError)
    server.listen(at.port, at.host, () => {
      server.off("error", onError)
      const address = server.address()
      resume(Effect.succeed({ host: at.host, port: typeof address === "object" && address ? address.port : at.port }))
    })
  })

const close = (server: Http.Server) =>
  Effect.callback<void>((resume) => {
    server.close(() => resume(Effect.void))
    server.closeAllConnections()
  })

/**
 * A Prometheus scrape endpoint on `host:port` (port 0: a free port) serving
 * the process's Effect metrics in the Prometheus text format, from when the
 * layer is built until its scope closes. Gauges and histograms keep their
 * names, so the Go package's instruments are scraped under Go's names and
 * types (see `Metrics`); Effect counters get Prometheus's `_total` suffix.
 * No `target_info` or scope series or labels are added; the exporter writes
 * a `# UNIT name 1` comment per metric, which Prometheus's text parser skips.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerPrometheus = (options: PrometheusOptions): Layer.Layer<PrometheusEndpoint, TelemetryError> =>
  Layer.effect(
    PrometheusEndpoint,
    Effect.gen(function* () {
      const path = options.path ?? "/metrics"
      const [{ PrometheusExporter }, OtelMetrics, Resource] = yield* prometheusModules
      const exporter = new PrometheusExporter({
        preventServerStart: true,
        withoutScopeInfo: true,
        withoutTargetInfo: true
      })
      const producer = yield* OtelMetrics.makeProducer().pipe(
        Effect.provide(Resource.layer({ serviceName: options.serviceName ?? "catp2p" }))
      )
      yield* OtelMetrics.registerProducer(producer, () => exporter)
      const server = Http.createServer((req, res) => {
        if (req.method === "GET" && (req.url ?? "").split("?")[0] === path) {
          exporter.getMetricsRequestHandler(req, res)
          return
        }
        res.statusCode = 404
        res.end()
      })
      const bound = yield* Effect.acquireRelease(listen(server, options), () => close(server))
      const host = bound.host.includes(":") ? `[${bound.host}]` : bound.host
      return PrometheusEndpoint.of({ ...bound, url: `http://${host}:${bound.port}${path}` })
    })
  )

/**
 * @category models
 * @since 0.1.0
 */
export interface TracingOptions {
  /** The `service.name` of the spans (default `catp2p`). */
  readonly serviceName?: string
  /** Batch spans before exporting (default true); false exports each span as it ends. */
  readonly batch?: boolean
}

/**
 * A tracer exporting the spans of the effects it is provided to, to
 * `exporters` (e.g. `InMemorySpanExporter` in tests); the spans still queued
 * are flushed when the layer closes.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerTracing = (
  exporters: SpanExporter | ReadonlyArray<SpanExporter>,
  options: TracingOptions = {}
): Layer.Layer<never> => {
  const list: ReadonlyArray<SpanExporter> = Array.isArray(exporters) ? exporters : [exporters as SpanExporter]
  return Layer.unwrap(
    Effect.gen(function* () {
      const { BatchSpanProcessor, SimpleSpanProcessor } = yield* sdkTraceBase
      const NodeSdk = yield* nodeSdk
      const processors = list.map(
        (e): SpanProcessor => (options.batch === false ? new SimpleSpanProcessor(e) : new BatchSpanProcessor(e))
      )
      return NodeSdk.layer(() => ({
        spanProcessor: processors,
        resource: { serviceName: options.serviceName ?? "catp2p" }
      }))
    })
  )
}

/**
 * Traces printed to the console (stdout) as spans end.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerConsoleTracing = (options: Omit<TracingOptions, "batch"> = {}): Layer.Layer<never> =>
  Layer.unwrap(
    Effect.map(sdkTraceBase, ({ ConsoleSpanExporter }) =>
      layerTracing(new ConsoleSpanExporter(), { ...options, batch: false })
    )
  )

/**
 * @category models
 * @since 0.1.0
 */
export interface OtlpOptions extends TracingOptions {
  /** The collector's traces URL, e.g. `http://localhost:4318/v1/traces`. */
  readonly url: string
  readonly headers?: Record<string, string>
}

/**
 * Traces sent to an OpenTelemetry collector over OTLP/HTTP (JSON/protobuf as
 * the exporter chooses), in batches.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerOtlpTracing = (options: OtlpOptions): Layer.Layer<never> =>
  Layer.unwrap(
    Effect.map(otlpExporter, ({ OTLPTraceExporter }) =>
      layerTracing(
        new OTLPTraceExporter({
          url: options.url,
          ...(options.headers === undefined ? {} : { headers: options.headers })
        }),
        options
      )
    )
  )

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** Serve Prometheus metrics on `host:port` (see {@link layerPrometheus}). */
  readonly metrics?: string | HostPort
  /** Print spans to the console. */
  readonly console?: boolean
  /** Send spans to this OTLP/HTTP traces URL. */
  readonly otlp?: string
  readonly serviceName?: string
}

/**
 * Everything from plain options (for flags such as `--metrics
 * 127.0.0.1:9100`): the Prometheus endpoint if `metrics` is set, a tracer if
 * `console` or `otlp` is; an empty layer otherwise.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<never, TelemetryError> => {
  const named = options.serviceName === undefined ? {} : { serviceName: options.serviceName }
  const traces: Layer.Layer<never> =
    options.console !== true && options.otlp === undefined
      ? Layer.empty
      : Layer.unwrap(
          Effect.gen(function* () {
            const exporters: Array<SpanExporter> = []
            if (options.console === true) exporters.push(new (yield* sdkTraceBase).ConsoleSpanExporter())
            if (options.otlp !== undefined) {
              exporters.push(new (yield* otlpExporter).OTLPTraceExporter({ url: options.otlp }))
            }
            return layerTracing(exporters, named)
          })
        )
  if (options.metrics === undefined) return traces
  const at = typeof options.metrics === "string" ? parseHostPort(options.metrics) : Result.succeed(options.metrics)
  if (Result.isFailure(at)) return Layer.effectDiscard(Effect.fail(at.failure))
  return Layer.merge(traces, layerPrometheus({ ...at.success, ...named }))
}
