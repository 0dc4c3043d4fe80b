import { type Layer, Logger, type LogLevel, References } from "effect"

/** One captured log line. */
export interface Line {
  readonly level: LogLevel.LogLevel
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/**
 * A logger layer that records the lines an operator sees: it replaces the
 * default logger and leaves the minimum level at its default (Info), so only
 * what the default level shows is captured.
 */
export const operatorLogs = () => {
  const lines: Array<Line> = []
  const logger = Logger.make<unknown, void>((options) => {
    const parts = Array.isArray(options.message) ? options.message : [options.message]
    lines.push({
      level: options.logLevel,
      message: parts.map((p) => (typeof p === "string" ? p : String(p))).join(" "),
      annotations: options.fiber.getRef(References.CurrentLogAnnotations)
    })
  })
  return {
    lines,
    layer: Logger.layer([logger]) as Layer.Layer<never>,
    at: (level: LogLevel.LogLevel) => lines.filter((l) => l.level === level).map((l) => l.message)
  }
}
