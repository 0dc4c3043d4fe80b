import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Endpoint, type Handshake, NetworkId, Parcel, ParcelType, Wire } from "@catp2p/p2p"
import { toHex } from "../../../../test/support/vectors.ts"
import { chunkings, concat, drainParcels, parcelArb } from "../support/codec.ts"

const local = { network: NetworkId.fromName("props"), nodeId: 0x01020304, listenPort: "8108" }
const makers = {
  9: () => new Wire.V9.V9(new Wire.GobStream.GobStream(), local),
  10: () => new Wire.V10.V10(new Wire.GobStream.GobStream())
} as const

const endpointArb = fc
  .tuple(fc.oneof(fc.ipV4(), fc.domain()), fc.integer({ min: 1, max: 65535 }))
  .filter(([ip]) => ip.length <= 253)
  .map(([ip, port]) => Endpoint.unsafeMake(ip, String(port)))

/** Handshakes the V9 format can carry: alternatives only in a rejection, which has no loopback. */
const handshakeArb: fc.Arbitrary<Handshake.Handshake> = fc
  .record({
    network: fc.nat({ max: 0xffffffff }).map(NetworkId.make),
    version: fc.nat({ max: 0xffff }),
    type: fc.constantFrom(ParcelType.Handshake, ParcelType.PeerRequest, ParcelType.RejectAlternative, 0, 77),
    nodeId: fc.nat({ max: 0xffffffff }),
    listenPort: fc.string({ maxLength: 8 }),
    loopback: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    alternatives: fc.array(endpointArb, { maxLength: 4 })
  })
  .map((h) => (h.type === ParcelType.RejectAlternative ? { ...h, loopback: 0n } : { ...h, alternatives: [] }))

const plain = (h: Handshake.Handshake) => ({ ...h, alternatives: h.alternatives.map(String) })

describe("protocols 9 and 10: properties", () => {
  for (const version of [9, 10] as const) {
    it(`v${version}: handshakes round-trip, split at every byte boundary`, () => {
      fc.assert(
        fc.property(handshakeArb, fc.nat(), (h, seed) => {
          // protocol 9 announces a hello as a Peer-Request
          const expected = version === 9 && h.type === ParcelType.Handshake ? { ...h, type: ParcelType.PeerRequest } : h
          const bytes = makers[version]().encodeHandshake(h)
          for (const chunks of chunkings(bytes, seed).slice(0, 60)) {
            const rx = makers[version]()
            let r = rx.decodeHandshake()
            for (const c of chunks) {
              expect(r._tag).toBe("NeedMore")
              rx.push(c)
              r = rx.decodeHandshake()
            }
            expect(r._tag).toBe("Value")
            if (r._tag === "Value") expect(plain(r.value)).toEqual(plain(expected))
          }
        }),
        { numRuns: 60 }
      )
    })

    it(`v${version}: parcels round-trip, split at every byte boundary and many per read`, () => {
      fc.assert(
        fc.property(fc.array(parcelArb, { minLength: 1, maxLength: 4 }), fc.nat(), (parcels, seed) => {
          const tx = makers[version]()
          const bytes = new Uint8Array(Buffer.concat(parcels.map((p) => tx.encodeParcel(p))))
          for (const chunks of chunkings(bytes, seed).slice(0, 80)) {
            const got = drainParcels(makers[version](), chunks)
            expect(got.map((p) => [p.type, toHex(p.payload)])).toEqual(parcels.map((p) => [p.type, toHex(p.payload)]))
          }
        }),
        { numRuns: 60 }
      )
    })

    it(`v${version}: random bytes after a valid stream start give typed errors, never exceptions`, () => {
      const start = makers[version]()
      const prefix = start.encodeParcel(Parcel.make("", new Uint8Array([1]))) // type definitions
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (garbage) => {
          const rx = makers[version]()
          rx.push(prefix)
          expect(rx.decodeParcel()._tag).toBe("Value")
          rx.push(garbage)
          for (let i = 0; i < 10; i++) {
            const r = rx.decodeParcel()
            if (r._tag === "NeedMore") break
            if (r._tag === "Failure") {
              expect(["MalformedFrame", "FrameTooLarge"]).toContain(r.error._tag)
              break
            }
          }
        }),
        { numRuns: 2000 }
      )
    })

    it(`v${version}: an oversize message length fails at once, without allocating it`, () => {
      const rx = makers[version]()
      const before = process.memoryUsage().arrayBuffers
      // gob uint: 0xfc = 4 bytes follow; 0x40000000 = 1 GiB
      rx.push(new Uint8Array([0xfc, 0x40, 0x00, 0x00, 0x00]))
      const r = rx.decodeParcel()
      expect(r).toMatchObject({ _tag: "Failure", error: { _tag: "FrameTooLarge", size: 0x40000000 } })
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20)
    })
  }

  it("v10 refuses a V9Msg on its stream (Go would accept it by field name)", () => {
    const v9 = makers[9]()
    const rx = makers[10]()
    rx.push(v9.encodeParcel(Parcel.make("", new Uint8Array([1]))))
    expect(rx.decodeParcel()).toMatchObject({ _tag: "Failure", error: { _tag: "MalformedFrame" } })
  })

  it("reads a Go rejection without alternatives (8 zero bytes, not JSON) as a clean rejection", () => {
    const stream = new Wire.GobStream.GobStream()
    const payload = new Uint8Array(8)
    const bytes = stream.encoder.encode(Wire.GobStream.V9Msg, {
      Header: {
        Network: local.network,
        Version: 10,
        Type: ParcelType.RejectAlternative,
        Length: 8,
        TargetPeer: "",
        Crc32: 0,
        PartNo: 0,
        PartsTotal: 0,
        NodeID: 1n,
        PeerAddress: "",
        PeerPort: "8108",
        AppHash: "",
        AppType: ""
      },
      Payload: payload
    })
    const dialer = new Wire.Negotiation.Outgoing({ ...local, protocolVersion: 10, protocolVersionMinimum: 9 }, 5n)
    dialer.push(bytes)
    const r = dialer.poll()
    expect(r._tag === "Failure" && r.error.reason).toMatchObject({ _tag: "Rejected", alternatives: [] })
  })
})

