import { it } from "@effect/vitest"
import { Duration, Option, Result } from "effect"
import * as fc from "fast-check"
import { describe, expect } from "vitest"
import * as Text from "../../../src/internal/config/Text.ts"

const okOf = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(`expected success, got ${JSON.stringify(result.failure)}`)
  return result.success
}

describe("config text forms", () => {
  it.each([
    ["5s", 5_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["1h 30m", 5_400_000],
    ["15 minutes", 900_000],
    ["250 millis", 250],
    ["250ms", 250],
    ["1.5h", 5_400_000],
    ["2 weeks", 14 * 86_400_000],
    ["1d 2h", 26 * 3_600_000],
    ["1500", 1_500],
    [1500, 1_500],
    ["0", 0],
    ["3 SECONDS", 3_000]
  ])("parses duration %j", (input, millis) => {
    expect(Duration.toMillis(okOf(Text.parseDuration(input)))).toBe(millis)
  })

  it("parses sub-millisecond durations exactly", () => {
    expect(Option.getOrThrow(Duration.toNanos(okOf(Text.parseDuration("100us"))))).toBe(100_000n)
    expect(Text.formatDuration(okOf(Text.parseDuration("1µs 5ns")))).toBe("1us5ns")
  })

  it.each(["", "5 parsecs", "-5s", "1h-", "abc", "Infinity", "5s5", -1, Number.NaN, Number.POSITIVE_INFINITY])(
    "rejects duration %j",
    (input) => {
      expect(Result.isFailure(Text.parseDuration(input))).toBe(true)
    }
  )

  it("formats what it parses back to the same duration", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), (nanos) => {
        const text = Text.formatDuration(Duration.nanos(nanos))
        expect(Option.getOrThrow(Duration.toNanos(okOf(Text.parseDuration(text))))).toBe(nanos)
      })
    )
  })

  it.each([
    [0xfeedbeef, "MainNet"],
    [0xdeadbeef, "TestNet"],
    [0xbeaded, "LocalNet"],
    [0x29cb7175, "0x29cb7175"],
    [1, "0x00000001"]
  ])("formats network %i as %s and reads it back", (id, text) => {
    expect(Text.formatNetwork(id)).toBe(text)
    expect(okOf(Text.parseNetwork(text))).toBe(id)
  })

  it("reads counts from numbers and digit strings only", () => {
    expect(okOf(Text.parseCount(" 42 "))).toBe(42)
    for (const bad of ["4 2", "0x10", "1e3", "", -3, 2 ** 53]) expect(Result.isFailure(Text.parseCount(bad))).toBe(true)
  })
})
