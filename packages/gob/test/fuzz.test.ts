/**
 * Fuzzing: random bytes, random framed messages and mutated valid streams all
 * end in Value/NeedMore/Failure — never an exception, never a hang.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Gob from "../src/index.ts"
import { sampleArb, split, typeOf } from "./arbitraries.ts"
import { message, T } from "./craft.ts"
import { concat, unhex, V9Msg, V10Msg } from "./support.ts"

/** Decodes until NeedMore/Failure; fails the test on an exception or on more steps than bytes. */
const drain = (chunks: ReadonlyArray<Uint8Array>, types: ReadonlyArray<Gob.Type<unknown>>): string => {
  const dec = new Gob.Decoder({ maxDepth: 16 })
  const total = chunks.reduce((n, c) => n + c.length, 0)
  let steps = 0
  let last = "NeedMore"
  for (const c of chunks) {
    dec.push(c)
    for (;;) {
      const r = dec.decode(types[steps % types.length]!, { exactName: steps % 3 === 0 })
      expect(["Value", "NeedMore", "Failure"]).toContain(r._tag)
      // An exception escaping the codec's own checks would surface as an "internal error".
      if (r._tag === "Failure") expect(r.error.message).not.toMatch(/^internal error/)
      last = r._tag
      if (r._tag !== "Value") break
      steps++
      if (steps > total) throw new Error("more values than bytes: the decoder is not consuming input")
    }
    if (last === "Failure") break
  }
  return last
}

describe("fuzzing", () => {
  const types: ReadonlyArray<Gob.Type<unknown>> = [
    V9Msg,
    V10Msg,
    Gob.int,
    Gob.slice(Gob.string),
    Gob.map(Gob.string, Gob.slice(T)),
    Gob.struct("T", { A: Gob.int, B: Gob.array(Gob.float, 2), C: Gob.bytes })
  ]
  const v9Defs = unhex(
    "2bff810301010556394d736701ff82000102010648656164657201ff840001075061796c6f6164010a000000ffb5ff8303010108563948656164657201ff8400010d01074e6574776f726b010600010756657273696f6e01060001045479706501060001064c656e677468010600010a54617267657450656572010c00010543726333320106000106506172744e6f010600010a5061727473546f74616c01060001064e6f64654944010600010b5065657241646472657373010c00010850656572506f7274010c00010741707048617368010c00010741707054797065010c000000"
  )

  it("random byte strings end in Value/NeedMore/Failure, never an exception or a hang", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 4 }), (bytes, cuts) => {
        drain(split(bytes, cuts), types)
        drain([v9Defs, bytes], types)
      }),
      { numRuns: 3000 }
    )
  })

  it("random small messages with plausible framing", () => {
    const msg = fc.tuple(fc.integer({ min: -80, max: 80 }), fc.uint8Array({ maxLength: 30 })).map(([id, body]) =>
      message((w) => {
        w.int(id)
        w.ensure(body.length)
        w.buf.set(body, w.pos)
        w.pos += body.length
      })
    )
    fc.assert(
      fc.property(fc.array(msg, { maxLength: 8 }), (msgs) => {
        drain([v9Defs, ...msgs], types)
      }),
      { numRuns: 3000 }
    )
  })

  it("random mutations of valid streams end in Value/NeedMore/Failure", () => {
    const mutation = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom("flip", "set", "insert", "delete"),
      byte: fc.integer({ min: 0, max: 255 })
    })
    fc.assert(
      fc.property(sampleArb(3, 3), fc.array(mutation, { minLength: 1, maxLength: 4 }), ({ spec, values }, muts) => {
        const type = typeOf(spec)
        const enc = new Gob.Encoder()
        let bytes = Array.from(concat(...values.map((v) => enc.encode(type, v))))
        for (const m of muts) {
          const at = m.at % (bytes.length + 1)
          if (m.kind === "flip" && at < bytes.length) bytes[at] = bytes[at]! ^ (1 << (m.byte % 8))
          else if (m.kind === "set" && at < bytes.length) bytes[at] = m.byte
          else if (m.kind === "insert") bytes = [...bytes.slice(0, at), m.byte, ...bytes.slice(at)]
          else if (m.kind === "delete") bytes = [...bytes.slice(0, at), ...bytes.slice(at + 1)]
        }
        drain([new Uint8Array(bytes)], [type])
        drain([new Uint8Array(bytes)], [type, ...types])
      }),
      { numRuns: 2000 }
    )
  })
})