const text = (s: string) => new TextEncoder().encode(s)

describe("encodeParcels (a write batch)", () => {
  it("v11: payloads from the by-reference size on are chunks of their own, not copies; the bytes are the same", () => {
    fc.assert(
      fc.property(fc.array(parcelArb, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 250 }), (ps, min) => {
        const chunks = Wire.V11.encodeMsgFrames(ps, min)
        expect(toHex(concat(chunks))).toBe(toHex(concat(ps.map((p) => Wire.V11.encodeMsgFrame(p.type, p.payload)))))
        for (const p of ps) expect(chunks.includes(p.payload)).toBe(p.payload.length >= min)
      }),
      { numRuns: 200 }
    )
  })

  const all = { ...makers, 11: () => new Wire.V11.V11() } as const
  for (const version of [9, 10, 11] as const) {
    it(`v${version}: a payload from BY_REFERENCE bytes on is a chunk of its own, not a copy`, () => {
      const big = new Uint8Array(Wire.Protocol.BY_REFERENCE).map((_, i) => i * 7)
      const parcels = [Parcel.make("", big), Parcel.make("", text("small")), Parcel.make("", big.slice(1))]
      const one = all[version]()
      const chunks = all[version]().encodeParcels(parcels)
      expect(chunks.filter((c) => c === big).length).toBe(1)
      expect(toHex(concat(chunks))).toBe(toHex(concat(parcels.map((p) => one.encodeParcel(p)))))
    })

    it(`v${version}: the bytes of encodeParcel of each, concatenated, whatever was sent before`, () => {
      fc.assert(
        fc.property(
          fc.array(parcelArb, { maxLength: 3 }),
          fc.array(fc.array(parcelArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }),
          (before, batches) => {
            const one = all[version]()
            const many = all[version]()
            for (const p of before) expect(many.encodeParcel(p)).toEqual(one.encodeParcel(p))
            for (const batch of batches) {
              const parts = batch.map((p) => one.encodeParcel(p))
              const joined = new Uint8Array(parts.reduce((n, b) => n + b.length, 0))
              let at = 0
              for (const b of parts) {
                joined.set(b, at)
                at += b.length
              }
              expect(toHex(concat(many.encodeParcels(batch)))).toBe(toHex(joined))
            }
            // and they decode back, in order
            const rx = all[version]()
            const bytes = concat(all[version]().encodeParcels(batches.flat()))
            expect(drainParcels(rx, [bytes]).map((p) => [p.type, toHex(p.payload)])).toEqual(
              batches.flat().map((p) => [p.type, toHex(p.payload)])
            )
            // a peer stamps its own hash on what it decodes
            const stamped = all[version]()
            stamped.push(bytes)
            const first = stamped.decodeParcel("peer-hash")
            expect(first._tag === "Value" && first.value.address).toBe("peer-hash")
          }
        ),
        { numRuns: 80 }
      )
    })
  }
})
