/**
 * The fuzz properties: every decoder a peer's bytes reach, fed with random
 * bytes, mutated valid streams and hostile length claims, in random chunks.
 * Shared by the test suite (a few thousand runs, `test/fuzz.test.ts` of this
 * package) and the long runner (`npm run fuzz -- --runs 1000000`, `Fuzz`).
 * They reach the codecs through the public `Wire` of `@catp2p/p2p` only.
 *
 * Each property fails on an exception (a decoder must return a typed
 * failure, never throw) or on a broken invariant: a result is `Value`,
 * `NeedMore` or `Failure`; the bytes a decoder holds never exceed the bytes
 * pushed (a length prefix never allocates what it claims); a handshake never
 * completes after more than 16 KiB; a peer share never yields more than
 * `MAX_SHARE` endpoints, nor an invalid one.
 *
 * @since 0.1.0
 */
import * as Gob from "@catp2p/gob"
import { Result, Schema } from "effect"
import * as fc from "fast-check"
import { Endpoint, NetworkId, type Parcel, Wire } from "@catp2p/p2p"

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

type Version = 9 | 10 | 11

const network = NetworkId.fromName("catp2p-fuzz")
const local = (protocolVersion: Version) => ({
  network,
  protocolVersion,
  protocolVersionMinimum: 9,
  nodeId: 0x0f0f0f0f,
  listenPort: "8108"
})

/** A fuzz property with its name. */
export interface FuzzProperty {
  readonly name: string
  readonly property: fc.IProperty<never>
}

const fail = (message: string): never => {
  throw new Error(message)
}

const checkTag = (tag: string, where: string) => {
  if (tag !== "Value" && tag !== "NeedMore" && tag !== "Failure") fail(`${where}: unexpected result tag ${tag}`)
}

/** Splits `bytes` at the given cut fractions. */
const split = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let at = 0
  for (const p of points) {
    if (p > at) out.push(bytes.subarray(at, p))
    at = Math.max(at, p)
  }
  if (at < bytes.length) out.push(bytes.subarray(at))
  return out
}

const parcelArb: fc.Arbitrary<Parcel.Parcel> = fc.record({
  type: fc.constantFrom(...([0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const)),
  address: fc.constant(""),
  payload: fc.uint8Array({ minLength: 0, maxLength: 300 })
})

const u32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])

/** Hostile pieces: length claims of every size, on either framing. */
const claimArb = fc.oneof(
  fc.nat().map((n) => u32(n)),
  fc
    .integer({ min: 1, max: 8 })
    .chain((k) => fc.uint8Array({ minLength: k, maxLength: k }).map((b) => concat([new Uint8Array([256 - k]), b]))),
  fc.constantFrom(u32(0xffffffff), u32(134_217_728), u32(134_217_729), new Uint8Array([0xfc, 0x40, 0, 0, 0]))
)

/** Mutations of a byte string: overwrite, insert, delete, truncate. */
const mutate = (bytes: Uint8Array, ops: ReadonlyArray<readonly [number, number, number]>): Uint8Array => {
  let b = Array.from(bytes)
  for (const [kind, at, v] of ops) {
    const i = b.length === 0 ? 0 : at % b.length
    if (kind === 0) b[i] = v
    else if (kind === 1) b.splice(i, 0, v)
    else if (kind === 2) b.splice(i, 1)
    else b = b.slice(0, i)
  }
  return new Uint8Array(b)
}
const mutationsArb = fc.array(fc.tuple(fc.nat({ max: 3 }), fc.nat(), fc.nat({ max: 255 })), { maxLength: 6 })

/** A stream for `version` after the handshake: valid parcels, random bytes and claims, then mutated. */
const streamArb = (version: Version) =>
  fc
    .tuple(
      fc.array(
        fc.oneof(
          { weight: 4, arbitrary: parcelArb.map((p) => ({ parcel: p }) as const) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((raw) => ({ raw }) as const) },
          { weight: 1, arbitrary: claimArb.map((raw) => ({ raw }) as const) }
        ),
        { maxLength: 8 }
      ),
      mutationsArb,
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 })
    )
    .map(([items, muts, cuts]) => {
      const tx = Wire.Codec.fresh(version)
      const bytes = concat(items.map((it) => ("parcel" in it ? tx.encodeParcel(it.parcel) : it.raw)))
      return split(mutate(bytes, muts), cuts)
    })

/** Feeds chunks to a fresh decoder of `version`, decoding after each; checks the invariants. */
const runParcelDecoder = (version: Version, chunks: ReadonlyArray<Uint8Array>) => {
  const rx = Wire.Codec.fresh(version)
  let pushed = 0
  for (const c of chunks) {
    rx.push(c)
    pushed += c.length
    for (let n = 0; n < 10_000; n++) {
      const r = rx.decodeParcel()
      checkTag(r._tag, `v${version} decodeParcel`)
      if (rx.buffered > pushed) fail(`v${version}: holds ${rx.buffered} bytes of ${pushed} pushed`)
      if (r._tag === "Failure") {
        if (r.error._tag !== "MalformedFrame" && r.error._tag !== "FrameTooLarge") fail(`untyped failure ${r.error}`)
        return
      }
      if (r._tag === "NeedMore") break
      if (r.value.type < 0 || r.value.type > 9) fail(`v${version}: parcel of type ${r.value.type} accepted`)
      if (r.value.payload.length === 0) fail(`v${version}: empty payload accepted`)
    }
  }
}

const parcelDecoder = (version: Version): FuzzProperty => ({
  name: `V${version} parcel decoder: valid, random, claimed and mutated streams in random chunks`,
  property: fc.property(streamArb(version), (chunks) => runParcelDecoder(version, chunks)) as never
})

const gobDecoder: FuzzProperty = {
  name: "gob stream decoder: V9Msg / V10Msg over random, claimed and mutated gob streams",
  property: fc.property(
    fc.constantFrom(9, 10),
    fc.array(
      fc.oneof(
        parcelArb.map((p) => ({ p }) as const),
        claimArb.map((raw) => ({ raw }) as const)
      ),
      {
        maxLength: 6
      }
    ),
    mutationsArb,
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
    (v, items, muts, cuts) => {
      const tx = Wire.Codec.fresh(v as Version)
      const bytes = mutate(concat(items.map((it) => ("p" in it ? tx.encodeParcel(it.p) : it.raw))), muts)
      const dec = new Gob.Decoder({ maxMessageSize: 1 << 20, maxTypes: Wire.GobStream.MAX_TYPES })
      let pushed = 0
      for (const c of split(bytes, cuts)) {
        dec.push(c)
        pushed += c.length
        for (let n = 0; n < 1000; n++) {
          const r =
            v === 9
              ? dec.decode(Wire.GobStream.V9Msg, { exactName: true })
              : dec.decode(Wire.GobStream.V10Msg, { exactName: true })
          checkTag(r._tag, "gob decode")
          if (dec.buffered > pushed) fail(`gob: holds ${dec.buffered} bytes of ${pushed} pushed`)
          if (r._tag === "Failure") {
            if (!(r.error instanceof Gob.GobError)) fail("gob: untyped failure")
            return
          }
          if (r._tag === "NeedMore") break
        }
      }
    }
  ) as never
}

const hellos = ([9, 10, 11] as const).map((v) => new Wire.Negotiation.Outgoing(local(v), 5n).hello)
const rejection = ([9, 10, 11] as const).map((v) =>
  Wire.Negotiation.rejection(local(v), [Endpoint.unsafeMake("10.0.0.1", "8108")])
)

const handshake: FuzzProperty = {
  name: "handshake negotiation (both sides): random, mutated and oversized hellos in random chunks",
  property: fc.property(
    fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.tuple(fc.constantFrom(...hellos, ...rejection), mutationsArb).map(([h, m]) => mutate(h, m)),
      fc
        .tuple(fc.constantFrom(...hellos), claimArb, fc.integer({ min: 0, max: 40_000 }))
        .map(([h, c, pad]) => concat([h.subarray(0, 4), c, new Uint8Array(pad)]))
    ),
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
    fc.constantFrom(9, 10, 11),
    fc.boolean(),
    (bytes, cuts, v, incoming) => {
      const side = incoming
        ? new Wire.Negotiation.Incoming(local(v as Version), 1n)
        : new Wire.Negotiation.Outgoing(local(v as Version), 2n)
      let pushed = 0
      for (const c of split(bytes, cuts)) {
        side.push(c)
        pushed += c.length
        const r = side.poll()
        checkTag(r._tag, "negotiation")
        if (r._tag === "Failure") {
          if (r.error._tag !== "HandshakeError") fail("negotiation: untyped failure")
          return
        }
        if (r._tag === "Value") {
          const used = pushed - r.value.protocol.buffered
          if (used > Wire.Negotiation.MAX_HANDSHAKE_BYTES) fail(`handshake accepted after ${used} bytes`)
          if (![8, 3, 9].includes(r.value.handshake.type)) fail(`handshake of type ${r.value.handshake.type}`)
          return
        }
        if (pushed > Wire.Negotiation.MAX_HANDSHAKE_BYTES + 4) fail(`still waiting after ${pushed} bytes`)
      }
    }
  ) as never
}

const peerShare: FuzzProperty = {
  name: "peer share parsers: random and mutated payloads",
  property: fc.property(
    fc.constantFrom(9, 10, 11),
    fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.json().map((j) => new TextEncoder().encode(j)),
      fc
        .tuple(
          fc.array(fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 70_000 })), { maxLength: 20 }),
          fc.constantFrom(9, 10, 11),
          mutationsArb
        )
        .map(([eps, v, m]) =>
          mutate(
            Wire.Codec.fresh(v as Version).makePeerShare(
              eps.map(([ip, port]) => Endpoint.unsafeMake(ip, String(port)))
            ),
            m
          )
        )
    ),
    (v, payload) => {
      const r = Wire.Codec.fresh(v as Version).parsePeerShare(payload)
      if (Result.isSuccess(r)) {
        if (r.success.length > Wire.Protocol.MAX_SHARE) fail("peer share above MAX_SHARE")
        for (const ep of r.success) if (!Endpoint.isValid(ep)) fail(`invalid endpoint ${JSON.stringify(ep)} kept`)
      }
    }
  ) as never
}

const schemas: FuzzProperty = {
  name: "Wire.Codec schemas: random and mutated byte strings decode or fail with an issue",
  property: fc.property(
    fc.constantFrom(9, 10, 11),
    fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.tuple(fc.constantFrom(...hellos), mutationsArb).map(([h, m]) => mutate(h, m))
    ),
    (v, bytes) => {
      Schema.decodeUnknownResult(Wire.Codec.ParcelStream(v as Version))(bytes)
      Schema.decodeUnknownResult(Wire.Codec.HandshakeBytes(v as Version))(bytes)
    }
  ) as never
}

/** Every fuzz property. */
export const properties: ReadonlyArray<FuzzProperty> = [
  parcelDecoder(11),
  parcelDecoder(10),
  parcelDecoder(9),
  gobDecoder,
  handshake,
  peerShare,
  schemas
]
