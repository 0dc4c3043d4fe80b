import { Option, Result, Schema } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { hex, toHex, VectorFile } from "../../../../test/support/vectors.ts"
import { Endpoint, Handshake, NetworkId, Parcel, ParcelType, PeerHash, Wire } from "@catp2p/p2p"

const { Crc32 } = Wire

const text = (s: string) => new TextEncoder().encode(s)

describe("Crc32 (crc32.json)", () => {
  const vectors = new VectorFile("crc32.json")

  it("builds Go's Koopman table", () => {
    const v = vectors.get("crc32_koopman_table")
    const table = v.fields.table as Array<string>
    expect(Array.from(Crc32.table, (n) => n.toString(16).padStart(8, "0"))).toEqual(table)
  })

  it("checksums like Go", () => {
    const cases = vectors.matching(/^crc32_koopman\(/)
    expect(cases.length).toBeGreaterThanOrEqual(6)
    for (const v of cases) {
      const input = hex(String(v.fields.inputHex))
      expect(Crc32.checksum(input), v.name).toBe(v.fields.value)
    }
  })

  it("the sliced loop agrees with the byte-at-a-time definition, for every length and offset", () => {
    const reference = (data: Uint8Array) => {
      let crc = 0xffffffff
      for (const byte of data) crc = Crc32.table[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
      return (crc ^ 0xffffffff) >>> 0
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, offset) => {
        const view = bytes.subarray(Math.min(offset, bytes.length))
        expect(Crc32.checksum(view)).toBe(reference(view))
      })
    )
  })

  it("used every vector", () => expect(vectors.unused()).toEqual([]))
})

describe("NetworkId, PeerHash and targets (ids.json)", () => {
  const vectors = new VectorFile("ids.json")

  it("derives network ids from names like NewNetworkID", () => {
    for (const v of vectors.matching(/^NewNetworkID/)) {
      const id = NetworkId.fromName(String(v.fields.input))
      expect(id, v.name).toBe(v.fields.value)
      expect(NetworkId.format(id)).toBe(v.fields.String)
    }
  })

  it("hashes strings like StringToUint32", () => {
    for (const v of vectors.matching(/^StringToUint32/)) {
      expect(NetworkId.stringToUint32(String(v.fields.input)), v.name).toBe(v.fields.value)
    }
  })

  it("knows the predefined networks", () => {
    const byName = { MainNet: NetworkId.MainNet, TestNet: NetworkId.TestNet, LocalNet: NetworkId.LocalNet }
    for (const v of vectors.matching(/^predefined_/)) {
      const name = v.name.replace("predefined_", "") as keyof typeof byName
      expect(byName[name]).toBe(v.fields.value)
      expect(NetworkId.format(byName[name])).toBe(v.fields.String)
    }
  })

  it("computes IP locations like IP2LocationQuick", () => {
    const cases = vectors.matching(/^IP2LocationQuick/)
    expect(cases.length).toBeGreaterThanOrEqual(9)
    for (const v of cases) expect(Endpoint.ipToLocation(String(v.fields.input)), v.name).toBe(v.fields.value)
  })

  it("formats and parses peer hashes", () => {
    const v = vectors.get("peer_hash_format")
    expect(PeerHash.format("127.0.0.1", "8110", 0xabcd)).toBe(v.fields.example)
    expect(new TextDecoder().decode(hex(v.hex))).toBe(v.fields.example)
    expect(PeerHash.format("10.0.0.1", "8108", 0xffffffff)).toBe(v.fields.exampleMaxID)
    expect(PeerHash.parse(String(v.fields.example))).toEqual(
      Option.some({ ip: "127.0.0.1", port: "8110", nodeId: 0xabcd })
    )
    expect(PeerHash.parse("not a hash")).toEqual(Option.none())
    // IPv6 as Go's fmt.Sprintf("%s:%s %08x", ep.IP, ep.Port, id) (peer.go): no brackets; the port is after the last colon
    expect(PeerHash.format("::1", "8108", 0xabcd)).toBe("::1:8108 0000abcd")
    expect(PeerHash.parse("::1:8108 0000abcd")).toEqual(Option.some({ ip: "::1", port: "8108", nodeId: 0xabcd }))
  })

  it("spells the routing targets as Go does", () => {
    const v = vectors.get("target_flags")
    expect(Parcel.Broadcast).toBe(v.fields.Broadcast)
    expect(Parcel.FullBroadcast).toBe(v.fields.FullBroadcast)
    expect(Parcel.RandomPeer).toBe(v.fields.RandomPeer)
  })

  it("round-trips any node id through the peer hash", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.ipV4(), fc.ipV6()),
        fc.integer({ min: 1, max: 65535 }),
        fc.nat({ max: 0xffffffff }),
        (ip, port, id) => {
          const parsed = PeerHash.parse(PeerHash.format(ip, String(port), id))
          expect(parsed).toEqual(Option.some({ ip, port: String(port), nodeId: id }))
        }
      )
    )
  })

  it("used every vector", () => expect(vectors.unused()).toEqual([]))
})

