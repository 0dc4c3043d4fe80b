import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Endpoint, NetworkId, Wire } from "@catp2p/p2p"
import { hex, toHex, VectorFile } from "../../../../test/support/vectors.ts"

const network = NetworkId.fromName("myNetwork")
const local = { network, nodeId: 1, listenPort: "8108" }
const protocols = {
  v9: () => new Wire.V9.V9(new Wire.GobStream.GobStream(), local),
  v10: () => new Wire.V10.V10(new Wire.GobStream.GobStream()),
  v11: () => new Wire.V11.V11()
}
const plain = (eps: ReadonlyArray<Endpoint.Endpoint>) => eps.map((e) => ({ ip: e.ip, port: e.port }))

describe("peer shares (peershare.json)", () => {
  const vectors = new VectorFile("peershare.json")

  it("makes every protocol's share byte for byte and reads it back", () => {
    for (const key of ["v9", "v10", "v11"] as const) {
      const v = vectors.get(`${key}_peershare_3_endpoints`)
      const endpoints = (v.fields.endpoints as Array<{ ip: string; port: string }>).map((e) =>
        Endpoint.unsafeMake(e.ip, e.port)
      )
      const payload = protocols[key]().makePeerShare(endpoints)
      expect(toHex(payload), key).toBe(v.hex)
      if (v.fields.text !== undefined) expect(new TextDecoder().decode(payload)).toBe(v.fields.text)
      expect(plain(Result.getOrThrow(protocols[key]().parsePeerShare(hex(v.hex))))).toEqual(v.fields.endpoints)
    }
  })

  it("makes empty shares like Go (JSON null, or nothing on protocol 11)", () => {
    for (const key of ["v9", "v10", "v11"] as const) {
      const v = vectors.get(`${key}_peershare_empty`)
      const payload = protocols[key]().makePeerShare([])
      expect(toHex(payload), key).toBe(v.hex)
      expect(payload.length).toBe(v.fields.len)
      expect(Result.getOrThrow(protocols[key]().parsePeerShare(payload))).toEqual([])
    }
  })

  it("used every vector", () => expect(vectors.unused()).toEqual([]))
})

describe("peer share parsing", () => {
  const endpointArb = fc
    .tuple(fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()), fc.integer({ min: 1, max: 65535 }))
    .filter(([ip]) => ip.length <= 253)
    .map(([ip, port]) => Endpoint.unsafeMake(ip, String(port)))

  it("round-trips any list on every protocol", () => {
    fc.assert(
      fc.property(fc.array(endpointArb, { maxLength: 20 }), (eps) => {
        for (const make of Object.values(protocols)) {
          expect(plain(Result.getOrThrow(make().parsePeerShare(make().makePeerShare(eps))))).toEqual(plain(eps))
        }
      })
    )
  })

  it("carries an IPv6 endpoint as Go does: the bare address (no brackets) in ip / Address / Hash", () => {
    const ep = Endpoint.unsafeMake("2001:db8::a0b:c0d", "8108")
    // Go: json.Marshal([]Endpoint) (protocolV10.go)
    expect(new TextDecoder().decode(protocols.v10().makePeerShare([ep]))).toBe(
      '[{"ip":"2001:db8::a0b:c0d","port":"8108"}]'
    )
    // Go: V9Share{Address: ep.IP, Hash: ep.IP, Location: IP2LocationQuick(ep.IP)} (protocolV9.go), the last 4 bytes
    const [v9] = JSON.parse(new TextDecoder().decode(protocols.v9().makePeerShare([ep])))
    expect(v9).toMatchObject({ Address: ep.ip, Port: "8108", Hash: ep.ip, Location: 0x0a0b0c0d })
    for (const make of Object.values(protocols)) {
      expect(plain(Result.getOrThrow(make().parsePeerShare(make().makePeerShare([ep]))))).toEqual(plain([ep]))
    }
  })

  it("leaves out invalid endpoints and refuses what is not a share", () => {
    const v10 = protocols.v10()
    const mixed = new TextEncoder().encode(
      JSON.stringify([{ ip: "1.2.3.4", port: "1" }, { ip: "bad host", port: "1" }, { ip: 5 }, 7])
    )
    expect(plain(Result.getOrThrow(v10.parsePeerShare(mixed)))).toEqual([{ ip: "1.2.3.4", port: "1" }])
    for (const bad of ["{", "{}", '"x"', "\xff"]) {
      const r = v10.parsePeerShare(new TextEncoder().encode(bad))
      expect(Result.isFailure(r), bad).toBe(true)
    }
    expect(Result.isFailure(protocols.v11().parsePeerShare(new Uint8Array([0x0a, 0x05, 0x01])))).toBe(true)
  })

  it("caps the list length", () => {
    const many = Array.from({ length: Wire.Protocol.MAX_SHARE + 1 }, () => Endpoint.unsafeMake("1.2.3.4", "80"))
    for (const make of Object.values(protocols)) {
      const r = make().parsePeerShare(make().makePeerShare(many))
      expect(Result.isFailure(r)).toBe(true)
    }
  })

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        for (const make of Object.values(protocols)) {
          const r = make().parsePeerShare(bytes)
          if (Result.isFailure(r)) expect(r.failure._tag).toBe("MalformedFrame")
        }
      }),
      { numRuns: 2000 }
    )
  })
})
