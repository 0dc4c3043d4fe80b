import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { Endpoint, Handshake, NetworkId, Parcel, ParcelType, Wire } from "@catp2p/p2p"
import { hex, toHex, VectorFile } from "../../../../test/support/vectors.ts"

const { GobStream } = Wire.GobStream
const { V9 } = Wire.V9
const { V10 } = Wire.V10

const settings = (protocolVersion: Wire.Protocol.Version): Wire.Negotiation.Settings => ({
  network: NetworkId.fromName("myNetwork"),
  protocolVersionMinimum: 9,
  protocolVersion,
  nodeId: 0x01020304,
  listenPort: "8108"
})
const LOOPBACK = 0x1122334455667788n
const ALTERNATIVES = [
  Endpoint.unsafeMake("10.0.0.1", "8108"),
  Endpoint.unsafeMake("192.168.1.20", "8110"),
  Endpoint.unsafeMake("seed.example.com", "8090")
]
const text = (s: string) => new TextEncoder().encode(s)
const concat = (...parts: Array<Uint8Array>) => new Uint8Array(Buffer.concat(parts))
const plainAlts = (h: Handshake.Handshake) => h.alternatives.map((a) => ({ IP: a.ip, Port: a.port }))

/** Compares a decoded handshake with a vector's `decodedHandshake` field. */
const expectHandshake = (h: Handshake.Handshake, expected: Record<string, unknown>) => {
  expect({
    Network: `0x${h.network.toString(16).padStart(8, "0")}`,
    Version: h.version,
    Type: h.type,
    TypeName: ParcelType.name(h.type),
    NodeID: `0x${h.nodeId.toString(16).padStart(8, "0")}`,
    ListenPort: h.listenPort,
    Loopback: `0x${h.loopback.toString(16).padStart(16, "0")}`,
    Alternatives: plainAlts(h)
  }).toEqual(expected)
}

const decodeHandshake = (bytes: Uint8Array) => {
  const p = new V9(new GobStream(), settings(9))
  p.push(bytes)
  const r = p.decodeHandshake()
  if (r._tag !== "Value") throw new Error(`handshake: ${r._tag === "Failure" ? r.error.message : "need more"}`)
  return { protocol: p, handshake: r.value }
}

const nextParcel = (p: Wire.Protocol.Protocol) => {
  const r = p.decodeParcel()
  if (r._tag !== "Value") throw new Error(`parcel: ${r._tag === "Failure" ? r.error.message : "need more"}`)
  return r.value
}

describe("protocol 9 (gob_v9.json)", () => {
  const vectors = new VectorFile("gob_v9.json")

  it("writes the first handshake with its type definitions, as a Peer-Request", () => {
    const v = vectors.get("v9_handshake_first_message")
    const p = new V9(new GobStream(), settings(9))
    expect(toHex(p.encodeHandshake(Handshake.hello(settings(9), LOOPBACK)))).toBe(v.hex)
    const { handshake } = decodeHandshake(hex(v.hex))
    expectHandshake(handshake, v.fields.decodedHandshake as Record<string, unknown>)
    expect(toHex(new Uint8Array(8).map((_, i) => Number((LOOPBACK >> BigInt(8 * i)) & 0xffn)))).toBe(v.fields.payload)
  })

  it("writes later messages without repeating definitions, target in the header", () => {
    const first = vectors.get("v9_handshake_first_message")
    const second = vectors.get("v9_second_message_same_stream")
    const third = vectors.get("v9_third_message_peer_target")
    const tx = new V9(new GobStream(), settings(9))
    tx.encodeHandshake(Handshake.hello(settings(9), LOOPBACK))
    expect(toHex(tx.encodeParcel(Parcel.make(Parcel.Broadcast, text("hello"))))).toBe(second.hex)
    expect(String(second.fields.streamHex)).toBe(first.hex + second.hex)
    // The vector's `fields.header` for the third message is all zeros: its
    // generator decoded that value message without the stream's type
    // definitions. We compare the bytes, and the values its description names.
    expect(toHex(tx.encodeParcel(Parcel.make("127.0.0.1:8110 0000abcd", hex("deadbeef"))))).toBe(third.hex)

    const { protocol: rx } = decodeHandshake(hex(first.hex + second.hex + third.hex))
    const a = nextParcel(rx)
    expect([a.type, a.address, new TextDecoder().decode(a.payload)]).toEqual([
      6,
      "<BROADCAST>",
      second.fields.payloadText
    ])
    const h = second.fields.header as Record<string, unknown>
    expect(h.Crc32).toBe("0xc445bb9e")
    const b = nextParcel(rx)
    expect([b.type, b.address, toHex(b.payload)]).toEqual([6, "127.0.0.1:8110 0000abcd", "deadbeef"])
    expect(rx.buffered).toBe(0)
  })

  it("writes a protocol 10 handshake in the V9 format, keeping type Handshake", () => {
    const v = vectors.get("v10_handshake_in_v9_format")
    const p = new V10(new GobStream())
    expect(toHex(p.encodeHandshake(Handshake.hello(settings(10), LOOPBACK)))).toBe(v.hex)
    const { handshake } = decodeHandshake(hex(v.hex))
    expect([handshake.version, handshake.type, handshake.loopback]).toEqual([10, ParcelType.Handshake, LOOPBACK])
  })

  it("writes and reads rejections with JSON alternatives", () => {
    for (const [name, version] of [
      ["v9_reject_with_alternatives", 9],
      ["v10_reject_with_alternatives", 10]
    ] as const) {
      const v = vectors.get(name)
      expect(toHex(Wire.Negotiation.rejection(settings(version), ALTERNATIVES)), name).toBe(v.hex)
      const { handshake } = decodeHandshake(hex(v.hex))
      expectHandshake(handshake, v.fields.decodedHandshake as Record<string, unknown>)
      expect(new TextDecoder().decode(hex(String(v.fields.payload)))).toBe(v.fields.payloadText)
    }
  })

  it("used every vector", () => expect(vectors.unused()).toEqual([]))
})

