/**
 * The node's statistics, with one owner: NodeStats is the only writer of
 * the node's counters. Components report events through the functions it
 * exposes (`stats.refused()`, `stats.round()`, …; the peers' readers and
 * writers through its {@link Traffic}); nobody writes a counters object.
 * `Network.info`, `Metrics` and the CLI's status read one {@link Snapshot}.
 *
 * Totals never go down: a peer is counted from `track` (it started) to
 * `retire` (it ended), and at `retire` its counters move into the retired
 * totals in the same step, so a node total (sent, received, dropped, …) is
 * the same just before and just after a peer leaves, whether or not the
 * peer store still lists it.
 *
 * One meaning of **dropped**: every parcel the node lost since it started,
 * the drops of the peers' send queues (live and ended peers) plus the
 * application parcels dropped because the application did not take them
 * (`droppedFromNetwork`).
 *
 * Adding a counter: a field of {@link Counters}, its report function here,
 * and its line in `Metrics`.
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import type * as Admission from "../guard/Admission.ts"
import type * as Misbehaviour from "../../Misbehaviour.ts"
import type { Peer } from "../peer/Peer.ts"
import { Traffic } from "./Traffic.ts"

/**
 * The node's event counters, each a running total since the node started.
 *
 * @since 0.1.0
 */
export interface Counters {
  /** CAT rounds run. */
  readonly rounds: number
  /** Invalid parcels, each closed its peer. */
  readonly invalid: number
  /** Peer-Requests ignored because they came too soon. */
  readonly peerRequestsTooSoon: number
  /** Incoming connections refused (full, per-IP limit, banned, discouraged, listen limit, …). */
  readonly refused: number
  /** … of which because their IP was discouraged. */
  readonly refusedDiscouraged: number
  /** … of which because too many handshakes were in progress (in total or from their IP). */
  readonly refusedPending: number
  /** Application parcels dropped because the application did not take them (Go: DroppedFromNetwork). */
  readonly droppedFromNetwork: number
  /** Established peers evicted to make room for a newcomer. */
  readonly evicted: number
  /** Slow incoming handshakes ended to make room for a newcomer. */
  readonly displaced: number
  /** IPs discouraged. */
  readonly discouraged: number
  /** Peers closed for misbehaviour, by kind. */
  readonly misbehaviour: Readonly<Record<Misbehaviour.Kind, number>>
}

/**
 * The node's statistics at one moment: its counters, the traffic totals
 * (live and ended peers), and the live peers' send queues and rates.
 *
 * @since 0.1.0
 */
export interface Snapshot extends Counters {
  /** Parcels written to peers. */
  readonly parcelsSent: number
  /** Parcels decoded from peers. */
  readonly parcelsReceived: number
  /** Bytes written to peers. */
  readonly bytesSent: number
  /** Bytes read from peers. */
  readonly bytesReceived: number
  /** Application parcels written to peers (Go: AppSent). */
  readonly appSent: number
  /** Application parcels decoded from peers (Go: AppReceived). */
  readonly appReceived: number
  /** Parcels dropped by full or closed peer send queues. */
  readonly droppedPeerSend: number
  /** Every parcel dropped: `droppedPeerSend` + `droppedFromNetwork`. */
  readonly dropped: number
  /** Connections dialing or in their handshake now. */
  readonly connecting: number
  /** Parcels waiting in the live peers' send queues, and their capacity. */
  readonly toNetwork: number
  readonly toNetworkCapacity: number
  /** Per second, summed over the live peers. */
  readonly messageRateDown: number
  readonly messageRateUp: number
  readonly byteRateDown: number
  readonly byteRateUp: number
}

/**
 * @since 0.1.0
 */
