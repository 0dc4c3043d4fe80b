import { describe, expect, it } from "vitest"
import { Parcel } from "@catp2p/p2p"
import { SendQueue } from "../src/SendQueue.ts"

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
