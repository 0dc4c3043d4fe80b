/**
 * Codec micro-benchmark (`npm run bench:codec`): the protocol 11 parcel path
 * hand-written vs protobuf-es generated code, and the full encode/decode of
 * each protocol's parcels. Prints the median ops/s and MB/s of 5 runs; not a
 * test. `--ms` (or `BENCH_MS`) sets the length of one run (default 150 ms).
 *
 * @since 0.1.0
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf"
import { Parcel, Wire } from "@catp2p/p2p"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { V11MsgSchema } from "./gen/protocolV11_pb.ts"

const SIZES = [100, 1024, 65536]
const REPEATS = 5

/** ops/s of `fn`: the median of REPEATS timed runs after a warm-up. */
const measure = (budgetMs: number, fn: () => void): number => {
  for (let i = 0; i < 2000; i++) fn() // warm up (lets the JIT settle)
  const runs: Array<number> = []
  for (let r = 0; r < REPEATS; r++) {
    let ops = 0
    const start = performance.now()
    let now = start
    while (now - start < budgetMs) {
      for (let i = 0; i < 100; i++) fn()
      ops += 100
      now = performance.now()
    }
    runs.push((ops / (now - start)) * 1000)
  }
  runs.sort((a, b) => a - b)
  return runs[Math.floor(REPEATS / 2)]!
}

/**
 * Runs every case for `budgetMs` per run and prints the table.
 *
 * @since 0.1.0
 */
export const run = (budgetMs: number): void => {
  let sink = 0
  const rows: Array<Record<string, string | number>> = []
  const row = (name: string, size: number, opsPerSec: number) =>
    rows.push({ case: name, size, "ops/s": Math.round(opsPerSec), "MB/s": Math.round((opsPerSec * size) / 1e6) })

  for (const size of SIZES) {
    const payload = new Uint8Array(size).fill(7)
    const generatedFrame = (): Uint8Array => {
      const body = toBinary(V11MsgSchema, create(V11MsgSchema, { Type: 6, Payload: payload }))
      const out = new Uint8Array(4 + body.length)
      new DataView(out.buffer).setUint32(0, body.length)
      out.set(body, 4)
      return out
    }
    const frame = Wire.V11.encodeMsgFrame(6, payload)
    const body = frame.subarray(4)
    row(
      "v11 encode generated",
      size,
      measure(budgetMs, () => (sink += generatedFrame().length))
    )
    row(
      "v11 encode hand-written",
      size,
      measure(budgetMs, () => (sink += Wire.V11.encodeMsgFrame(6, payload).length))
    )
    row(
      "v11 decode generated",
      size,
      measure(budgetMs, () => (sink += fromBinary(V11MsgSchema, body).Payload.length))
    )
    row(
      "v11 decode hand-written",
      size,
      measure(budgetMs, () => {
        const r = Wire.V11.decodeMsgBody(body)
        if (r._tag === "Success") sink += r.success.payload.length
      })
    )

    // whole protocols: encode a parcel and decode it from a stream
    const parcel = Parcel.make(Parcel.Broadcast, payload)
    const local = { network: 1 as never, nodeId: 1, listenPort: "8108" }
    const makers: Array<[string, () => Wire.Protocol.Protocol]> = [
      ["v9", () => new Wire.V9.V9(new Wire.GobStream.GobStream(), local)],
      ["v10", () => new Wire.V10.V10(new Wire.GobStream.GobStream())],
      ["v11", () => new Wire.V11.V11()]
    ]
    for (const [name, make] of makers) {
      const tx = make()
      const rx = make()
      rx.push(tx.encodeParcel(parcel)) // type definitions, for the gob protocols
      rx.decodeParcel()
      const bytes = tx.encodeParcel(parcel)
      row(
        `${name} encodeParcel`,
        size,
        measure(budgetMs, () => (sink += tx.encodeParcel(parcel).length))
      )
      row(
        `${name} decodeParcel`,
        size,
        measure(budgetMs, () => {
          rx.push(bytes)
          const r = rx.decodeParcel()
          if (r._tag === "Value") sink += r.value.payload.length
        })
      )
    }
  }

  console.table(rows)
  if (sink === 42) console.log("")
}

/**
 * The `codec` subcommand.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "codec",
  {
    ms: Flag.Int("ms").pipe(
      Flag.withDescription("Milliseconds of one timed run (default 150, or BENCH_MS)"),
      Flag.withDefault(Number(process.env.BENCH_MS ?? 150))
    )
  },
  ({ ms }) => Effect.sync(() => run(ms))
).pipe(
  Command.withDescription("Codec micro-benchmark: protocol 11 hand-written vs generated, each protocol's parcel codec")
)
