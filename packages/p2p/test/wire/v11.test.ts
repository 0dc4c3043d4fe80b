import { create, fromBinary, toBinary } from "@bufbuild/protobuf"
import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Endpoint, NetworkId, ParcelType, Wire } from "@catp2p/p2p"
import { V11MsgSchema } from "../../src/gen/protocolV11_pb.ts"
import { hex, toHex, VectorFile } from "../../../../test/support/vectors.ts"
import { chunkings, drainParcels, parcelArb } from "../support/codec.ts"

const { V11 } = Wire.V11

const handshakeOf = (fields: Record<string, unknown>) => {
  const d = fields.decodedHandshake as Record<string, unknown>
  return {
    network: NetworkId.make(Number(d.Network)),
    version: d.Version as number,
    type: d.Type as number,
    nodeId: Number(d.NodeID),
    listenPort: d.ListenPort as string,
    loopback: BigInt(d.Loopback as string),
    alternatives: (d.Alternatives as Array<{ IP: string; Port: string }>).map((a) => Endpoint.unsafeMake(a.IP, a.Port))
  }
}

const plain = (h: Wire.Negotiation.Settled["handshake"]) => ({
  ...h,
  alternatives: h.alternatives.map((a) => ({ ip: a.ip, port: a.port }))
})

describe("protocol 11 (v11.json)", () => {
  const vectors = new VectorFile("v11.json")

  it("writes and reads handshakes byte for byte", () => {
    for (const name of ["v11_handshake", "v11_reject_with_alternatives"]) {
      const v = vectors.get(name)
      const h = handshakeOf(v.fields)
      expect(toHex(new V11().encodeHandshake(h)), name).toBe(v.hex)
      const p = new V11()
      p.push(hex(v.hex))
      const r = p.decodeHandshake()
      expect(r._tag).toBe("Value")
      if (r._tag === "Value") expect(plain(r.value)).toEqual(plain(h))
      expect(p.buffered).toBe(0)
      expect(v.fields.length).toBe(hex(v.hex).length - 8)
    }
  })

  it("writes and reads parcels byte for byte, and refuses what Go's Parcel.Valid refuses", () => {
    const msgs = vectors.matching(/^v11_msg_/)
    expect(msgs.length).toBe(6)
    for (const v of msgs) {
      const type = v.fields.Type as ParcelType.ParcelType
      const payload = hex(String(v.fields.Payload))
      expect(toHex(Wire.V11.encodeMsgFrame(type, payload)), v.name).toBe(v.hex)
      expect(toHex(hex(v.hex).subarray(4)), v.name).toBe(v.fields.protobuf)
      const p = new V11()
      p.push(hex(v.hex))
      const r = p.decodeParcel()
      if (v.fields.validError === "<nil>") {
        expect(r._tag, v.name).toBe("Value")
        if (r._tag === "Value") {
          expect(r.value.type).toBe(type)
          expect(toHex(r.value.payload)).toBe(v.fields.Payload)
          expect(ParcelType.name(r.value.type)).toBe(v.fields.TypeName)
        }
      } else {
        expect(r._tag, v.name).toBe("Failure")
        if (r._tag === "Failure") expect(r.error.message).toBe(v.fields.validError)
      }
    }
  })

  it("makes and parses peer shares, and frames them as Peer-Response", () => {
    const share = vectors.get("v11_share")
    const eps = (share.fields.endpoints as Array<{ ip: string; port: string }>).map((e) =>
      Endpoint.unsafeMake(e.ip, e.port)
    )
    const payload = new V11().makePeerShare(eps)
    expect(toHex(payload)).toBe(share.hex)
    const parsed = Result.getOrThrow(new V11().parsePeerShare(payload))
    expect(parsed.map((e) => ({ ip: e.ip, port: e.port }))).toEqual(share.fields.endpoints)
    const frame = vectors.get("v11_peer_response_frame")
    expect(toHex(new V11().encodeParcel({ type: ParcelType.PeerResponse, address: "", payload }))).toBe(frame.hex)
    expect(frame.fields.length).toBe(hex(frame.hex).length - 4)
  })

  it("used every vector", () => expect(vectors.unused()).toEqual([]))
})

