/**
 * The harness's output: the targets from the benchmarks issue, one table
 * per scenario (medians, spread over repetitions, ratios against the
 * baseline measured in the same run), and the JSON summary.
 *
 * @since 0.1.0
 */
import type * as Broadcast from "./Broadcast.ts"
import type * as Handshakes from "./Handshakes.ts"
import type * as IdlePeers from "./IdlePeers.ts"
import * as Measure from "./Measure.ts"
import type * as SimScale from "./SimScale.ts"
import type * as Throughput from "./Throughput.ts"

/**
 * A range measured for Go's implementation on the same kind of machine.
 *
 * @since 0.1.0
 */
export interface GoTarget {
  readonly parcelsPerSec?: readonly [number, number]
  readonly mbPerSec?: readonly [number, number]
}

/**
 * Go's figures from the benchmarks issue (2 cores, loopback, median of 3),
 * by `protocol/size`.
 *
 * @since 0.1.0
 */
export const GO_TARGETS: Readonly<Record<string, GoTarget>> = {
  "10/100": { parcelsPerSec: [160_000, 265_000] },
  "10/1024": { parcelsPerSec: [107_000, 115_000], mbPerSec: [110, 110] },
  "10/65536": { mbPerSec: [210, 240] },
  "11/1024": { parcelsPerSec: [47_000, 86_000] },
  "11/65536": { mbPerSec: [134, 248] }
}

/**
 * The other targets of the issue.
 *
 * @since 0.1.0
 */
export const TARGETS = {
  /** 64 KiB throughput over the `node:net` baseline's. */
  largeRatio: 0.5,
  /** RSS growth per idle peer. */
  bytesPerIdlePeer: 64 * 1024
} as const

/**
 * Against a Go range: `✓` at or above its top, `~` within it, `✗` below.
 *
 * @since 0.1.0
 */
export const verdict = (value: number, range: readonly [number, number]): string =>
  value >= range[1] ? "✓" : value >= range[0] ? "~" : "✗"

const si = (x: number): string =>
  x >= 1e6
    ? `${(x / 1e6).toFixed(2)}M`
    : x >= 1e4
      ? `${(x / 1e3).toFixed(0)}k`
      : x >= 1e3
        ? `${(x / 1e3).toFixed(1)}k`
        : x.toFixed(0)