describe("protocol 10 (gob_v10.json)", () => {
  const vectors = new VectorFile("gob_v10.json")

  it("writes handshake and messages on one encoder (the accepting side)", () => {
    const v = vectors.get("v10_stream_single_encoder")
    const tx = new V10(new GobStream())
    const bytes = concat(
      tx.encodeHandshake(Handshake.hello(settings(10), LOOPBACK)),
      tx.encodeParcel(Parcel.make("", text("hello"))),
      tx.encodeParcel(Parcel.ofType(ParcelType.Ping, text("Ping")))
    )
    expect(toHex(bytes)).toBe(v.hex)
    expect(toHex(bytes.subarray(v.fields.handshakeBytes as number))).toBe(
      (v.fields.msg1 as { hex: string }).hex + (v.fields.msg2 as { hex: string }).hex
    )
    expect(bytes.length).toBe(
      (v.fields.handshakeBytes as number) + (v.fields.msg1Bytes as number) + (v.fields.msg2Bytes as number)
    )

    // the accepting side reads the whole stream: hello, then two V10Msg
    const incoming = new Wire.Negotiation.Incoming(settings(10), 99n)
    incoming.push(bytes)
    const r = incoming.poll()
    expect(r._tag).toBe("Value")
    if (r._tag !== "Value") return
    expect(r.value.protocol.version).toBe(10)
    expect(r.value.handshake.type).toBe((v.fields.handshakeHeader as { Type: number }).Type)
    const m1 = nextParcel(r.value.protocol)
    const m2 = nextParcel(r.value.protocol)
    expect([m1.type, toHex(m1.payload)]).toEqual([6, (v.fields.msg1 as { Payload: string }).Payload])
    expect([m2.type, toHex(m2.payload)]).toEqual([1, (v.fields.msg2 as { Payload: string }).Payload])
  })

  it("writes the same bytes from the dialing side after the handshake settles", () => {
    const v = vectors.get("v10_stream_outgoing_two_encoders")
    expect(v.fields.identicalToSingleEncoder).toBe(true)
    const dialer = new Wire.Negotiation.Outgoing(settings(10), LOOPBACK)
    const listener = new Wire.Negotiation.Incoming({ ...settings(10), nodeId: 7, listenPort: "9000" }, 5n)
    listener.push(dialer.hello)
    const accepted = listener.poll()
    if (accepted._tag !== "Value") throw new Error("listener did not accept")
    dialer.push(accepted.value.reply)
    const settled = dialer.poll()
    if (settled._tag !== "Value") throw new Error("dialer did not settle")
    expect(settled.value.protocol.version).toBe(10)
    const bytes = concat(
      dialer.hello,
      settled.value.protocol.encodeParcel(Parcel.make("", text("hello"))),
      settled.value.protocol.encodeParcel(Parcel.ofType(ParcelType.Ping, text("Ping")))
    )
    expect(toHex(bytes)).toBe(v.hex)
  })

  it("used every vector", () => expect(vectors.unused()).toEqual([]))
})

