import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Eviction from "../../../src/internal/guard/Eviction.ts"
import { InputBudget } from "../../../src/internal/guard/InputBudget.ts"

const peer = (ip: string, connected: number, lastApplication = 0) => ({ endpoint: { ip }, connected, lastApplication })

describe("Eviction.netGroup", () => {
  it("is the /16 of an IPv4 address and the /32 of an IPv6 one", () => {
    expect(Eviction.netGroup("10.20.30.40")).toBe("10.20")
    expect(Eviction.netGroup("2001:db8::1")).toBe("2001:db8")
    expect(Eviction.netGroup("2001:0db8:0000::1")).toBe("2001:db8")
    expect(Eviction.netGroup("::1")).toBe("0:0")
  })

  it("groups IPv6 by /32 (Bitcoin Core's GetGroup): a /48 or /64 per address does not spread an attacker out", () => {
    expect(Eviction.netGroup("2001:db8:1:2::1")).toBe(Eviction.netGroup("2001:db8:ffff:1::9"))
    expect(Eviction.netGroup("2001:db8::1")).not.toBe(Eviction.netGroup("2001:db9::1"))
    expect(Eviction.netGroup("2001:DB8::1")).toBe("2001:db8")
    expect(Eviction.netGroup("fe80::1%eth0")).toBe("fe80:0")
  })

  it("takes an IPv4-mapped or IPv4-compatible address as its IPv4 /16", () => {
    expect(Eviction.netGroup("::ffff:10.20.30.40")).toBe("10.20")
    expect(Eviction.netGroup("::ffff:a14:1e28")).toBe("10.20")
    expect(Eviction.netGroup("::10.20.30.40")).toBe("10.20")
    expect(Eviction.netGroup("::")).toBe("0:0")
    expect(Eviction.netGroup("64:ff9b::10.20.30.40")).toBe("64:ff9b")
  })
})

describe("Eviction.select", () => {
  it("evicts nobody when every candidate is protected", () => {
    expect(Eviction.select([], 1)).toBeUndefined()
    const four = ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"].map((ip, i) => peer(ip, i))
    expect(Eviction.select(four, 7)).toBeUndefined()
  })

  it("takes the youngest peer of the most crowded network group", () => {
    const honest = ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"].map((ip, i) => peer(ip, i))
    const crowd = Array.from({ length: 20 }, (_, i) => peer(`66.6.0.${i}`, 100 + i))
    const victim = Eviction.select([...honest, ...crowd], 42)
    expect(victim?.endpoint.ip).toBe("66.6.0.19")
  })

  it("never evicts a recently useful peer while others remain", () => {
    const useful = Array.from({ length: 8 }, (_, i) => peer(`9.9.0.${i}`, 500 + i, 1000 + i))
    const idle = Array.from({ length: 8 }, (_, i) => peer(`9.9.1.${i}`, i))
    for (let key = 0; key < 50; key++) {
      const victim = Eviction.select([...useful, ...idle], key)
      expect(victim?.lastApplication).toBe(0)
    }
  })

  it("with attackers from few groups and honest peers from many, evicts an attacker", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 20 }),
        fc.integer({ min: 10, max: 40 }),
        fc.nat(),
        (honestCount, attackers, key) => {
          // honest peers: distinct /16s, older; attackers: 2 groups, younger
          const honest = Array.from({ length: honestCount }, (_, i) => peer(`${10 + i}.1.2.3`, i))
          const bad = Array.from({ length: attackers }, (_, i) => peer(`200.${i % 2}.0.${i}`, 1000 + i))
          const victim = Eviction.select([...honest, ...bad], key)
          expect(victim?.endpoint.ip.startsWith("200.")).toBe(true)
        }
      ),
      { numRuns: 300 }
    )
  })
})

