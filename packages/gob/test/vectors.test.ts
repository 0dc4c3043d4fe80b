/**
 * The gob test vectors produced by Go (fixtures/vectors/gob_*.json): every
 * stream decodes to its listed fields and re-encodes to the same bytes.
 */
import { describe, expect, it } from "vitest"
import * as Gob from "../src/index.ts"
import { Reader, readInt, readUint } from "../src/Wire.ts"
import { Id } from "../src/WireType.ts"
import {
  concat,
  decodeSeq,
  headerFromJson,
  hex,
  type Segment,
  unhex,
  V9Header,
  V9Msg,
  V10Msg,
  VectorSet
} from "./support.ts"

const v9 = new VectorSet("gob_v9.json")
const v10 = new VectorSet("gob_v10.json")
const edge = new VectorSet("gob_edge.json")

/**
 * A `TypeIds` in the state of a Go process that has sent V9Msg (65, with
 * V9Header 66) and then V10Msg (67): vectors whose ids depend on process
 * history (e.g. gob_edge's V10Msg, id 67, on a fresh encoder) need it.
 */
const goProcessIds = (): Gob.TypeIds => {
  const ids = new Gob.TypeIds(65)
  expect(ids.register(V9Msg)).toBe(65)
  expect(ids.register(V9Header)).toBe(66)
  expect(ids.register(V10Msg)).toBe(67)
  return ids
}

const v9FromFields = (fields: Record<string, unknown>): V9Msg => ({
  Header: headerFromJson(fields.header as Record<string, unknown>),
  Payload: unhex(fields.payload as string)
})

/** Checks the `segments` of a vector against a stream: split points, lengths, type ids. */
const checkSegments = (stream: Uint8Array, segments: ReadonlyArray<Segment>, preamble?: Uint8Array): void => {
  expect(segments.length).toBeGreaterThan(0)
  let offset = 0
  for (const s of segments) {
    expect(s.offset).toBe(offset)
    const bytes = unhex(s.hex)
    expect(hex(stream.subarray(offset, offset + bytes.length))).toBe(s.hex)
    const r = new Reader()
    r.reset(bytes, 0, bytes.length, false)
    expect(readUint(r)).toBe(s.messageLength)
    expect(r.pos).toBe(s.lengthPrefixBytes)
    expect(bytes.length).toBe(s.lengthPrefixBytes + s.messageLength)
    expect(readInt(r)).toBe(s.typeId)
    expect(s.kind).toBe(s.typeId < 0 ? "typedef" : "value")
    offset += bytes.length
  }
  expect(offset).toBe(stream.length)
  // Fed one segment at a time, type definitions are consumed without producing a value.
  const dec = new Gob.Decoder()
  if (preamble !== undefined) {
    // The type definitions sent earlier on the same stream.
    dec.push(preamble)
    expect(dec.decode(V9Msg)).toEqual({ _tag: "NeedMore" })
  }
  for (const s of segments) {
    dec.push(unhex(s.hex))
    if (s.kind === "typedef") {
      const t: Gob.Type<unknown> = s.typeId === -67 ? V10Msg : V9Msg
      expect(dec.decode(t)).toEqual({ _tag: "NeedMore" })
      expect(dec.buffered).toBe(0)
    } else {
      const t: Gob.Type<unknown> = s.typeId === 67 ? V10Msg : V9Msg
      const r = dec.decode(t)
      expect(r._tag).toBe("Value")
    }
  }
}