describe("ParcelType and Parcel (parcel_types.json)", () => {
  const vectors = new VectorFile("parcel_types.json")

  it("names, classifies and validates every type like Go", () => {
    const cases = vectors.matching(/^type_/)
    expect(cases).toHaveLength(11)
    for (const v of cases) {
      const n = v.fields.value as number
      expect(toHex(new Uint8Array([n >> 8, n & 0xff]))).toBe(v.hex)
      expect(ParcelType.name(n), v.name).toBe(v.fields.String)
      expect(ParcelType.isApplication(n), v.name).toBe(v.fields.isApplication)
      const valid = Parcel.validate(n, new Uint8Array([1]))
      if (v.fields.validError === "<nil>") expect(Result.isSuccess(valid), v.name).toBe(true)
      else {
        expect(Result.isFailure(valid), v.name).toBe(true)
        if (Result.isFailure(valid)) expect(valid.failure.message).toBe(v.fields.validError)
      }
    }
  })

  it("refuses an empty payload", () => {
    const r = Parcel.validate(ParcelType.Message, new Uint8Array(0))
    expect(Result.isFailure(r) && r.failure.reason).toBe("EmptyPayload")
  })

  it("used every vector", () => expect(vectors.unused()).toEqual([]))
})

describe("Endpoint (peercache.json)", () => {
  const vectors = new VectorFile("peercache.json")

  it("reads the peers and bans of Go's peer file with the Endpoint schema", () => {
    const v = vectors.get("peercache_2_peers_1_ban")
    const fileText = new TextDecoder().decode(hex(v.hex))
    expect(fileText).toBe(v.fields.text)
    const PeerFile = Schema.Struct({
      bans: Schema.Record(Schema.String, Schema.String),
      peers: Schema.Array(Endpoint.Endpoint)
    })
    const parsed = Schema.decodeUnknownSync(PeerFile)(JSON.parse(fileText))
    expect(parsed.peers.map((p) => ({ ip: p.ip, port: p.port }))).toEqual(v.fields.loadedPeers)
    expect(parsed.bans).toEqual(v.fields.loadedBans)
    // and writes the same peers back
    expect(JSON.stringify(parsed.peers.map((p) => Schema.encodeSync(Endpoint.Endpoint)(p)))).toBe(
      JSON.stringify(v.fields.loadedPeers)
    )
  })

  it("used every vector", () => expect(vectors.unused()).toEqual([]))
})

