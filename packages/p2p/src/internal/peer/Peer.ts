/**
 * One connection to a peer after a successful handshake, for its whole life
 * (Go: `Peer`). A reader fiber decodes parcels and hands them on; a writer
 * fiber drains the bounded send queue; both run in the scope the peer is made
 * in, so closing that scope stops them and closes the connection. A peer that
 * connects again is a new `Peer`.
 *
 * @since 0.1.0
 */
import { Clock, Deferred, Duration, Effect, type Scope } from "effect"
import type * as Endpoint from "../../Endpoint.ts"
import type { Handshake } from "../../Handshake.ts"
import { admitFrame, GRANT_MIN, type InputBudget } from "../guard/InputBudget.ts"
import type { Parcel } from "../../Parcel.ts"
import * as Misbehaviour from "../../Misbehaviour.ts"
import { PeerClosed, type PeerMetrics } from "../../PeerInfo.ts"
import * as ParcelType from "../../ParcelType.ts"
import * as PeerHash from "../../PeerHash.ts"
import type { Protocol } from "../../wire/Protocol.ts"
import { fingerprint, ResendFilter } from "../node/ResendFilter.ts"
import { SendQueue } from "./SendQueue.ts"
import * as Stackless from "../Stackless.ts"
import type { Traffic } from "../stats/Traffic.ts"
import type { Connection } from "../../Transport.ts"

export { PeerClosed, type PeerMetrics } from "../../PeerInfo.ts"

/**
 * What a peer needs from the node's configuration.
 *
 * @since 0.1.0
 */
export interface PeerSettings {
  readonly channelCapacity: number
  readonly readDeadline: Duration.Duration
  readonly writeDeadline: Duration.Duration
  readonly peerResendFilter: boolean
  readonly peerResendBuckets: number
  readonly peerResendInterval: Duration.Duration
  /** Bytes/s a peer must deliver while a frame is incomplete (0 = off), over `frameProgressWindow`. */
  readonly frameProgressRate: number
  readonly frameProgressWindow: Duration.Duration
}

/**
 * @since 0.1.0
 */
export interface PeerOptions {
  readonly connection: Connection
  readonly protocol: Protocol
  readonly handshake: Handshake
  /** The peer's address: its IP and listen port (incoming) or the dialed endpoint (outgoing). */
  readonly endpoint: Endpoint.Endpoint
  readonly incoming: boolean
  readonly settings: PeerSettings
  readonly isSpecial: () => boolean
  /** Receives every valid parcel, addressed with this peer's hash. */
  readonly onParcel: (peer: Peer, parcel: Parcel) => Effect.Effect<void>
  /** The node's input budget: the peer reserves big frames in it and reports the bytes its decoder holds after each read. */
  readonly budget?: InputBudget<Peer> | undefined
  /** The node's traffic counters, bumped once per parcel (application parcels, sizes). */
  readonly traffic?: Traffic
}

/** Most parcels one socket write carries. */
const WRITE_BATCH = 1024
/** About the most payload bytes one socket write carries (at least one parcel). */
const WRITE_BATCH_BYTES = 256 * 1024

/**
 * A connected peer.
 *
 * @since 0.1.0
 */
