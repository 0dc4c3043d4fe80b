import * as Gob from "@catp2p/gob"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Endpoint, NetworkId, Parcel, ParcelType, Wire } from "@catp2p/p2p"
import { toHex } from "../../../../test/support/vectors.ts"
import { chunkings, drainParcels, parcelArb } from "../support/codec.ts"

type Version = Wire.Protocol.Version
const network = NetworkId.fromName("catp2p-test")
const settings = (
  protocolVersion: Version,
  extra: Partial<Wire.Negotiation.Settings> = {}
): Wire.Negotiation.Settings => ({
  network,
  protocolVersionMinimum: 9,
  protocolVersion,
  nodeId: 0x0a0b0c0d,
  listenPort: "8108",
  ...extra
})

/** Dials from `a` to `b` entirely in memory, feeding bytes in the given chunking. */
const handshake = (
  a: Wire.Negotiation.Settings,
  b: Wire.Negotiation.Settings,
  split: (bytes: Uint8Array) => ReadonlyArray<Uint8Array> = (x) => [x],
  loops: { readonly a: bigint; readonly b: bigint } = { a: 11n, b: 22n }
) => {
  const dialer = new Wire.Negotiation.Outgoing(a, loops.a)
  const listener = new Wire.Negotiation.Incoming(b, loops.b)
  let accepted = listener.poll()
  for (const c of split(dialer.hello)) {
    listener.push(c)
    accepted = listener.poll()
  }
  if (accepted._tag !== "Value") return { listener: accepted, dialer: undefined }
  let settled = dialer.poll()
  for (const c of split(accepted.value.reply)) {
    dialer.push(c)
    settled = dialer.poll()
  }
  return { listener: accepted, dialer: settled }
}

const reason = (r: { _tag: string; error?: unknown } | undefined) =>
  r && r._tag === "Failure" ? (r.error as { reason: { _tag: string } }).reason._tag : r?._tag

