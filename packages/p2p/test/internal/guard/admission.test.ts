/** Admission.decide (issue #12): the pure rule table, fact by fact. */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Admission from "../../../src/internal/guard/Admission.ts"

describe("Admission.decide", () => {
  const limits: Admission.Limits = { maxPendingHandshakes: 32, maxPendingHandshakesPerIp: 4, peerIpLimitIncoming: 1 }
  /** A full node that could evict someone, at the hello stage: room is made. */
  const base: Admission.Facts = {
    stage: "hello",
    special: false,
    overRate: false,
    banned: false,
    discouraged: false,
    pendingFromIp: 0,
    pending: 0,
    displaceable: false,
    fromIp: 0,
    full: "full: 36 of 36 connections",
    evictable: true
  }

  it("walks every rule with a full node that could evict: each refuses, and eviction never overrides it", () => {
    assert.strictEqual(Admission.decide(limits, base)._tag, "Evict")
    const cases: ReadonlyArray<[Admission.Rule, Partial<Admission.Facts>, boolean]> = [
      ["Rate", { stage: "connect", overRate: true }, false],
      ["Banned", { banned: true }, true],
      ["Discouraged", { stage: "connect", discouraged: true }, false],
      ["Discouraged", { discouraged: true }, true],
      ["PendingPerIp", { stage: "connect", pendingFromIp: 4 }, true],
      ["Pending", { stage: "connect", pending: 32, displaceable: false }, true],
      ["PerIp", { fromIp: 1 }, true],
      ["Full", { evictable: false }, true]
    ]
    for (const [rule, change, alternatives] of cases) {
      const d = Admission.decide(limits, { ...base, ...change })
      assert.deepInclude(d, { _tag: "Refuse", rule, alternatives }, rule)
    }
  })

  it("displaces a handshake without a complete hello, whatever its age; defers eviction to the hello", () => {
    const connect: Admission.Facts = { ...base, stage: "connect", pending: 32, displaceable: true, full: undefined }
    assert.strictEqual(Admission.decide(limits, connect)._tag, "Displace")
    assert.strictEqual(Admission.decide(limits, { ...connect, pending: 3 })._tag, "Admit")
    // full and evictable at connect: on to the hello, where the eviction happens
    assert.strictEqual(Admission.decide(limits, { ...connect, pending: 0, full: "full" })._tag, "Admit")
  })

  it("special IPs pass every rule but a ban", () => {
    const special = { ...base, special: true, overRate: true, discouraged: true, fromIp: 9, evictable: false }
    assert.strictEqual(Admission.decide(limits, { ...special, stage: "connect", pendingFromIp: 9 })._tag, "Admit")
    assert.deepInclude(Admission.decide(limits, { ...special, banned: true }), { rule: "Banned" })
  })

  it("whether someone is evictable only ever changes a Full refusal", () => {
    const facts = fc.record({
      stage: fc.constantFrom<Admission.Stage>("connect", "hello"),
      special: fc.boolean(),
      overRate: fc.boolean(),
      banned: fc.boolean(),
      discouraged: fc.boolean(),
      pendingFromIp: fc.nat(6),
      pending: fc.nat(40),
      displaceable: fc.boolean(),
      fromIp: fc.nat(3),
      full: fc.option(fc.constant("full"), { nil: undefined }),
      evictable: fc.boolean()
    })
    const lim = fc.record({
      maxPendingHandshakes: fc.integer({ min: 1, max: 40 }),
      maxPendingHandshakesPerIp: fc.integer({ min: 1, max: 6 }),
      peerIpLimitIncoming: fc.nat(3)
    })
    fc.assert(
      fc.property(lim, facts, (l, f) => {
        const without = Admission.decide(l, { ...f, evictable: false })
        const withRoom = Admission.decide(l, { ...f, evictable: true })
        if (without._tag === "Refuse" && without.rule !== "Full") assert.deepStrictEqual(withRoom, without)
        if (withRoom._tag !== "Refuse") {
          // admitted (or room made): no rule refused it
          assert.isFalse(f.banned)
          if (!f.special) {
            assert.isFalse(f.discouraged)
            assert.isTrue(l.peerIpLimitIncoming === 0 || f.fromIp < l.peerIpLimitIncoming)
            if (f.stage === "connect") assert.isFalse(f.overRate)
          }
        }
      }),
      { numRuns: 2000 }
    )
  })
})