const mb = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1))
const pm = (s: Measure.Summary): string => (s.runs > 1 ? ` ±${(Measure.spread(s) * 50).toFixed(0)}%` : "")
const size = (b: number): string => (b >= 1024 ? `${b / 1024} KiB` : `${b} B`)
const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`

/**
 * A text table: columns padded to their widest cell.
 *
 * @since 0.1.0
 */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

const goText = (row: Throughput.ThroughputRow): string => {
  const target = GO_TARGETS[`${row.protocol}/${row.size}`]
  if (target === undefined) return "—"
  const parts: Array<string> = []
  if (target.parcelsPerSec !== undefined) {
    const [lo, hi] = target.parcelsPerSec
    parts.push(`${si(lo)}–${si(hi)}/s ${verdict(row.paced.parcelsPerSec.median, target.parcelsPerSec)}`)
  }
  if (target.mbPerSec !== undefined) {
    const [lo, hi] = target.mbPerSec
    parts.push(`${lo === hi ? `~${lo}` : `${lo}–${hi}`} MB/s ${verdict(row.paced.mbPerSec.median, target.mbPerSec)}`)
  }
  return parts.join(", ")
}

/**
 * The throughput tables (paced, then unpaced when measured).
 *
 * @since 0.1.0
 */
export const throughputTable = (rows: ReadonlyArray<Throughput.ThroughputRow>): string => {
  const paced = table(
    [
      "proto",
      "payload",
      "parcels/s",
      "MB/s",
      "node:net MB/s",
      "ratio",
      "Go (✓ ≥ top, ~ in range, ✗ below)",
      "dropped snd/app",
      "lost",
      "peak RSS MB snd/rcv (start)"
    ],
    rows.map((r) => [
      `v${r.protocol}`,
      size(r.size),
      `${si(r.paced.parcelsPerSec.median)}${pm(r.paced.parcelsPerSec)}`,
      `${mb(r.paced.mbPerSec.median)}${pm(r.paced.mbPerSec)}`,
      `${mb(r.baseline.mbPerSec.median)}${pm(r.baseline.mbPerSec)}`,
      `${r.ratio.toFixed(2)}${r.size >= 65536 ? (r.ratio >= TARGETS.largeRatio ? " ✓" : " ✗") : ""}`,
      goText(r),
      `${r.paced.dropped.sendQueue}/${r.paced.dropped.applicationQueue}`,
      String(r.paced.lost),
      `${r.paced.peakRssMB.sender.toFixed(0)}/${r.paced.peakRssMB.receiver.toFixed(0)} (${r.paced.startRssMB.sender.toFixed(0)}/${r.paced.startRssMB.receiver.toFixed(0)})`
    ])
  )
  const unpacedRows = rows.filter((r) => r.unpaced !== undefined && r.unpaced.parcelsPerSec.runs > 0)
  if (unpacedRows.length === 0) return paced
  const unpaced = table(
    ["proto", "payload", "parcels/s", "MB/s", "sent", "dropped by send queue", "by application queue", "lost"],
    unpacedRows.map((r) => {
      const u = r.unpaced!
      return [
        `v${r.protocol}`,
        size(r.size),
        `${si(u.parcelsPerSec.median)}${pm(u.parcelsPerSec)}`,
        `${mb(u.mbPerSec.median)}${pm(u.mbPerSec)}`,
        si(u.sent),
        si(u.dropped.sendQueue),
        si(u.dropped.applicationQueue),
        String(u.lost)
      ]
    })
  )
  return `${paced}\n\nunpaced (Network.send, no waiting: drops are expected and counted)\n${unpaced}`
}

/**
 * The handshakes table.
 *
 * @since 0.1.0
 */
export const handshakeTable = (rows: ReadonlyArray<Handshakes.HandshakeRow>): string =>
  table(
    ["proto", "handshakes/s", "node:net connections/s", "ratio", "failed"],
    rows.map((r) => [
      `v${r.protocol}`,
      `${si(r.perSec.median)}${pm(r.perSec)}`,
      `${si(r.baselinePerSec.median)}${pm(r.baselinePerSec)}`,
      r.ratio.toFixed(2),
      r.failed === 0 ? "0" : `${r.failed} (${r.firstError ?? ""})`
    ])
  )

/**
 * The memory-per-idle-peer table.
 *
 * @since 0.1.0
 */
export const idleTable = (rows: ReadonlyArray<IdlePeers.IdleRow>): string =>
  table(
    [
      "proto",
      "peers",
      "RSS/peer",
      "heap/peer",
      "external/peer",
      "marginal RSS/heap per peer",
      "node:net RSS/socket",
      "heap/socket",
      "target ≤ 64 KiB (all / marginal)"
    ],
    rows.map((r) => [
      `v${r.protocol}`,
      String(r.peers),
      `${kib(r.rssPerPeer.median)}${pm(r.rssPerPeer)}`,
      kib(r.heapPerPeer.median),
      kib(r.externalPerPeer.median),
      `${kib(r.marginalRssPerPeer.median)} / ${kib(r.marginalHeapPerPeer.median)}`,
      kib(r.baselineRssPerPeer.median),
      kib(r.baselineHeapPerPeer.median),
      `${r.rssPerPeer.median <= TARGETS.bytesPerIdlePeer ? "✓" : "✗"} / ${r.marginalRssPerPeer.median <= TARGETS.bytesPerIdlePeer ? "✓" : "✗"}`
    ])
  )

/**
 * The broadcast table: catp2p and the baseline on the same graph.
 *
 * @since 0.1.0
 */
export const broadcastTable = (r: Broadcast.BroadcastResult): string =>
  table(
    ["network", "nodes", "links", "peers/node", "messages", "reached all", "p50 ms", "p99 ms", "max ms"],
    [
      ["catp2p Gossip", r.catp2p],
      ["node:net flood", r.baseline]
    ].map(([name, p]) => {
      const prop = p as typeof r.catp2p
      return [
        name as string,
        String(r.nodes),
        String(r.edges),
        `${r.meanPeers.toFixed(1)} (min ${r.minPeers})`,
        String(prop.messages),
        String(prop.complete),
        prop.p50Ms.toFixed(1),
        prop.p99Ms.toFixed(1),
        prop.maxMs.toFixed(1)
      ]
    })
  )

/**
 * The simulation-scale table.
 *
 * @since 0.1.0
 */
export const simTable = (rows: ReadonlyArray<SimScale.SimRow>): string =>
  table(
    ["nodes", "status", "wall s", "heap MB", "peak RSS MB", "converged (simulated s)", "peers mean/min", "connected"],
    rows.map((r) => [
      r.nodes.toLocaleString("en-US"),
      r.status === "failed" ? `failed: ${r.message ?? ""}` : r.status,
      (r.wallMs / 1000).toFixed(1),
      r.heapMB === undefined ? "—" : String(r.heapMB),
      r.peakRssMB === undefined ? "—" : r.peakRssMB.toFixed(0),
      r.convergedAfterSeconds === undefined ? "—" : String(r.convergedAfterSeconds),
      r.meanPeers === undefined ? "—" : `${r.meanPeers.toFixed(1)}/${r.minPeers}`,
      r.connected === undefined ? "—" : String(r.connected)
    ])
  )

/**
 * Everything one run measured; a scenario not run (or failed) is undefined.
 *
 * @since 0.1.0
 */
export interface Results {
  readonly quick: boolean
  readonly throughput: ReadonlyArray<Throughput.ThroughputRow> | undefined
  readonly handshakes: ReadonlyArray<Handshakes.HandshakeRow> | undefined
  readonly idle: ReadonlyArray<IdlePeers.IdleRow> | undefined
  readonly broadcast: Broadcast.BroadcastResult | undefined
  readonly sim: ReadonlyArray<SimScale.SimRow> | undefined
  readonly errors: ReadonlyArray<{ readonly scenario: string; readonly message: string }>
}

const r1 = (x: number) => Measure.round(x, 1)
const r2 = (x: number) => Measure.round(x, 2)
const summary = (s: Measure.Summary) => ({ median: r1(s.median), min: r1(s.min), max: r1(s.max), runs: s.runs })

/**
 * The JSON summary (`--json` prints it as the last line). Figures are
 * medians over the repetitions; `*Spread` objects hold median, min, max.
 *
 * @since 0.1.0
 */
export const json = (r: Results): Record<string, unknown> => ({
  quick: r.quick,
  machine: { cpus: navigator.hardwareConcurrency, node: process.version, platform: process.platform },
  throughput:
    r.throughput?.map((t) => ({
      protocol: t.protocol,
      size: t.size,
      parcelsPerSec: Math.round(t.paced.parcelsPerSec.median),
      mbPerSec: r1(t.paced.mbPerSec.median),
      baselineMbPerSec: r1(t.baseline.mbPerSec.median),
      baselineParcelsPerSec: Math.round(t.baseline.parcelsPerSec.median),
      ratio: r2(t.ratio),
      dropped: t.paced.dropped.sendQueue + t.paced.dropped.applicationQueue,
      droppedBy: t.paced.dropped,
      lost: t.paced.lost,
      sent: t.paced.sent,
      parcelsPerSecSpread: summary(t.paced.parcelsPerSec),
      mbPerSecSpread: summary(t.paced.mbPerSec),
      baselineMbPerSecSpread: summary(t.baseline.mbPerSec),
      peakRssMB: { sender: Math.round(t.paced.peakRssMB.sender), receiver: Math.round(t.paced.peakRssMB.receiver) },
      startRssMB: { sender: Math.round(t.paced.startRssMB.sender), receiver: Math.round(t.paced.startRssMB.receiver) },
      goTarget: GO_TARGETS[`${t.protocol}/${t.size}`] ?? null,
      unpaced:
        t.unpaced === undefined || t.unpaced.parcelsPerSec.runs === 0
          ? null
          : {
              parcelsPerSec: Math.round(t.unpaced.parcelsPerSec.median),
              mbPerSec: r1(t.unpaced.mbPerSec.median),
              sent: t.unpaced.sent,
              dropped: t.unpaced.dropped.sendQueue + t.unpaced.dropped.applicationQueue,
              droppedBy: t.unpaced.dropped,
              lost: t.unpaced.lost
            }
    })) ?? null,
  handshakesPerSec:
    r.handshakes === undefined
      ? null
      : Object.fromEntries(r.handshakes.map((h) => [String(h.protocol), Math.round(h.perSec.median)])),
  handshakes:
    r.handshakes?.map((h) => ({
      protocol: h.protocol,
      perSec: Math.round(h.perSec.median),
      perSecSpread: summary(h.perSec),
      baselinePerSec: Math.round(h.baselinePerSec.median),
      ratio: r2(h.ratio),
      failed: h.failed
    })) ?? null,
  bytesPerIdlePeer:
    r.idle === undefined || r.idle.length === 0
      ? null
      : Math.round(Math.max(...r.idle.map((i) => i.rssPerPeer.median))),
  marginalBytesPerIdlePeer:
    r.idle === undefined || r.idle.length === 0
      ? null
      : Math.round(Math.max(...r.idle.map((i) => i.marginalRssPerPeer.median))),
  idlePeers:
    r.idle?.map((i) => ({
      protocol: i.protocol,
      peers: i.peers,
      rssBytesPerPeer: Math.round(i.rssPerPeer.median),
      heapBytesPerPeer: Math.round(i.heapPerPeer.median),
      externalBytesPerPeer: Math.round(i.externalPerPeer.median),
      marginalRssBytesPerPeer: Math.round(i.marginalRssPerPeer.median),
      marginalHeapBytesPerPeer: Math.round(i.marginalHeapPerPeer.median),
      baselineRssBytesPerSocket: Math.round(i.baselineRssPerPeer.median),
      baselineHeapBytesPerSocket: Math.round(i.baselineHeapPerPeer.median),
      ratio: r2(i.ratio)
    })) ?? null,
  broadcastP50Ms: r.broadcast === undefined ? null : r1(r.broadcast.catp2p.p50Ms),
  broadcastP99Ms: r.broadcast === undefined ? null : r1(r.broadcast.catp2p.p99Ms),
  broadcast:
    r.broadcast === undefined
      ? null
      : {
          nodes: r.broadcast.nodes,
          links: r.broadcast.edges,
          meanPeers: r1(r.broadcast.meanPeers),
          messages: r.broadcast.catp2p.messages,
          complete: r.broadcast.catp2p.complete,
          maxMs: r1(r.broadcast.catp2p.maxMs),
          baselineP50Ms: r1(r.broadcast.baseline.p50Ms),
          baselineP99Ms: r1(r.broadcast.baseline.p99Ms),
          ratioP50: r2(Measure.ratio(r.broadcast.catp2p.p50Ms, r.broadcast.baseline.p50Ms))
        },
  sim:
    r.sim?.map((s) => ({
      nodes: s.nodes,
      status: s.status,
      wallMs: Math.round(s.wallMs),
      heapMB: s.heapMB ?? null,
      peakRssMB: s.peakRssMB === undefined ? null : Math.round(s.peakRssMB),
      convergedAfterSeconds: s.convergedAfterSeconds ?? null,
      meanPeers: s.meanPeers === undefined ? null : r1(s.meanPeers),
      connected: s.connected ?? null,
      ...(s.message === undefined ? {} : { message: s.message })
    })) ?? null,
  errors: r.errors
})