describe("gob_v9.json", () => {
  for (const name of [
    "v9_handshake_first_message",
    "v10_handshake_in_v9_format",
    "v9_reject_with_alternatives",
    "v10_reject_with_alternatives"
  ]) {
    it(`${name}: decodes to the listed fields and re-encodes on a fresh encoder`, () => {
      const v = v9.get(name)
      const stream = unhex(v.hex)
      const expected = v9FromFields(v.fields)
      expect(decodeSeq(stream, [V9Msg])).toEqual([expected])
      expect(hex(new Gob.Encoder().encode(V9Msg, expected))).toBe(v.hex)
      checkSegments(stream, v.fields.segments as ReadonlyArray<Segment>)
    })
  }

  it("v9_second_message_same_stream: only the value message follows on the same encoder", () => {
    const first = v9.get("v9_handshake_first_message")
    const v = v9.get("v9_second_message_same_stream")
    const enc = new Gob.Encoder()
    expect(hex(enc.encode(V9Msg, v9FromFields(first.fields)))).toBe(first.hex)
    const second = v9FromFields(v.fields)
    expect(new TextDecoder().decode(second.Payload)).toBe(v.fields.payloadText)
    expect(hex(enc.encode(V9Msg, second))).toBe(v.hex)
    expect(v.fields.streamHex).toBe(first.hex + v.hex)
    expect(decodeSeq(unhex(v.fields.streamHex as string), [V9Msg, V9Msg])).toEqual([v9FromFields(first.fields), second])
    checkSegments(unhex(v.hex), v.fields.segments as ReadonlyArray<Segment>, unhex(first.hex).subarray(0, 227))
  })

  it("v9_third_message_peer_target: third value on the same stream", () => {
    const first = v9.get("v9_handshake_first_message")
    const second = v9.get("v9_second_message_same_stream")
    const v = v9.get("v9_third_message_peer_target")
    // The fixture's `fields` for this vector are Go zero values (its generator did not fill
    // them in); the values below are the ones the description and the bytes spell out.
    // If the fixture is ever corrected, this assertion fails and the test should use it.
    expect(headerFromJson(v.fields.header as Record<string, unknown>).Network).toBe(0)
    const third: V9Msg = {
      Header: {
        Network: 0x29cb7175,
        Version: 9,
        Type: 6,
        Length: 4,
        TargetPeer: "127.0.0.1:8110 0000abcd",
        Crc32: 0x36e111ed,
        PartNo: 0,
        PartsTotal: 0,
        NodeID: 0x01020304n,
        PeerAddress: "",
        PeerPort: "8108",
        AppHash: "NetworkMessage",
        AppType: "Network"
      },
      Payload: unhex("deadbeef")
    }
    const enc = new Gob.Encoder()
    enc.encode(V9Msg, v9FromFields(first.fields))
    enc.encode(V9Msg, v9FromFields(second.fields))
    expect(hex(enc.encode(V9Msg, third))).toBe(v.hex)
    const stream = unhex(first.hex + second.hex + v.hex)
    expect(decodeSeq(stream, [V9Msg, V9Msg, V9Msg])[2]).toEqual(third)
    checkSegments(unhex(v.hex), v.fields.segments as ReadonlyArray<Segment>, unhex(first.hex).subarray(0, 227))
  })
})

describe("gob_v10.json", () => {
  it("v10_stream_single_encoder: a V9 handshake then two V10Msg on one encoder and one decoder", () => {
    const v = v10.get("v10_stream_single_encoder")
    const f = v.fields
    const handshake: V9Msg = {
      Header: headerFromJson(f.handshakeHeader as Record<string, unknown>),
      Payload: unhex(f.handshakePayload as string)
    }
    const m1 = f.msg1 as Record<string, unknown>
    const m2 = f.msg2 as Record<string, unknown>
    const msg1: V10Msg = { Type: m1.Type as number, Payload: unhex(m1.Payload as string) }
    const msg2: V10Msg = { Type: m2.Type as number, Payload: unhex(m2.Payload as string) }
    const stream = unhex(v.hex)
    expect(decodeSeq(stream, [V9Msg, V10Msg, V10Msg])).toEqual([handshake, msg1, msg2])

    const enc = new Gob.Encoder()
    const b0 = enc.encode(V9Msg, handshake)
    const b1 = enc.encode(V10Msg, msg1)
    const b2 = enc.encode(V10Msg, msg2)
    expect([b0.length, b1.length, b2.length]).toEqual([f.handshakeBytes, f.msg1Bytes, f.msg2Bytes])
    expect(hex(b1)).toBe(m1.hex)
    expect(hex(b2)).toBe(m2.hex)
    expect(hex(concat(b0, b1, b2))).toBe(v.hex)
    checkSegments(stream, v.fields.segments as ReadonlyArray<Segment>)
  })

  it("v10_stream_outgoing_two_encoders: two encoders sharing one TypeIds write identical bytes", () => {
    const v = v10.get("v10_stream_outgoing_two_encoders")
    const single = v10.vectors.get("v10_stream_single_encoder")!
    expect(v.fields.identicalToSingleEncoder).toBe(true)
    expect(v.hex).toBe(single.hex)
    const [handshake, msg1, msg2] = decodeSeq(unhex(v.hex), [V9Msg, V10Msg, V10Msg]) as [V9Msg, V10Msg, V10Msg]
    const ids = new Gob.TypeIds()
    const e1 = new Gob.Encoder({ typeIds: ids })
    const e2 = new Gob.Encoder({ typeIds: ids })
    const out = concat(e1.encode(V9Msg, handshake), e2.encode(V10Msg, msg1), e2.encode(V10Msg, msg2))
    expect(hex(out)).toBe(v.hex)
    checkSegments(out, v.fields.segments as ReadonlyArray<Segment>)
  })
})