describe("Endpoint", () => {
  it("parses and formats ip:port", () => {
    const ok = (s: string) => Result.getOrThrow(Endpoint.parse(s))
    expect(ok("127.0.0.1:8108")).toMatchObject({ ip: "127.0.0.1", port: "8108" })
    expect(ok("seed.example.com:80")).toMatchObject({ ip: "seed.example.com", port: "80" })
    expect(ok("[::1]:8108")).toMatchObject({ ip: "::1", port: "8108" })
    expect(Endpoint.format(ok("[::1]:8108"))).toBe("[::1]:8108")
    expect(String(ok("10.0.0.1:1"))).toBe("10.0.0.1:1")
    // Go's net.SplitHostPort takes any host in brackets
    expect(ok("[10.0.0.1]:1")).toMatchObject({ ip: "10.0.0.1", port: "1" })
  })

  it("formats as Go's Endpoint.String (ban keys): IPv6 without brackets", () => {
    expect(Endpoint.formatGo(Endpoint.unsafeMake("::1", "8108"))).toBe("::1:8108")
    expect(Endpoint.formatGo(Endpoint.unsafeMake("10.0.0.1", "8108"))).toBe("10.0.0.1:8108")
  })

  it("refuses bad endpoints with a reason", () => {
    for (const bad of [
      "",
      "127.0.0.1",
      "127.0.0.1:0",
      "127.0.0.1:65536",
      "127.0.0.1:-1",
      "::1:80",
      "a b:80",
      ":80",
      "x:8o"
    ]) {
      const r = Endpoint.parse(bad)
      expect(Result.isFailure(r), bad).toBe(true)
      if (Result.isFailure(r)) expect(r.failure._tag).toBe("EndpointParseError")
    }
    expect(() => Schema.decodeUnknownSync(Endpoint.Endpoint)({ ip: "1.2.3.4", port: "0" })).toThrow(/1\.\.65535/)
  })

  it("parses what it formats", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()), fc.integer({ min: 1, max: 65535 }), (ip, port) => {
        fc.pre(ip.length <= 253)
        const ep = Endpoint.unsafeMake(ip, String(port))
        const back = Endpoint.parse(Endpoint.format(ep))
        expect(Result.isSuccess(back)).toBe(true)
        if (Result.isSuccess(back))
          expect({ ip: back.success.ip, port: back.success.port }).toEqual({ ip, port: String(port) })
      })
    )
  })
})

describe("Handshake.validate", () => {
  const rules = { network: NetworkId.fromName("myNetwork"), protocolVersionMinimum: 10 }
  const base: Handshake.Handshake = {
    network: rules.network,
    version: 10,
    type: ParcelType.Handshake,
    nodeId: 1,
    listenPort: "8108",
    loopback: 7n,
    alternatives: []
  }
  const reason = (h: Handshake.Handshake) => {
    const r = Handshake.validate(h, rules)
    return Result.isFailure(r) ? r.failure.reason._tag : "ok"
  }

  it("applies Go's checks in Go's order, each a typed reason", () => {
    expect(reason(base)).toBe("ok")
    expect(reason({ ...base, version: 9 })).toBe("VersionTooLow")
    expect(reason({ ...base, network: NetworkId.MainNet })).toBe("WrongNetwork")
    expect(reason({ ...base, version: 9, network: NetworkId.MainNet })).toBe("VersionTooLow")
    expect(reason({ ...base, listenPort: "0" })).toBe("Malformed")
    expect(reason({ ...base, listenPort: "x" })).toBe("Malformed")
    expect(reason({ ...base, alternatives: [Endpoint.unsafeMake("bad host!", "1")] })).toBe("Malformed")
    expect(reason({ ...base, alternatives: [Endpoint.unsafeMake("1.2.3.4", "1")] })).toBe("ok")
  })

  it("is a Schema: the data type validates its fields", () => {
    const decode = Schema.decodeUnknownSync(Handshake.Handshake)
    expect(decode({ ...base, alternatives: [] })).toMatchObject({ version: 10 })
    expect(() => decode({ ...base, version: 70000 })).toThrow()
    expect(() => decode({ ...base, loopback: -1n })).toThrow()
  })

  it("checks text encodings stay ASCII-safe", () => {
    expect(text("8108")).toEqual(new Uint8Array([56, 49, 48, 56]))
  })
})

describe("Crc32 slicing", () => {
  const bytewise = (data: Uint8Array) => {
    let crc = 0xffffffff
    for (const b of data) crc = Crc32.table[(crc ^ b) & 0xff]! ^ (crc >>> 8)
    return (crc ^ 0xffffffff) >>> 0
  }
  it("agrees with the byte-at-a-time definition on any input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (data) => {
        expect(Crc32.checksum(data)).toBe(bytewise(data))
      })
    )
  })
})