export class Peer {
  readonly hash: string
  readonly endpoint: Endpoint.Endpoint
  readonly nodeId: number
  readonly incoming: boolean
  readonly protocol: Protocol
  readonly connected: number
  /** Completes with the reason the peer ended. */
  readonly closed: Deferred.Deferred<PeerClosed>
  readonly queue: SendQueue
  readonly resend: ResendFilter | undefined
  private readonly isSpecialFn: () => boolean
  lastReceive = 0
  /** Clock time bytes last arrived, or the current read started (read deadline). */
  lastRead: number
  /** Clock time the pending write started, or undefined (write deadline). */
  writingSince: number | undefined = undefined
  lastSend: number
  /** Clock time of the last Peer-Request we answered (rate limit). */
  lastPeerRequest = Number.NEGATIVE_INFINITY
  /** Clock time of the last Peer-Request we sent it (`peerRequestInterval`). */
  lastPeerSend = Number.NEGATIVE_INFINITY
  /** Clock time of the last application parcel it sent us (0: none; its usefulness, for eviction). */
  lastApplication = 0
  /** Clock time of its last answer to our Peer-Request (0: none; also its usefulness, for eviction). */
  lastPeerShare = 0
  /** Bytes its decoder holds or was granted (an incomplete frame), as last reported to the input budget. */
  inputHeld = 0
  /** Whether its reader waits for room in the input budget (then it reads nothing: no deadline runs). */
  waitingForBudget = false
  /** Set when {@link overdue} answered `Stalled`: the measured progress. */
  stalledBy: Misbehaviour.StalledFrame | undefined = undefined
  /** Progress deadline: start of the current window and `bytesReceived` then. */
  private progressAt: number
  private progressBytes = 0
  private readonly progressRate: number
  private readonly progressWindow: number
  messagesSent = 0
  bytesSent = 0
  messagesReceived = 0
  bytesReceived = 0
  private rates = { mpsDown: 0, mpsUp: 0, bpsDown: 0, bpsUp: 0 }
  private mark = { messagesSent: 0, bytesSent: 0, messagesReceived: 0, bytesReceived: 0, at: 0 }

  constructor(options: PeerOptions, now: number, closed: Deferred.Deferred<PeerClosed>) {
    this.endpoint = options.endpoint
    this.nodeId = options.handshake.nodeId
    this.hash = PeerHash.format(options.endpoint.ip, options.endpoint.port, options.handshake.nodeId)
    this.incoming = options.incoming
    this.protocol = options.protocol
    this.connected = now
    this.lastSend = now
    this.lastRead = now
    this.progressAt = now
    this.progressRate = options.settings.frameProgressRate
    this.progressWindow = Duration.toMillis(options.settings.frameProgressWindow)
    this.mark.at = now
    this.closed = closed
    this.queue = new SendQueue(options.settings.channelCapacity)
    this.isSpecialFn = options.isSpecial
    const s = options.settings
    this.resend = s.peerResendFilter
      ? new ResendFilter(s.peerResendBuckets, Duration.toMillis(s.peerResendInterval), now)
      : undefined
  }

  /** Queues a parcel for sending; never blocks. Returns the number of older parcels dropped. */
  send(parcel: Parcel): number {
    return this.queue.offer(parcel)
  }

  /** Queues a p2p parcel (Ping, Pong, Peer-Request, Peer-Response) in the control lane, sent first; never drops an application parcel. */
  sendControl(parcel: Parcel): number {
    return this.queue.offerControl(parcel)
  }

  /** Ends the peer (Go: `Stop`): its scope's owner closes the connection. */
  stop(
    reason: PeerClosed["reason"] = "Stopped",
    message = "stopped",
    misbehaviour?: Misbehaviour.Misbehaviour
  ): Effect.Effect<void> {
    const closed = Stackless.make(() =>
      misbehaviour ? new PeerClosed({ reason, message, misbehaviour }) : new PeerClosed({ reason, message })
    )
    return Effect.asVoid(Deferred.succeed(this.closed, closed))
  }

  /** Whether this peer's endpoint is special. */
  get special(): boolean {
    return this.isSpecialFn()
  }

  /** Recomputes the per-second rates; called about once a second. */
  tick(now: number): void {
    const seconds = (now - this.mark.at) / 1000
    if (seconds <= 0) return
    this.rates = {
      mpsDown: (this.messagesReceived - this.mark.messagesReceived) / seconds,
      mpsUp: (this.messagesSent - this.mark.messagesSent) / seconds,
      bpsDown: (this.bytesReceived - this.mark.bytesReceived) / seconds,
      bpsUp: (this.bytesSent - this.mark.bytesSent) / seconds
    }
    this.mark = {
      messagesSent: this.messagesSent,
      bytesSent: this.bytesSent,
      messagesReceived: this.messagesReceived,
      bytesReceived: this.bytesReceived,
      at: now
    }
  }