describe("handshake negotiation", () => {
  const versions: ReadonlyArray<Version> = [9, 10, 11]
  const expected = (a: Version, b: Version) => (a === 11 ? 11 : a === 9 || b === 9 ? 9 : 10)

  for (const a of versions) {
    for (const b of versions) {
      it(`a node on ${a} dialing a node on ${b} settles on ${expected(a, b)} and both exchange parcels`, () => {
        const { listener, dialer } = handshake(settings(a), settings(b, { nodeId: 0x01010101, listenPort: "9001" }))
        expect(listener._tag).toBe("Value")
        expect(dialer?._tag).toBe("Value")
        if (listener._tag !== "Value" || dialer?._tag !== "Value") return
        expect(listener.value.protocol.version).toBe(expected(a, b))
        expect(dialer.value.protocol.version).toBe(expected(a, b))
        expect(listener.value.handshake).toMatchObject({ nodeId: 0x0a0b0c0d, listenPort: "8108" })
        expect(dialer.value.handshake).toMatchObject({ nodeId: 0x01010101, listenPort: "9001" })
        // a protocol 9 node says hello with a Peer-Request, which the other side must answer
        expect(listener.value.handshake.type).toBe(
          expected(a, b) === 9 && a === 9 ? ParcelType.PeerRequest : ParcelType.Handshake
        )
        const up = Parcel.make(Parcel.Broadcast, new TextEncoder().encode(`up ${a}->${b}`))
        const down = Parcel.make("x", new TextEncoder().encode(`down ${b}->${a}`))
        const got1 = drainParcels(listener.value.protocol, [dialer.value.protocol.encodeParcel(up)])
        const got2 = drainParcels(dialer.value.protocol, [listener.value.protocol.encodeParcel(down)])
        expect(toHex(got1[0]!.payload)).toBe(toHex(up.payload))
        expect(toHex(got2[0]!.payload)).toBe(toHex(down.payload))
      })
    }
  }

  it("works with every byte boundary split, and keeps bytes that follow the handshake", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Version>(9, 10, 11),
        fc.constantFrom<Version>(9, 10, 11),
        fc.array(parcelArb, { maxLength: 3 }),
        fc.nat(),
        (a, b, parcels, seed) => {
          const dialer = new Wire.Negotiation.Outgoing(settings(a), 1n)
          const listener = new Wire.Negotiation.Incoming(settings(b), 2n)
          listener.push(dialer.hello)
          const accepted = listener.poll()
          if (accepted._tag !== "Value") throw new Error("not accepted")
          const tail = accepted.value.protocol.encodeParcel(Parcel.make("", new Uint8Array([1])))
          const stream = new Uint8Array(
            Buffer.concat([accepted.value.reply, tail, ...parcels.map((p) => accepted.value.protocol.encodeParcel(p))])
          )
          for (const chunks of chunkings(stream, seed).slice(0, 40)) {
            const d = new Wire.Negotiation.Outgoing(settings(a), 1n)
            const got: Array<Parcel.Parcel> = []
            let settled: ReturnType<typeof d.poll> = d.poll()
            for (const c of chunks) {
              if (settled._tag === "Value") got.push(...drainParcels(settled.value.protocol, [c]))
              else {
                d.push(c)
                settled = d.poll()
                if (settled._tag === "Value") got.push(...drainParcels(settled.value.protocol, []))
              }
            }
            expect(settled._tag).toBe("Value")
            expect(got.map((p) => toHex(p.payload))).toEqual(["01", ...parcels.map((p) => toHex(p.payload))])
          }
        }
      ),
      { numRuns: 30 }
    )
  })

  it("detects a dialed self by the loopback nonce", () => {
    const { dialer } = handshake(settings(10), settings(10), undefined, { a: 77n, b: 77n })
    expect(reason(dialer)).toBe("Loopback")
  })

  it("turns a rejection into a typed error carrying the alternatives", () => {
    const alternatives = [Endpoint.unsafeMake("127.0.0.1", "9002"), Endpoint.unsafeMake("127.0.0.1", "9003")]
    for (const a of [9, 10, 11] as const) {
      for (const b of [9, 10, 11] as const) {
        const dialer = new Wire.Negotiation.Outgoing(settings(a), 5n)
        dialer.push(Wire.Negotiation.rejection(settings(b), alternatives))
        const r = dialer.poll()
        expect(r._tag).toBe("Failure")
        if (r._tag !== "Failure") continue
        expect(r.error.reason._tag).toBe("Rejected")
        if (r.error.reason._tag === "Rejected")
          expect(r.error.reason.alternatives.map(String)).toEqual(alternatives.map(String))
      }
    }
  })

  it("refuses a wrong network and a version below the minimum", () => {
    for (const a of [9, 10, 11] as const) {
      expect(reason(handshake(settings(a, { network: NetworkId.MainNet }), settings(10)).listener), `${a}`).toBe(
        "WrongNetwork"
      )
      expect(reason(handshake(settings(a), settings(11, { protocolVersionMinimum: 11 })).listener), `${a}`).toBe(
        a === 11 ? "Value" : "VersionTooLow"
      )
    }
    // the dialer checks the reply the same way
    const { dialer } = handshake(settings(10, { protocolVersionMinimum: 10 }), settings(9))
    expect(reason(dialer)).toBe("VersionTooLow")
  })

  it("refuses a hello of the wrong type (Go accepts it)", () => {
    for (const type of [0, 1, 2, 4, 5, 6, 7, 9, 77]) {
      for (const version of [10, 11] as const) {
        const p = Wire.Negotiation.select(settings(version))
        const listener = new Wire.Negotiation.Incoming(settings(10), 1n)
        listener.push(
          p.encodeHandshake({ network, version, type, nodeId: 1, listenPort: "1", loopback: 3n, alternatives: [] })
        )
        expect(reason(listener.poll()), `type ${type} v${version}`).toBe("Malformed")
      }
    }
  })

  it("refuses a gob hello or reply with a version other than 9 or 10, as Go does, without a reply", () => {
    const gobHello = (version: number) =>
      new Wire.V10.V10(new Wire.GobStream.GobStream()).encodeHandshake({
        network,
        version,
        type: 8,
        nodeId: 1,
        listenPort: "1",
        loopback: 3n,
        alternatives: []
      })
    for (const version of [11, 12, 255]) {
      for (const ours of [9, 10, 11] as const) {
        const listener = new Wire.Negotiation.Incoming(settings(ours), 1n)
        listener.push(gobHello(version))
        const r = listener.poll()
        expect(reason(r), `v${version} to a ${ours} listener`).toBe("VersionUnsupported")
        if (r._tag === "Failure" && r.error.reason._tag === "VersionUnsupported") {
          expect(r.error.reason.received).toBe(version)
        }
      }
      // a dialer reading such a reply refuses it the same way
      const dialer = new Wire.Negotiation.Outgoing(settings(10), 5n)
      dialer.push(gobHello(version))
      expect(reason(dialer.poll()), `reply v${version}`).toBe("VersionUnsupported")
    }
    // below 9 with a permissive minimum: Go's switch refuses it as unsupported too
    const listener = new Wire.Negotiation.Incoming(settings(10, { protocolVersionMinimum: 0 }), 1n)
    listener.push(gobHello(8))
    expect(reason(listener.poll())).toBe("VersionUnsupported")
  })

  describe("pre-handshake byte cap", () => {
    const cap = Wire.Negotiation.MAX_HANDSHAKE_BYTES
    const claim = (bytes: ReadonlyArray<number>) => new Uint8Array(bytes)

    it("refuses a V11 handshake frame claiming more than the cap as soon as its length arrives", () => {
      const listener = new Wire.Negotiation.Incoming(settings(11), 1n)
      listener.push(claim([0x70, 0x62, 0x75, 0x66, 0x00, 0x00, 0x40, 0x01])) // 16385 bytes claimed
      expect(reason(listener.poll())).toBe("Malformed")
    })

    for (const [name, head] of [["gob (100 MB claimed)", [0xfc, 0x05, 0xf5, 0xe1, 0x00]]] as const) {
      it(`closes a ${name} handshake once more than the cap has arrived`, () => {
        const listener = new Wire.Negotiation.Incoming(settings(10), 1n)
        listener.push(claim(head))
        expect(listener.poll()._tag).not.toBe("Value")
        let r = listener.poll()
        let sent = head.length
        while (r._tag === "NeedMore" && sent <= cap + 4096) {
          listener.push(new Uint8Array(1024))
          sent += 1024
          r = listener.poll()
        }
        expect(reason(r)).toBe("Malformed")
        expect(sent).toBeLessThanOrEqual(cap + 1024 + head.length)
      })
    }

    it("does not count parcels pipelined after a complete handshake", () => {
      for (const v of [9, 10, 11] as const) {
        const dialer = new Wire.Negotiation.Outgoing(settings(v), 1n)
        const listener = new Wire.Negotiation.Incoming(settings(v), 2n)
        listener.push(dialer.hello)
        const accepted = listener.poll()
        if (accepted._tag !== "Value") throw new Error("no handshake")
        const big = Parcel.make("", new Uint8Array(3 * cap).fill(7))
        const tail = [accepted.value.reply, accepted.value.protocol.encodeParcel(big)]
        for (const c of tail) dialer.push(c)
        const settled = dialer.poll()
        expect(settled._tag, `v${v}`).toBe("Value")
        if (settled._tag === "Value") expect(settled.value.protocol.decodeParcel()._tag).toBe("Value")
      }
    })

    it("refuses a gob stream that defines more types than a V9/V10 stream needs", () => {
      const fields: Record<string, Gob.Type<unknown>> = {}
      for (let i = 0; i < Wire.GobStream.MAX_TYPES + 8; i++) fields[`F${i}`] = Gob.struct(`T${i}`, { X: Gob.uint })
      const outer = Gob.struct("Outer", fields)
      const value = Object.fromEntries(Object.keys(fields).map((k) => [k, { X: 1 }]))
      const bytes = new Gob.Encoder().encode(outer, value as never)
      expect(bytes.length).toBeLessThan(cap)
      const listener = new Wire.Negotiation.Incoming(settings(10), 1n)
      listener.push(bytes)
      const r = listener.poll()
      expect(reason(r)).toBe("Malformed")
      expect(r._tag === "Failure" && r.error.message).toContain("maxTypes")
    })
  })

  it("gives a typed error, never an exception, for random and mutated hellos", () => {
    const hellos = ([9, 10, 11] as const).map((v) => new Wire.Negotiation.Outgoing(settings(v), 9n).hello)
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 400 }),
          fc
            .tuple(
              fc.constantFrom(...hellos),
              fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 })
            )
            .map(([h, muts]) => {
              const m = h.slice()
              for (const [at, b] of muts) m[at % m.length] = b
              return m
            })
        ),
        (bytes) => {
          for (const incoming of [true, false]) {
            const side = incoming
              ? new Wire.Negotiation.Incoming(settings(10), 1n)
              : new Wire.Negotiation.Outgoing(settings(10), 1n)
            side.push(bytes)
            const r = side.poll()
            expect(["Value", "NeedMore", "Failure"]).toContain(r._tag)
            if (r._tag === "Failure") expect(r.error._tag).toBe("HandshakeError")
          }
        }
      ),
      { numRuns: 3000 }
    )
  })
})
