/**
 * `catp2p handshakes`: negotiates a handshake and exchanges a parcel between
 * every pair of protocol versions, in memory, through the real codecs, and
 * prints what each pair settled on and the bytes it took.
 *
 * @since 0.1.0
 */
import { NetworkId, Parcel, ParcelType, Wire } from "@catp2p/p2p"
import { Console, Effect, Random } from "effect"

type Version = Wire.Protocol.Version

const settings = (protocolVersion: Version, nodeId: number, listenPort: string): Wire.Negotiation.Settings => ({
  network: NetworkId.LocalNet,
  protocolVersionMinimum: 9,
  protocolVersion,
  nodeId,
  listenPort
})

/** One dial from a node configured for `a` to a node configured for `b`. */
export interface PairResult {
  readonly dialer: Version
  readonly listener: Version
  readonly settled: number
  readonly bytes: number
  readonly received: string
}

const nonce = Effect.map(Random.nextBetween(1, 2 ** 32), (n) => BigInt(Math.floor(n)))

/**
 * Runs one negotiation and one parcel exchange in memory.
 *
 * @since 0.1.0
 */
export const pair = Effect.fnUntraced(function* (a: Version, b: Version) {
  const dialer = new Wire.Negotiation.Outgoing(settings(a, 0x0a0a0a0a, "8110"), yield* nonce)
  const listener = new Wire.Negotiation.Incoming(settings(b, 0x0b0b0b0b, "8111"), yield* nonce)
  listener.push(dialer.hello)
  const accepted = listener.poll()
  if (accepted._tag !== "Value") return yield* Effect.fail(`listener: ${accepted._tag}`)
  dialer.push(accepted.value.reply)
  const settled = dialer.poll()
  if (settled._tag !== "Value") {
    return yield* Effect.fail(`dialer: ${settled._tag === "Failure" ? settled.error.message : "incomplete"}`)
  }
  const text = `hello from a v${a} node`
  const frame = settled.value.protocol.encodeParcel(Parcel.make(Parcel.Broadcast, new TextEncoder().encode(text)))
  accepted.value.protocol.push(frame)
  const got = accepted.value.protocol.decodeParcel()
  if (got._tag !== "Value" || got.value.type !== ParcelType.Message) return yield* Effect.fail("parcel not received")
  return {
    dialer: a,
    listener: b,
    settled: settled.value.protocol.version,
    bytes: dialer.hello.length + accepted.value.reply.length + frame.length,
    received: new TextDecoder().decode(got.value.payload)
  } satisfies PairResult
})

/**
 * Every pair, as a table on stdout.
 *
 * @since 0.1.0
 */
export const run = Effect.gen(function* () {
  const versions: ReadonlyArray<Version> = [9, 10, 11]
  yield* Console.log("dialer  listener  settled  bytes  received")
  for (const a of versions) {
    for (const b of versions) {
      const r = yield* pair(a, b)
      yield* Console.log(
        `v${r.dialer}`.padEnd(8) +
          `v${r.listener}`.padEnd(10) +
          `v${r.settled}`.padEnd(9) +
          String(r.bytes).padEnd(7) +
          JSON.stringify(r.received)
      )
    }
  }
})