  /**
   * Whether a deadline has passed at `now`: no bytes for `readDeadline`, a
   * write pending for `writeDeadline`, or (`Stalled`, the progress deadline)
   * an incomplete frame that received fewer than `frameProgressRate` bytes/s
   * over the last `frameProgressWindow` (then {@link stalledBy} holds the
   * measure). Checked once a second by the node, which costs one timer per
   * node instead of one per read and write.
   */
  overdue(now: number, readDeadline: number, writeDeadline: number): PeerClosed["reason"] | undefined {
    if (this.waitingForBudget) {
      // the node is not reading it: neither read deadline nor progress runs
      this.lastRead = now
      this.progressAt = now
      this.progressBytes = this.bytesReceived
    }
    if (now - this.lastRead > readDeadline) return "ReadTimeout"
    if (this.writingSince !== undefined && now - this.writingSince > writeDeadline) return "WriteTimeout"
    if (this.progressRate > 0) {
      if (this.protocol.buffered === 0) {
        // no frame in progress: the window starts afresh
        this.progressAt = now
        this.progressBytes = this.bytesReceived
      } else if (now - this.progressAt >= this.progressWindow) {
        const received = this.bytesReceived - this.progressBytes
        const windowMs = now - this.progressAt
        if (received * 1000 < this.progressRate * windowMs) {
          this.stalledBy = new Misbehaviour.StalledFrame({ received, windowMs, rate: this.progressRate })
          return "Stalled"
        }
        this.progressAt = now
        this.progressBytes = this.bytesReceived
      }
    }
    return undefined
  }

  /** A snapshot of the metrics (Go: `GetMetrics`). */
  metrics(): PeerMetrics {
    return {
      hash: this.hash,
      peerAddress: this.endpoint.ip,
      momentConnected: this.connected,
      peerQuality: 0,
      lastReceive: this.lastReceive,
      lastSend: this.lastSend,
      messagesSent: this.messagesSent,
      bytesSent: this.bytesSent,
      messagesReceived: this.messagesReceived,
      bytesReceived: this.bytesReceived,
      incoming: this.incoming,
      peerType: this.special ? "special_config" : "regular",
      connectionState: `v${this.protocol.version}`,
      ...this.rates,
      sendFillRatio: this.queue.fillRatio,
      dropped: this.queue.dropped,
      dropsByReason: this.queue.dropsByReason(),
      inputHeld: this.inputHeld
    }
  }
}

/** Ends the peer with the loop's own error (no second error built). */
const closeWith = (peer: Peer, e: PeerClosed) => Effect.asVoid(Deferred.succeed(peer.closed, e))

/**
 * Decodes every complete parcel and hands each on. Not a generator: a
 * generator keeps its last parcel in a register while it waits for the next
 * read, which held a 128 MiB frame alive for as long as the peer was quiet.
 */
const deliver = (peer: Peer, options: PeerOptions): Effect.Effect<void, PeerClosed> =>
  Effect.suspend(() => {
    const { protocol, budget } = options
    // a frame over 64 KiB is granted its memory before it is decoded or more
    // of it is read, waiting for room if need be (see `InputBudget`)
    if (protocol.frameWanted(GRANT_MIN) > 0) {
      const wanted = protocol.frameWanted(GRANT_MIN)
      return Effect.flatMap(admitFrame(budget, peer, protocol), (granted) =>
        granted
          ? deliver(peer, options)
          : Effect.fail(
              Stackless.make(
                () =>
                  new PeerClosed({
                    reason: "OverBudget",
                    message: `a frame needing ${wanted} bytes does not fit in the input budget (${budget?.limit} bytes)`
                  })
              )
            )
      )
    }
    const r = protocol.decodeParcel(peer.hash)
    if (r._tag === "NeedMore") {
      // a gob message that arrived whole after type definitions waits for its grant here
      if (protocol.frameWanted(GRANT_MIN) > 0) return deliver(peer, options)
      // one numeric update per read
      if (budget !== undefined && peer.inputHeld !== protocol.held) budget.hold(peer, protocol.held)
      return Effect.void
    }
    if (r._tag === "Failure") {
      return Effect.fail(
        Stackless.make(() => new PeerClosed({ reason: "Malformed", message: r.error.message, misbehaviour: r.error }))
      )
    }
    const parcel = r.value
    const now = peer.lastRead // the time this batch arrived
    peer.messagesReceived++
    options.traffic?.received(parcel.type, parcel.payload.length)
    peer.lastReceive = now
    if (ParcelType.isApplication(parcel.type)) {
      peer.lastApplication = now
      if (peer.resend !== undefined) peer.resend.add(fingerprint(parcel.payload), now)
    }
    // the frame is handed on: its reservation ends as the application queue counts it
    if (budget !== undefined && peer.inputHeld !== protocol.held) budget.hold(peer, protocol.held)
    return Effect.andThen(options.onParcel(peer, parcel), () => deliver(peer, options))
  })

