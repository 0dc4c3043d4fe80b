/**
 * The README's decoding example stays true: its hex is the Go vector, and the
 * steps it shows give the results it claims.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import * as Gob from "../src/index.ts"
import { loadVectors, unhex, V9Msg } from "./support.ts"

describe("README", () => {
  it("decodes the V9 handshake as shown", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8")
    const block = readme.slice(readme.indexOf("const hex ="), readme.indexOf("const bytes = Uint8Array"))
    const hex = [...block.matchAll(/"([0-9a-f]+)"/g)].map((m) => m[1]).join("")
    expect(hex).toBe(loadVectors("gob_v9.json").get("v9_handshake_first_message")!.hex)
    const bytes = unhex(hex)
    const dec = new Gob.Decoder({ maxMessageSize: 10 * 1024 * 1024 })
    dec.push(bytes.subarray(0, 100))
    expect(dec.decode(V9Msg)).toEqual({ _tag: "NeedMore" })
    dec.push(bytes.subarray(100))
    const r = dec.decode(V9Msg, { exactName: true })
    if (r._tag !== "Value") throw new Error(`expected a value, got ${r._tag}`)
    expect(r.value.Header.Network).toBe(0x29cb7175)
    expect(r.value.Header.Type).toBe(3)
    expect(r.value.Header.NodeID).toBe(16909060n)
    expect(r.value.Payload).toEqual(new Uint8Array([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]))
  })
})