describe("protocol 11 codec", () => {
  it("agrees with the generated protobuf code on every V11Msg", () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.uint8Array({ maxLength: 300 }), (type, payload) => {
        const frame = Wire.V11.encodeMsgFrame(type, payload)
        const generated = toBinary(V11MsgSchema, create(V11MsgSchema, { Type: type, Payload: payload }))
        expect(toHex(frame.subarray(4))).toBe(toHex(generated))
        const back = Result.getOrThrow(Wire.V11.decodeMsgBody(generated))
        expect(back.type).toBe(type)
        expect(toHex(back.payload)).toBe(toHex(payload))
      })
    )
  })

  it("decodes like the generated code on any well-formed V11Msg (unknown fields, repeated fields)", () => {
    const varint = (n: number) => {
      const out: Array<number> = []
      while (n >= 0x80) {
        out.push((n & 0x7f) | 0x80)
        n = Math.floor(n / 128)
      }
      out.push(n)
      return out
    }
    const field = fc.oneof(
      fc.nat({ max: 0xffffffff }).map((v) => [0x08, ...varint(v)]),
      fc.uint8Array({ maxLength: 20 }).map((b) => [0x12, ...varint(b.length), ...b]),
      fc.integer({ min: 3, max: 200 }).chain((n) =>
        fc.oneof(
          fc.nat().map((v) => [...varint(n * 8), ...varint(v)]),
          fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => [...varint(n * 8 + 1), ...b]),
          fc.uint8Array({ maxLength: 10 }).map((b) => [...varint(n * 8 + 2), ...varint(b.length), ...b]),
          fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => [...varint(n * 8 + 5), ...b])
        )
      )
    )
    fc.assert(
      fc.property(fc.array(field, { maxLength: 6 }), (fields) => {
        const bytes = new Uint8Array(fields.flat())
        const ours = Result.getOrThrow(Wire.V11.decodeMsgBody(bytes))
        const theirs = fromBinary(V11MsgSchema, bytes)
        expect(ours.type).toBe(theirs.Type)
        expect(toHex(ours.payload)).toBe(toHex(theirs.Payload))
      }),
      { numRuns: 2000 }
    )
  })

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = Wire.V11.decodeMsgBody(bytes)
        if (Result.isFailure(r)) expect(r.failure._tag).toBe("MalformedFrame")
      }),
      { numRuns: 3000 }
    )
  })

  it("round-trips parcels split at every byte boundary and many per read", () => {
    fc.assert(
      fc.property(
        fc.array(parcelArb, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        (parcels, seed) => {
          const tx = new V11()
          const bytes = Buffer.concat(parcels.map((p) => tx.encodeParcel(p)))
          for (const chunks of chunkings(bytes, seed)) {
            const rx = new V11()
            const got = drainParcels(rx, chunks)
            expect(got.map((p) => [p.type, toHex(p.payload)])).toEqual(parcels.map((p) => [p.type, toHex(p.payload)]))
            expect(rx.buffered).toBe(0)
          }
        }
      ),
      { numRuns: 200 }
    )
  })

  it("round-trips handshakes", () => {
    fc.assert(
      fc.property(
        fc.record({
          network: fc.nat({ max: 0xffffffff }).map(NetworkId.make),
          version: fc.nat({ max: 0xffff }),
          type: fc.nat({ max: 0xffff }),
          nodeId: fc.nat({ max: 0xffffffff }),
          listenPort: fc.string(),
          loopback: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          alternatives: fc.array(fc.record({ ip: fc.string(), port: fc.string() }), { maxLength: 4 })
        }),
        (h) => {
          const hs = { ...h, alternatives: h.alternatives.map((a) => Endpoint.unsafeMake(a.ip, a.port)) }
          const rx = new V11()
          for (const b of new V11().encodeHandshake(hs)) rx.push(new Uint8Array([b]))
          const r = rx.decodeHandshake()
          expect(r._tag).toBe("Value")
          if (r._tag === "Value") expect(plain(r.value)).toEqual(plain(hs))
        }
      )
    )
  })
})

describe("protocol 11 malformed input", () => {
  it("refuses an oversize length before reading or allocating it", () => {
    const rx = new V11()
    const before = process.memoryUsage().arrayBuffers
    rx.push(new Uint8Array([0x08, 0x00, 0x00, 0x01])) // 128 MiB + 1
    const r = rx.decodeParcel()
    expect(r._tag).toBe("Failure")
    if (r._tag === "Failure") expect(r.error._tag).toBe("FrameTooLarge")
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20)
  })

  it("accepts the maximum claim but only buffers what arrives", () => {
    const rx = new V11()
    rx.push(new Uint8Array([0x08, 0x00, 0x00, 0x00, 0x08, 0x06])) // exactly 128 MiB claimed
    expect(rx.decodeParcel()._tag).toBe("NeedMore")
    expect(rx.buffered).toBe(6)
  })

  it("refuses a bad signature and garbage after pbuf", () => {
    const bad = new V11()
    bad.push(new TextEncoder().encode("gbuf\x00\x00\x00\x00"))
    expect(bad.decodeHandshake()).toMatchObject({ _tag: "Failure", error: { _tag: "MalformedFrame" } })
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (garbage) => {
        const rx = new V11()
        rx.push(Wire.Protocol.V11_SIGNATURE)
        rx.push(garbage)
        const r = rx.decodeHandshake()
        expect(["Value", "NeedMore", "Failure"]).toContain(r._tag)
        if (r._tag === "Failure") expect(["MalformedFrame", "FrameTooLarge"]).toContain(r.error._tag)
      }),
      { numRuns: 3000 }
    )
  })

  it("gives typed errors for random frames and stays failed after one", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (body) => {
        const frame = new Uint8Array(4 + body.length)
        new DataView(frame.buffer).setUint32(0, body.length)
        frame.set(body, 4)
        const rx = new V11()
        rx.push(frame)
        const r = rx.decodeParcel()
        expect(r._tag).not.toBe("NeedMore")
        if (r._tag === "Failure") {
          expect(r.error._tag).toBe("MalformedFrame")
          rx.push(Wire.V11.encodeMsgFrame(6, new Uint8Array([1])))
          expect(rx.decodeParcel()._tag).toBe("Failure")
        }
      }),
      { numRuns: 3000 }
    )
  })

  it("never yields a parcel from a truncated frame", () => {
    const frame = Wire.V11.encodeMsgFrame(6, new Uint8Array(100).fill(7))
    for (let cut = 0; cut < frame.length; cut++) {
      const rx = new V11()
      rx.push(frame.subarray(0, cut))
      expect(rx.decodeParcel()._tag, `cut at ${cut}`).toBe("NeedMore")
    }
  })
})