describe("Eviction.isCandidate", () => {
  it("protects a useful peer for EVICT_MIN_AGE_MS, one that did nothing useful only for EVICT_IDLE_AGE_MS", () => {
    const at = 1_000
    const idle = peer("1.1.1.1", at)
    expect(Eviction.isCandidate(idle, at + Eviction.EVICT_IDLE_AGE_MS - 1)).toBe(false)
    expect(Eviction.isCandidate(idle, at + Eviction.EVICT_IDLE_AGE_MS)).toBe(true)
    for (const useful of [peer("1.1.1.1", at, at + 10), { ...peer("1.1.1.1", at), lastPeerShare: at + 10 }]) {
      expect(Eviction.isCandidate(useful, at + Eviction.EVICT_MIN_AGE_MS - 1)).toBe(false)
      expect(Eviction.isCandidate(useful, at + Eviction.EVICT_MIN_AGE_MS)).toBe(true)
    }
  })

  it("counts an answer to our Peer-Request as usefulness when protecting", () => {
    const answered = Array.from({ length: 8 }, (_, i) => ({ ...peer(`9.9.0.${i}`, 500 + i), lastPeerShare: 1000 + i }))
    const idle = Array.from({ length: 8 }, (_, i) => peer(`9.9.1.${i}`, i))
    for (let key = 0; key < 50; key++) {
      const victim = Eviction.select([...answered, ...idle], key)
      expect(Eviction.lastUseful(victim!)).toBe(0)
    }
  })
})

describe("InputBudget", () => {
  it("grants a frame only when it fits, counts the application queue, and wakes waiters when room is freed", () => {
    const budget = new InputBudget(100)
    const a = {}
    const b = {}
    const c = {}
    budget.hold(a, 10)
    expect(budget.reserve(b, 60)).toBe(true)
    // 10 + 60 + 50 > 100: c must wait
    expect(budget.reserve(c, 50)).toBe(false)
    expect(budget.heldBy(c)).toBe(0)
    let woken = 0
    budget.onRoom(() => woken++)
    // b's frame completes: its parcel goes to the application queue, then b holds nothing
    budget.enqueue(60)
    expect(woken).toBe(0)
    budget.hold(b, 0)
    expect(woken).toBe(1)
    // the queued parcel still counts: 10 + 60 + 50 > 100
    expect(budget.reserve(c, 50)).toBe(false)
    const cancel = budget.onRoom(() => woken++)
    cancel()
    budget.dequeue(60)
    expect(woken).toBe(1)
    expect(budget.reserve(c, 50)).toBe(true)
    expect(budget.total).toBe(60)
    budget.release(c)
    budget.release(a)
    expect(budget.total).toBe(0)
    expect(budget.peak).toBe(130)
  })

  it("keeps total the sum held and queued, and grants never take it past the limit", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 5 }), fc.nat({ max: 1000 }), fc.nat({ max: 2 })), { maxLength: 200 }),
        (ops) => {
          const budget = new InputBudget(1500)
          const holders = Array.from({ length: 5 }, (): object => ({}))
          const queued: Array<number> = []
          for (const [i, bytes, op] of ops) {
            if (i === 5) {
              // the application queue: a parcel in (only from a reservation's bytes) or out
              const q = queued.pop()
              if (q !== undefined) budget.dequeue(q)
              continue
            }
            const h = holders[i]!
            if (op === 0) budget.release(h)
            else if (op === 1) budget.reserve(h, bytes)
            else if (budget.heldBy(h) > 0) {
              // the frame is handed on: its bytes move to the application queue
              const n = budget.heldBy(h)
              budget.release(h)
              if (budget.reserve(h, 0)) {
                budget.enqueue(n)
                queued.push(n)
              }
            }
            const sum = holders.reduce((s, x) => s + budget.heldBy(x), 0) + queued.reduce((s, x) => s + x, 0)
            expect(budget.total).toBe(sum)
            expect(budget.queued).toBe(queued.reduce((s, x) => s + x, 0))
            expect(budget.total).toBeLessThanOrEqual(1500)
          }
        }
      )
    )
  })
})