export interface NodeStatsService {
  /** Per-parcel traffic and connections in progress (the hot path's counters, see `Traffic`). */
  readonly traffic: Traffic
  /** A peer started: it is counted from now on. */
  readonly track: (peer: Peer) => void
  /** A peer ended: its counters join the retired totals (once per peer). */
  readonly retire: (peer: Peer) => void
  /** A CAT round started; returns its number. */
  readonly round: () => number
  readonly invalid: () => void
  readonly peerRequestTooSoon: () => void
  /** An incoming connection was refused, by `rule` (the admission rule's name). */
  readonly refused: (rule: Admission.Rule) => void
  readonly droppedFromNetwork: (parcels: number) => void
  readonly evicted: () => void
  readonly displaced: () => void
  readonly discouraged: () => void
  readonly misbehaviour: (kind: Misbehaviour.Kind) => void
  /** The counters now. */
  readonly counters: () => Counters
  /** Everything now. */
  readonly snapshot: () => Snapshot
}

/**
 * @since 0.1.0
 */
export class NodeStats extends Context.Service<NodeStats, NodeStatsService>()("@catp2p/p2p/NodeStats") {
  static readonly layer: Layer.Layer<NodeStats> = Layer.sync(NodeStats, () => {
    const traffic = new Traffic()
    const live = new Set<Peer>()
    const c = {
      rounds: 0,
      invalid: 0,
      peerRequestsTooSoon: 0,
      refused: 0,
      refusedDiscouraged: 0,
      refusedPending: 0,
      droppedFromNetwork: 0,
      evicted: 0,
      displaced: 0,
      discouraged: 0
    }
    const misbehaviour: Record<Misbehaviour.Kind, number> = {
      MalformedFrame: 0,
      FrameTooLarge: 0,
      MalformedHandshake: 0,
      StalledFrame: 0
    }
    const counters = (): Counters => ({ ...c, misbehaviour: { ...misbehaviour } })

    const snapshot = (): Snapshot => {
      const r = traffic.retired
      let parcelsSent = r.messagesSent
      let parcelsReceived = r.messagesReceived
      let bytesSent = r.bytesSent
      let bytesReceived = r.bytesReceived
      let droppedPeerSend = r.dropped
      let toNetwork = 0
      let toNetworkCapacity = 0
      let messageRateDown = 0
      let messageRateUp = 0
      let byteRateDown = 0
      let byteRateUp = 0
      for (const p of live) {
        parcelsSent += p.messagesSent
        parcelsReceived += p.messagesReceived
        bytesSent += p.bytesSent
        bytesReceived += p.bytesReceived
        droppedPeerSend += p.queue.dropped
        toNetwork += p.queue.size
        toNetworkCapacity += p.queue.capacity
        const m = p.metrics()
        messageRateDown += m.mpsDown
        messageRateUp += m.mpsUp
        byteRateDown += m.bpsDown
        byteRateUp += m.bpsUp
      }
      return {
        ...counters(),
        parcelsSent,
        parcelsReceived,
        bytesSent,
        bytesReceived,
        appSent: traffic.appSent,
        appReceived: traffic.appReceived,
        droppedPeerSend,
        dropped: droppedPeerSend + c.droppedFromNetwork,
        connecting: traffic.connecting,
        toNetwork,
        toNetworkCapacity,
        messageRateDown,
        messageRateUp,
        byteRateDown,
        byteRateUp
      }
    }

    return NodeStats.of({
      traffic,
      track: (peer) => {
        live.add(peer)
      },
      retire: (peer) => {
        if (live.delete(peer)) traffic.retire(peer)
      },
      round: () => ++c.rounds,
      invalid: () => {
        c.invalid++
      },
      peerRequestTooSoon: () => {
        c.peerRequestsTooSoon++
      },
      refused: (rule) => {
        c.refused++
        if (rule === "Discouraged") c.refusedDiscouraged++
        if (rule === "Pending" || rule === "PendingPerIp") c.refusedPending++
      },
      droppedFromNetwork: (parcels) => {
        c.droppedFromNetwork += parcels
      },
      evicted: () => {
        c.evicted++
      },
      displaced: () => {
        c.displaced++
      },
      discouraged: () => {
        c.discouraged++
      },
      misbehaviour: (kind) => {
        misbehaviour[kind]++
      },
      counters,
      snapshot
    })
  })
}
