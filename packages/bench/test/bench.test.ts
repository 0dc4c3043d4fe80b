import { Option, Result } from "effect"
import { describe, expect, it } from "vitest"
import * as Bench from "../src/Run.ts"
import * as Measure from "../src/Measure.ts"
import * as Profile from "../src/Profile.ts"
import * as RawNet from "../src/RawNet.ts"
import * as Report from "../src/Report.ts"

const flags = (overrides: Partial<Bench.BenchFlags> = {}): Bench.BenchFlags => ({
  quick: false,
  json: false,
  only: "all",
  protocols: Option.none(),
  sizes: Option.none(),
  repeats: Option.none(),
  window: Option.none(),
  capacity: 5000,
  peers: Option.none(),
  nodes: 30,
  messages: Option.none(),
  simNodes: Option.none(),
  simTimeout: Option.none(),
  cpuProf: Option.none(),
  ...overrides
})

describe("npm run bench (bin.ts run)", () => {
  it("fills in the defaults of a full and a quick run, and refuses bad flags", () => {
    const full = Result.getOrThrow(Bench.options(flags()))
    expect(full.protocols).toEqual([9, 10, 11])
    expect(full.sizes).toEqual([100, 1024, 65536])
    expect(full.simNodes).toEqual([1000, 10000])
    expect(full.repeats).toBe(3)
    expect(full.peers).toBeGreaterThanOrEqual(500)
    const quick = Result.getOrThrow(Bench.options(flags({ quick: true })))
    expect(quick.simNodes).toEqual([500])
    expect(quick.repeats).toBe(1)
    expect(quick.unpacedSizes).toEqual([1024])
    expect(Result.isFailure(Bench.options(flags({ only: "throughput,nope" })))).toBe(true)
    expect(Result.isFailure(Bench.options(flags({ protocols: Option.some("8") })))).toBe(true)
    expect(Result.isFailure(Bench.options(flags({ sizes: Option.some("0") })))).toBe(true)
  })

  it("summarizes repetitions, compares with Go's ranges", () => {
    expect(Measure.summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, runs: 3 })
    expect(Measure.summarize([4, 1, 2, 3]).median).toBe(2.5)
    expect(Measure.quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5)
    expect(Measure.quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBe(10)
    expect(Report.verdict(300, [160, 265])).toBe("✓")
    expect(Report.verdict(200, [160, 265])).toBe("~")
    expect(Report.verdict(100, [160, 265])).toBe("✗")
  })

  it("parses length-prefixed frames split anywhere", () => {
    const counter = new RawNet.FrameCounter()
    const parse = counter.parser()
    const bytes = Buffer.concat([RawNet.frame(new Uint8Array(5)), RawNet.frame(new Uint8Array(70_000))])
    parse(bytes.subarray(0, 0))
    parse(bytes.subarray(0, 3))
    parse(bytes.subarray(3, 12))
    parse(bytes.subarray(12, 40_000))
    parse(bytes.subarray(40_000))
    expect(counter.frames).toBe(2)
    expect(counter.bytes).toBe(70_005)
  })

  it("summarizes a CPU profile by self time", () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 } },
        { id: 2, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
        { id: 3, callFrame: { functionName: "hot", url: "file:///r/packages/p2p/src/Peer.ts", lineNumber: 9 } },
        { id: 4, callFrame: { functionName: "", url: "file:///r/node_modules/effect/dist/x.js", lineNumber: 0 } }
      ],
      samples: [3, 3, 2, 4, 1],
      timeDeltas: [0, 100, 100, 100, 100]
    }
    const s = Option.getOrThrow(Profile.summarize("p.cpuprofile", JSON.stringify(profile)))
    expect(s.totalMs).toBeCloseTo(0.4)
    expect(s.idleMs).toBeCloseTo(0.1)
    expect(s.functions[0]?.name).toBe("hot p2p/Peer.ts:10")
    expect(s.functions[0]?.ms).toBeCloseTo(0.2)
    expect(s.functions[0]?.share).toBeCloseTo(2 / 3)
    expect(s.areas.map((a) => a.name)).toEqual(["p2p/Peer.ts", "effect runtime"])
    expect(Option.isNone(Profile.summarize("bad", "{"))).toBe(true)
  })
})
