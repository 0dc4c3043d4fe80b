import { Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { Parcel, ParcelType } from "@catp2p/p2p"
import { CONTROL_CAPACITY, SendQueue } from "../../../src/internal/peer/SendQueue.ts"

const p = (n: number) => Parcel.make("", new Uint8Array([n]))

describe("SendQueue drops", () => {
  it("counts the older half dropped when full as Full, and what the end of the peer discards as Closed", () => {
    const q = new SendQueue(4)
    for (let i = 0; i < 4; i++) expect(q.offer(p(i))).toBe(0)
    expect(q.offer(p(4))).toBe(2)
    expect(q.dropsByReason()).toEqual({ Full: 2, Closed: 0 })
    q.close()
    expect(q.dropsByReason()).toEqual({ Full: 2, Closed: 3 })
    q.offer(p(5))
    expect(q.dropsByReason()).toEqual({ Full: 2, Closed: 4 })
    expect(q.dropped).toBe(6)
  })
})

const ctl = (type: ParcelType.ParcelType) => Parcel.ofType(type, new TextEncoder().encode("ctl"))

describe("SendQueue lanes", () => {
  it("a control parcel never drops an application parcel, and is taken first", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const q = new SendQueue(4)
        for (let i = 0; i < 4; i++) q.offer(p(i))
        q.offerControl(ctl(ParcelType.Ping))
        q.offerControl(ctl(ParcelType.PeerRequest))
        expect(q.dropped).toBe(0)
        expect(q.size).toBe(6)
        expect(q.fillRatio).toBe(1)
        const batch = yield* q.take(100)
        expect(batch.map((x) => x.type)).toEqual([ParcelType.Ping, ParcelType.PeerRequest, 6, 6, 6, 6])
        expect(batch.slice(2).map((x) => x.payload[0])).toEqual([0, 1, 2, 3])
      })
    ))

  it("a full control lane drops its own oldest parcel, counted as Full", () => {
    const q = new SendQueue(4)
    q.offer(p(0))
    for (let i = 0; i < CONTROL_CAPACITY + 3; i++) q.offerControl(ctl(ParcelType.Pong))
    expect(q.dropsByReason()).toEqual({ Full: 3, Closed: 0 })
    expect(q.size).toBe(CONTROL_CAPACITY + 1)
  })

  it("take honours the parcel and byte limits, but always takes one parcel", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const q = new SendQueue(100)
        for (let i = 0; i < 10; i++) q.offer(Parcel.make("", new Uint8Array(100).fill(i)))
        expect((yield* q.take(3)).length).toBe(3)
        expect((yield* q.take(100, 250)).length).toBe(3)
        expect((yield* q.take(100, 1)).length).toBe(1)
        expect((yield* q.take(100)).length).toBe(3)
        expect(q.size).toBe(0)
      })
    ))

  it("a paced sender loses nothing: offerWait waits for room while the writer drains", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const q = new SendQueue(8)
        const taken: Array<number> = []
        let batches = 0
        const writer = yield* Effect.forkChild(
          Effect.forever(
            Effect.map(q.take(5), (batch) => {
              batches++
              for (const x of batch) if (x.type === ParcelType.Message) taken.push(x.payload[0]!)
            })
          )
        )
        for (let i = 0; i < 200; i++) {
          yield* q.offerWait(p(i))
          if (i % 50 === 0) q.offerControl(ctl(ParcelType.Ping))
        }
        while (q.size > 0) yield* Effect.yieldNow
        yield* Fiber.interrupt(writer)
        expect(q.dropped).toBe(0)
        expect(taken).toEqual(Array.from({ length: 200 }, (_, i) => i & 255))
        // batches formed: fewer takes than parcels
        expect(batches).toBeLessThan(200)
      })
    ))
})