describe("gob edge cases (gob_edge.json)", () => {
  const vectors = new VectorFile("gob_edge.json")

  // gob_edge was generated in a process that had already registered V9Msg
  // (65) and V9Header (66), so V10Msg is 67: our shared type ids reproduce
  // that, and a fresh stream that never sent a V9 type still says 67.
  const v10 = () => new V10(new GobStream())

  it("writes and refuses an empty V10 payload", () => {
    const v = vectors.get("v10_empty_payload")
    expect(toHex(v10().encodeParcel(Parcel.make("", new Uint8Array(0))))).toBe(v.hex)
    const rx = v10()
    rx.push(hex(v.hex))
    const r = rx.decodeParcel()
    expect(r).toMatchObject({ _tag: "Failure", error: { _tag: "MalformedFrame", message: "null payload" } })
    expect(v.fields.decodedType).toBe(6)
  })

  it("writes a one-byte payload and a zero type (omitted field)", () => {
    for (const [name, type, payload] of [
      ["v10_payload_1_byte", 6, "42"],
      ["v10_type0_omitted", 0, "78"]
    ] as const) {
      const v = vectors.get(name)
      expect(toHex(v10().encodeParcel(Parcel.ofType(type, hex(payload)))), name).toBe(v.hex)
      const rx = v10()
      rx.push(hex(v.hex))
      const p = nextParcel(rx)
      expect([p.type, toHex(p.payload)]).toEqual([type, payload])
    }
  })

  it("frames a 70000-byte payload like Go (V10 and V9)", () => {
    const payload = Uint8Array.from({ length: 70000 }, (_, i) => i & 0xff)
    const v = vectors.get("v10_payload_70000_header_only")
    const tx = v10()
    tx.encodeParcel(Parcel.make("", new Uint8Array([1]))) // send the definition first
    const msg = tx.encodeParcel(Parcel.make("", payload))
    expect(toHex(msg.subarray(0, v.fields.headerBytes as number))).toBe(v.hex)
    expect(msg.length).toBe(v.fields.totalMessageBytes)
    expect(toHex(msg.subarray(msg.length - 1))).toBe(v.fields.trailerHex)

    const v9 = vectors.get("v9_payload_70000_header_only")
    const tx9 = new V9(new GobStream(), settings(9))
    tx9.encodeHandshake(Handshake.hello(settings(9), LOOPBACK))
    const msg9 = tx9.encodeParcel(Parcel.make(Parcel.Broadcast, payload))
    expect(toHex(msg9.subarray(0, v9.fields.headerBytes as number))).toBe(v9.hex)
    expect(msg9.length).toBe(v9.fields.totalMessageBytes)
    expect(v9.hex).toContain(String(v9.fields.crc32).slice(2))
  })

  it("truncates a 64-bit node id to 32 bits, as Go's ReadHandshake does", () => {
    const v = vectors.get("v9_handshake_nodeid_max_uint64")
    const { handshake } = decodeHandshake(hex(v.hex))
    expectHandshake(handshake, v.fields.decodedHandshake as Record<string, unknown>)
  })

  it("numbers user types from Go's first user id", () => {
    const v = vectors.get("gob_builtin_ids")
    const first = new V9(new GobStream(), settings(9)).encodeHandshake(Handshake.hello(settings(9), LOOPBACK))
    // message 1 = length 0x2b, then the int type id -65 (0xff 0x81)
    expect(first[1]).toBe(0xff)
    expect(-((first[2]! + 1) >> 1)).toBe(-(v.fields.firstUserId as number))
  })

  it("used every vector", () => expect(vectors.unused()).toEqual([]))
})

describe("protocol 9 validation (V9Msg.Valid)", () => {
  const tx = () => {
    const p = new V9(new GobStream(), settings(9))
    const hello = p.encodeHandshake(Handshake.hello(settings(9), LOOPBACK))
    return { p, hello }
  }

  it("refuses a bad checksum, a wrong version, an empty payload and an unknown type", () => {
    const { p, hello } = tx()
    const good = p.encodeParcel(Parcel.make("", text("abc")))
    const cases: Array<[string, Uint8Array]> = []
    // corrupt the payload byte: the CRC no longer matches
    const badCrc = good.slice()
    badCrc[badCrc.length - 2] = badCrc[badCrc.length - 2]! ^ 0xff
    cases.push(["invalid checksum", badCrc])
    for (const [why, bytes] of cases) {
      const { protocol } = decodeHandshake(concat(hello, bytes))
      expect(protocol.decodeParcel(), why).toMatchObject({ _tag: "Failure", error: { message: why } })
    }
    const wrongType = tx()
    const unknown = wrongType.p.encodeParcel({ type: 12 as ParcelType.ParcelType, address: "", payload: text("x") })
    expect(decodeHandshake(concat(wrongType.hello, unknown)).protocol.decodeParcel()).toMatchObject({
      _tag: "Failure",
      error: { message: "unknown parcel type 12" }
    })
    const empty = tx()
    const e = empty.p.encodeParcel(Parcel.make("", new Uint8Array(0)))
    expect(decodeHandshake(concat(empty.hello, e)).protocol.decodeParcel()).toMatchObject({
      _tag: "Failure",
      error: { message: "zero-length payload" }
    })
  })

  it("reads V9 peer shares it wrote", () => {
    const p = new V9(new GobStream(), settings(9))
    expect(Result.getOrThrow(p.parsePeerShare(p.makePeerShare(ALTERNATIVES))).map(String)).toEqual(
      ALTERNATIVES.map(String)
    )
  })
})
