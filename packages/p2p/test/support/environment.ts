/** Helpers for tests that touch the host: captured logs, temp dirs, a loopback HTTP server. */
import { mkdtempSync, rmSync } from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Logger, References } from "effect"

/** One captured log line. */
export interface LogEntry {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/** A logger layer that records every log line (any level) into `entries`. */
export const captureLogs = () => {
  const entries: Array<LogEntry> = []
  const logger = Logger.make<unknown, void>((options) => {
    const parts = Array.isArray(options.message) ? options.message : [options.message]
    entries.push({
      level: options.logLevel,
      message: parts.map((p) => (typeof p === "string" ? p : String(p))).join(" "),
      annotations: options.fiber.getRef(References.CurrentLogAnnotations)
    })
  })
  const layer = Layer.merge(Logger.layer([logger]), Layer.succeed(References.MinimumLogLevel, "All"))
  return { entries, layer, warnings: () => entries.filter((e) => e.level === "Warn") }
}

/** A fresh directory under the OS temp dir, removed when the scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "catp2p-test-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** What the test server answers next. */
export interface Reply {
  status: number
  body: string | Uint8Array
  /** Send without Content-Length, in 64 KiB chunks. */
  chunked?: boolean
  /** Never answer. */
  hang?: boolean
}

/**
 * An HTTP server on 127.0.0.1 (random port) answering every request with
 * `reply`, counting requests; closed when the scope closes.
 */
export const serve = (initial: Reply) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: Http.Server; readonly url: string; reply: Reply; requests: number }>(
      (resume) => {
        const state = { server: undefined as unknown as Http.Server, url: "", reply: initial, requests: 0 }
        state.server = Http.createServer((_req, res) => {
          state.requests++
          const { status, body, chunked, hang } = state.reply
          if (hang === true) return
          const bytes = typeof body === "string" ? Buffer.from(body) : Buffer.from(body)
          if (chunked === true) {
            res.writeHead(status, { "content-type": "text/plain" })
            for (let at = 0; at < bytes.length; at += 65536) res.write(bytes.subarray(at, at + 65536))
            res.end()
          } else {
            res.writeHead(status, { "content-type": "text/plain", "content-length": bytes.length })
            res.end(bytes)
          }
        })
        state.server.listen(0, "127.0.0.1", () => {
          state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}/seeds.txt`
          resume(Effect.succeed(state))
        })
      }
    ),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
export const closedPort = Effect.callback<number>((resume) => {
  const server = Http.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** Waits `ms` of real time (whatever the Clock), e.g. for I/O under a TestClock. */
export const realSleep = (ms: number) =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })
