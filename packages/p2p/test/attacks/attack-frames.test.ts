/**
 * Abuse after a valid handshake: invalid frames on every protocol (a type ≥
 * 10, an empty payload, a bad CRC, bad protobuf, the wrong gob type on the
 * stream) close the peer, count the misbehaviour with its reason, and
 * discourage the address (the Listener refuses it, the Dialer does not dial
 * it); a flood of valid parcels from one peer does not stop the node from
 * serving another. (The stalled frame is in attack-oversize.test.ts.)
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { Endpoint, Wire } from "@catp2p/p2p"
import { eventually } from "../support/node.ts"
import {
  assertLive,
  assertRetained,
  attacker,
  closedWithin,
  connectRaw,
  fds,
  fdsBackTo,
  handshakeFrom,
  peakRssGrowth,
  readUntilClosed,
  report,
  retainedHeapMiB,
  send,
  startTarget
} from "../support/attack.ts"

const { Crc32 } = Wire

const RSS_BOUND_MIB = 192
const RETAINED_BOUND_MIB = 8
const payload = new TextEncoder().encode("payload")

type Settled = Wire.Negotiation.Settled

const v9Msg = (s: Settled, header: Partial<Wire.GobStream.V9Msg["Header"]>, body: Uint8Array) =>
  (s.protocol as Wire.V9.V9).stream.encoder.encode(Wire.GobStream.V9Msg, {
    Header: {
      Network: 0,
      Version: 9,
      Type: 6,
      Length: body.length,
      TargetPeer: "",
      Crc32: Crc32.checksum(body),
      PartNo: 0,
      PartsTotal: 0,
      NodeID: 1n,
      PeerAddress: "",
      PeerPort: "9",
      AppHash: "NetworkMessage",
      AppType: "Network",
      ...header
    },
    Payload: body
  })

/** Each invalid frame: its protocol and its bytes on a settled stream. */
const invalid: ReadonlyArray<readonly [string, 9 | 10 | 11, (s: Settled) => Uint8Array]> = [
  ["type 10", 11, () => Wire.V11.encodeMsgFrame(10, payload)],
  ["type 10", 10, (s) => s.protocol.encodeParcel({ type: 10 as never, address: "", payload })],
  ["type 12", 9, (s) => s.protocol.encodeParcel({ type: 12 as never, address: "", payload })],
  ["empty payload", 11, () => Wire.V11.encodeMsgFrame(6, new Uint8Array(0))],
  ["empty payload", 10, (s) => s.protocol.encodeParcel({ type: 6, address: "", payload: new Uint8Array(0) })],
  ["empty payload", 9, (s) => v9Msg(s, { Length: 0, Crc32: 0 }, new Uint8Array(0))],
  ["bad CRC", 9, (s) => v9Msg(s, { Crc32: 12345 }, payload)],
  ["bad length in header", 9, (s) => v9Msg(s, { Length: 3 }, payload)],
  ["bad protobuf (field 0)", 11, () => new Uint8Array([0, 0, 0, 2, 0x00, 0x01])],
  ["bad protobuf (length past the frame)", 11, () => new Uint8Array([0, 0, 0, 3, 0x12, 0x7f, 0x01])],
  ["bad protobuf (wire type 7)", 11, () => new Uint8Array([0, 0, 0, 2, 0x0f, 0x01])],
  [
    "a V9Msg on a V10 stream",
    10,
    (s) =>
      (s.protocol as Wire.V10.V10).stream.encoder.encode(Wire.GobStream.V9Msg, {
        Header: {
          Network: 0,
          Version: 10,
          Type: 6,
          Length: payload.length,
          TargetPeer: "",
          Crc32: Crc32.checksum(payload),
          PartNo: 0,
          PartsTotal: 0,
          NodeID: 1n,
          PeerAddress: "",
          PeerPort: "9",
          AppHash: "",
          AppType: ""
        },
        Payload: payload
      })
  ],
  ["gob garbage", 10, () => new Uint8Array([0x05, 0xff, 0x86, 0x01, 0x2a, 0x00, 0x13, 0x37])]
]

describe("invalid frames after the handshake", () => {
  it.live("each closes the peer, is counted with its reason, and discourages the address", () =>
    Effect.gen(function* () {
      const node = yield* startTarget()
      const baseline = fds()
      for (const [i, [name, version, frame]] of invalid.entries()) {
        const from = attacker(i)
        yield* Effect.scoped(
          Effect.gen(function* () {
            const { connection, settled } = yield* handshakeFrom(node.endpoint, from, version)
            yield* eventually(`${name} v${version}: attached`, node.network.total, (n) => n === 1)
            yield* connection.write([frame(settled)])
            yield* readUntilClosed(connection, "3 seconds")
          })
        )
        yield* eventually(
          `${name} v${version}: counted`,
          Effect.sync(() => node.probe.stats().misbehaviour.MalformedFrame),
          (n) => n === i + 1
        )
        assert.isTrue(yield* node.probe.isDiscouraged(from), `${name} v${version}: discouraged`)
        // the Listener refuses the address at once, before any handshake
        yield* Effect.scoped(
          Effect.gen(function* () {
            const s = yield* connectRaw(node.endpoint, from)
            yield* send(
              s,
              new Wire.Negotiation.Outgoing(
                {
                  network: node.config.network,
                  protocolVersion: 11,
                  protocolVersionMinimum: 9,
                  nodeId: 3,
                  listenPort: "9"
                },
                9n
              ).hello
            )
            yield* closedWithin(s, "2 seconds")
            assert.strictEqual(s.received.length, 0)
          })
        )
        // and the Dialer does not dial it
        const refused = yield* Effect.flip(node.network.dial(Endpoint.unsafeMake(from, "9")))
        assert.strictEqual(refused._tag === "DialError" && refused.reason, "Discouraged")
      }
      assert.strictEqual(node.probe.stats().invalid, invalid.length)
      assert.strictEqual(node.probe.stats().discouraged, invalid.length)
      yield* fdsBackTo(baseline)
      yield* assertLive(node)
    })
  )

  it.live("a parcel flood from one peer does not stop the node from serving another", () =>
    Effect.gen(function* () {
      const node = yield* startTarget()
      const baseline = fds()
      const heap = retainedHeapMiB()
      let sent = 0
      const [, growth] = yield* peakRssGrowth(
        Effect.scoped(
          Effect.gen(function* () {
            const { connection } = yield* handshakeFrom(node.endpoint, attacker(100), 11)
            const batch = Array.from({ length: 200 }, (_, i) =>
              Wire.V11.encodeMsgFrame(6, new Uint8Array(1024).fill(i & 0xff))
            )
            const flooding = yield* Effect.forkChild(
              Effect.forever(
                connection.write(batch).pipe(
                  Effect.andThen(
                    Effect.sync(() => {
                      sent += batch.length
                    })
                  )
                )
              )
            )
            yield* Effect.sleep("1 second")
            yield* assertLive(node)
            yield* Fiber.interrupt(flooding)
            // valid traffic is not misbehaviour: the flooder is still connected
            assert.isTrue((yield* node.network.peers).some((p) => p.endpoint.ip === attacker(100)))
          })
        )
      )
      yield* report("parcel flood", {
        parcelsSent: sent,
        droppedFromNetwork: node.probe.stats().droppedFromNetwork,
        rssGrowthMiB: growth.toFixed(1)
      })
      assert.isAbove(sent, 1000)
      assert.isBelow(growth, RSS_BOUND_MIB)
      yield* eventually("the flooder gone", node.network.total, (n) => n === 0)
      yield* fdsBackTo(baseline)
      yield* assertRetained(heap, RETAINED_BOUND_MIB)
      assert.strictEqual(node.probe.stats().misbehaviour.MalformedFrame, 0)
    })
  )
})