describe("gob_edge.json", () => {
  const v10Alone = (name: string, value: V10Msg) => {
    const v = edge.get(name)
    // A fresh encoder in a process that already assigned V9Msg/V9Header/V10Msg: V10Msg is 67.
    const enc = new Gob.Encoder({ typeIds: goProcessIds() })
    expect(hex(enc.encode(V10Msg, value))).toBe(v.hex)
    expect(decodeSeq(unhex(v.hex), [V10Msg])).toEqual([value])
    checkSegments(unhex(v.hex), v.fields.segments as ReadonlyArray<Segment>)
    return v
  }

  it("v10_empty_payload: the empty payload is omitted", () => {
    const v = v10Alone("v10_empty_payload", { Type: 6, Payload: new Uint8Array(0) })
    const [m] = decodeSeq(unhex(v.hex), [V10Msg]) as [V10Msg]
    expect(m.Type).toBe(v.fields.decodedType)
    expect(m.Payload.length).toBe(v.fields.decodedPayloadLen)
    expect(v.fields.decodeError).toBe("<nil>")
  })

  it("v10_payload_1_byte", () => {
    v10Alone("v10_payload_1_byte", { Type: 6, Payload: new Uint8Array([0x42]) })
  })

  it("v10_type0_omitted: the zero Type field is omitted (delta 2)", () => {
    const v = v10Alone("v10_type0_omitted", { Type: 0, Payload: new Uint8Array([0x78]) })
    expect(v.hex.endsWith("06ff8602017800")).toBe(true)
  })

  const big = new Uint8Array(70000).map((_, i) => i & 255)

  it("v10_payload_70000_header_only: prefix and length of a 70000-byte V10Msg", () => {
    const v = edge.get("v10_payload_70000_header_only")
    const enc = new Gob.Encoder({ typeIds: goProcessIds() })
    const typedef = enc.encode(V10Msg, { Type: 1, Payload: new Uint8Array(0) }).subarray(0, 42)
    const out = enc.encode(V10Msg, { Type: 6, Payload: big })
    expect(hex(out.subarray(0, v.fields.headerBytes as number))).toBe(v.hex)
    expect(out.length).toBe(v.fields.totalMessageBytes)
    expect(out.length).toBe((v.fields.headerBytes as number) + (v.fields.payloadLen as number) + 1)
    expect(hex(out.subarray(out.length - 1))).toBe(v.fields.trailerHex)
    const built = concat(unhex(v.hex), big, unhex(v.fields.trailerHex as string))
    expect(built).toEqual(out)
    expect(decodeSeq(concat(typedef, built), [V10Msg])).toEqual([{ Type: 6, Payload: big }])
  })

  it("v9_payload_70000_header_only: prefix and length of a 70000-byte V9Msg", () => {
    const v = edge.get("v9_payload_70000_header_only")
    const header: V9Header = {
      Network: 0x29cb7175,
      Version: 9,
      Type: 6,
      Length: 70000,
      TargetPeer: "<BROADCAST>",
      Crc32: Number(v.fields.crc32),
      PartNo: 0,
      PartsTotal: 0,
      NodeID: 0x01020304n,
      PeerAddress: "",
      PeerPort: "8108",
      AppHash: "NetworkMessage",
      AppType: "Network"
    }
    const enc = new Gob.Encoder()
    const typedefs = enc.encode(V9Msg, { Header: header, Payload: new Uint8Array(0) }).subarray(0, 227)
    const out = enc.encode(V9Msg, { Header: header, Payload: big })
    expect(hex(out.subarray(0, v.fields.headerBytes as number))).toBe(v.hex)
    expect(out.length).toBe(v.fields.totalMessageBytes)
    const built = concat(unhex(v.hex), big, new Uint8Array([0]))
    expect(built).toEqual(out)
    expect(decodeSeq(concat(typedefs, built), [V9Msg])).toEqual([{ Header: header, Payload: big }])
  })

  it("v9_handshake_nodeid_max_uint64: NodeID 2^64-1 as a uint64", () => {
    const v = edge.get("v9_handshake_nodeid_max_uint64")
    const hs = v9.vectors.get("v9_handshake_first_message")!
    const value: V9Msg = {
      Header: { ...headerFromJson(hs.fields.header as Record<string, unknown>), NodeID: 2n ** 64n - 1n },
      Payload: unhex(hs.fields.payload as string)
    }
    expect((v.fields.decodedHandshake as Record<string, unknown>).NodeID).toBe("0xffffffff")
    expect(decodeSeq(unhex(v.hex), [V9Msg])).toEqual([value])
    expect(hex(new Gob.Encoder().encode(V9Msg, value))).toBe(v.hex)
    expect(v.hex).toContain("f8ffffffffffffffff")
    checkSegments(unhex(v.hex), v.fields.segments as ReadonlyArray<Segment>)
    // As a safe-integer uint the same NodeID overflows.
    const asNumber = Gob.struct("V9Msg", {
      Header: Gob.struct("V9Header", { NodeID: Gob.uint }),
      Payload: Gob.bytes
    })
    const dec = new Gob.Decoder()
    dec.push(unhex(v.hex))
    const r = dec.decode(asNumber)
    expect(r._tag === "Failure" && r.error.reason).toBe("Overflow")
  })

  it("gob_builtin_ids: the predefined ids", () => {
    const v = edge.get("gob_builtin_ids")
    const f = v.fields
    const ids = new Gob.TypeIds()
    expect(ids.idOf(Gob.bool)).toBe(f.bool)
    expect(ids.idOf(Gob.int)).toBe(f.int)
    expect(ids.idOf(Gob.int64)).toBe(f.int)
    expect(ids.idOf(Gob.uint)).toBe(f.uint)
    expect(ids.idOf(Gob.uint64)).toBe(f.uint)
    expect(ids.idOf(Gob.float)).toBe(f.float)
    expect(ids.idOf(Gob.bytes)).toBe(f["[]byte"])
    expect(ids.idOf(Gob.string)).toBe(f.string)
    expect(Id.complex).toBe(f.complex)
    expect(Id.interface).toBe(f.interface)
    expect(Id.wireType).toBe(f.wireType)
    expect(Id.arrayType).toBe(f.arrayType)
    expect(Id.CommonType).toBe(f.CommonType)
    expect(Id.sliceType).toBe(f.sliceType)
    expect(Id.structType).toBe(f.structType)
    expect(Id.fieldType).toBe(f.fieldType)
    expect(Id.mapType).toBe(f.mapType)
    expect(ids.register(Gob.struct("T", {}))).toBe(f.firstUserId)
    expect(v.hex).toBe("")
  })
})

describe("coverage", () => {
  it("every vector of every gob file was used by a test above", () => {
    for (const set of [v9, v10, edge]) {
      expect(set.vectors.size).toBeGreaterThan(0)
      expect(set.unused()).toEqual([])
    }
  })
})