const readLoop = (peer: Peer, options: PeerOptions) =>
  Effect.gen(function* () {
    const { connection, protocol } = options
    for (;;) {
      // the read deadline is enforced by the node's once-a-second check
      // (see `overdue`), not by a timer per read; like Go's, it runs from
      // the start of each read, so time spent waiting for room in the
      // application queue does not count against the peer
      peer.lastRead = yield* Clock.currentTimeMillis
      const chunks = yield* connection.read.pipe(
        Effect.mapError((e) =>
          Stackless.make(
            () => new PeerClosed({ reason: e.reason === "Closed" ? "RemoteClosed" : "ReadError", message: e.message })
          )
        )
      )
      peer.lastRead = yield* Clock.currentTimeMillis
      for (const chunk of chunks) {
        peer.bytesReceived += chunk.length
        protocol.push(chunk)
      }
      yield* deliver(peer, options)
    }
  })

const writeLoop = (peer: Peer, options: PeerOptions) =>
  Effect.gen(function* () {
    const { connection, protocol } = options
    for (;;) {
      // a batch: what queued while the last write was pending (or since the
      // queue woke us), in one socket write: its small frames encoded into
      // one buffer, large payloads as chunks of their own (not copied)
      const batch = yield* peer.queue.take(WRITE_BATCH, WRITE_BATCH_BYTES)
      const chunks = protocol.encodeParcels(batch)
      let bytes = 0
      for (const chunk of chunks) bytes += chunk.length
      if (options.traffic !== undefined)
        for (const parcel of batch) options.traffic.sent(parcel.type, parcel.payload.length)
      peer.writingSince = yield* Clock.currentTimeMillis
      yield* connection
        .write(chunks)
        .pipe(
          Effect.mapError((e) => Stackless.make(() => new PeerClosed({ reason: "WriteError", message: e.message })))
        )
      peer.writingSince = undefined
      peer.messagesSent += batch.length
      peer.bytesSent += bytes
      peer.lastSend = yield* Clock.currentTimeMillis
    }
  })

/**
 * Starts a peer in the current scope: its reader and writer fibers run until
 * the connection fails, a bad parcel arrives, or `stop` is called; then
 * `closed` completes. The caller keeps the scope open until then (see
 * {@link run}).
 *
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function* (options: PeerOptions): Effect.fn.Return<Peer, never, Scope.Scope> {
  const closed = yield* Deferred.make<PeerClosed>()
  const peer = new Peer(options, yield* Clock.currentTimeMillis, closed)
  const end = (loop: Effect.Effect<never, PeerClosed>) =>
    loop.pipe(
      Effect.catch((e: PeerClosed) => closeWith(peer, e)),
      Effect.forkScoped
    )
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      peer.queue.close()
      options.budget?.release(peer)
    })
  )
  yield* end(readLoop(peer, options) as Effect.Effect<never, PeerClosed>)
  yield* end(writeLoop(peer, options) as Effect.Effect<never, PeerClosed>)
  return peer
})

/**
 * Runs a peer until it ends, returning why.
 *
 * @since 0.1.0
 */
export const run = (options: PeerOptions, onStart: (peer: Peer) => Effect.Effect<void, never, Scope.Scope>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const peer = yield* make(options)
      yield* onStart(peer)
      return yield* Deferred.await(peer.closed)
    })
  )
