/**
 * One connection to a peer after a successful handshake, for its whole life
 * (Go: `Peer`). It owns its connection's life: its reader and writer fibers
 * (see `Loops`), the control protocol and its correlation (`Control`), its
 * deadlines (`Deadlines`) and rates (`Rates`), checked once a node tick by
 * {@link Peer.maintain}. It hands application parcels to the inbox it was
 * given. A peer that connects again is a new `Peer`.
 *
 * @since 0.1.0
 */
import { Clock, Deferred, Duration, Effect } from "effect"
import { Control, type ControlSettings, type Inbox, type Sharing } from "./Control.ts"
import { type DeadlineSettings, Deadlines } from "./Deadlines.ts"
import type * as Endpoint from "../../Endpoint.ts"
import type { Handshake } from "../../Handshake.ts"
import type { InputBudget } from "../guard/InputBudget.ts"
import type * as Misbehaviour from "../../Misbehaviour.ts"
import type { Parcel } from "../../Parcel.ts"
import { PeerClosed, type PeerMetrics } from "../../PeerInfo.ts"
import * as PeerHash from "../../PeerHash.ts"
import type { Protocol } from "../../wire/Protocol.ts"
import { Rates } from "./Rates.ts"
import { ResendFilter } from "../node/ResendFilter.ts"
import { SendQueue } from "./SendQueue.ts"
import * as Stackless from "../Stackless.ts"
import type { Connection } from "../../Transport.ts"

export { PeerClosed, type PeerMetrics } from "../../PeerInfo.ts"

/**
 * What a peer needs from the node's configuration.
 *
 * @since 0.1.0
 */
export interface PeerSettings extends DeadlineSettings, ControlSettings {
  readonly channelCapacity: number
  readonly peerResendFilter: boolean
  readonly peerResendBuckets: number
  readonly peerResendInterval: Duration.Duration
}

/**
 * Where a peer counts the parcels it receives and sends (the node's
 * `Traffic`), by type and payload size; declared here so the peer does not
 * depend on the statistics that depend on it.
 *
 * @since 0.1.0
 */
export interface ParcelCounts {
  readonly received: (type: number, bytes: number) => void
  readonly sent: (type: number, bytes: number) => void
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
  /** Receives every valid application parcel, addressed with this peer's hash. */
  readonly inbox: Inbox
  /** What the control protocol asks of the node (peer shares). */
  readonly sharing: Sharing
  /** The node's input budget: the peer reserves big frames in it and reports the bytes its decoder holds after each read. */
  readonly budget?: InputBudget<Peer> | undefined
  /** The node's traffic counters, bumped once per parcel (application parcels, sizes). */
  readonly traffic?: ParcelCounts
}

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
  /** The node's input budget, which owns what this peer's decoder holds in it. */
  readonly budget: InputBudget<Peer> | undefined
  readonly traffic: ParcelCounts | undefined
  private readonly isSpecialFn: () => boolean
  private readonly inbox: Inbox
  private readonly control: Control
  private readonly deadlines: Deadlines
  private readonly rates: Rates
  lastReceive = 0
  /** Clock time bytes last arrived, or the current read started (read deadline). */
  lastRead: number
  /** Clock time the pending write started, or undefined (write deadline). */
  writingSince: number | undefined = undefined
  /** The writer holds a batch it took from the queue and has not finished writing. */
  writing = false
  lastSend: number
  /** Clock time of the last application parcel it sent us (0: none; its usefulness, for eviction). */
  lastApplication = 0
  messagesSent = 0
  bytesSent = 0
  /** Callers of `drained` waiting for the writer to finish a write. */
  private drainWaiters: Array<() => void> | undefined = undefined
  messagesReceived = 0
  bytesReceived = 0

  constructor(options: PeerOptions, now: number, closed: Deferred.Deferred<PeerClosed>) {
    this.endpoint = options.endpoint
    this.nodeId = options.handshake.nodeId
    this.hash = PeerHash.format(options.endpoint.ip, options.endpoint.port, options.handshake.nodeId)
    this.incoming = options.incoming
    this.protocol = options.protocol
    this.connected = now
    this.lastSend = now
    this.lastRead = now
    this.closed = closed
    this.queue = new SendQueue(options.settings.channelCapacity)
    this.isSpecialFn = options.isSpecial
    this.budget = options.budget
    this.traffic = options.traffic
    this.inbox = options.inbox
    this.control = new Control(this, options.settings, options.sharing)
    this.deadlines = new Deadlines(options.settings, now)
    this.rates = new Rates(now)
    const s = options.settings
    this.resend = s.peerResendFilter
      ? new ResendFilter(s.peerResendBuckets, Duration.toMillis(s.peerResendInterval), now)
      : undefined
  }

  /** Clock time of the last Peer-Request we sent it (`peerRequestInterval`). */
  get lastPeerSend(): number {
    return this.control.lastPeerSend
  }

  /** Clock time of its last answer to our Peer-Request (0: none; also its usefulness, for eviction). */
  get lastPeerShare(): number {
    return this.control.lastPeerShare
  }

  /** Bytes its decoder holds or was granted (an incomplete frame), as counted in the input budget. */
  get inputHeld(): number {
    return this.budget === undefined ? 0 : this.budget.heldBy(this)
  }

  /** Whether its reader waits for room in the input budget (then it reads nothing: no deadline runs). */
  get waitingForBudget(): boolean {
    return this.budget?.isWaiting(this) === true
  }

  /** Queues a parcel for sending; never blocks. Returns the number of older parcels dropped. */
  send(parcel: Parcel): number {
    return this.queue.offer(parcel)
  }

  /** Queues a p2p parcel (Ping, Pong, Peer-Request, Peer-Response) in the control lane, sent first; never drops an application parcel. */
  sendControl(parcel: Parcel): number {
    return this.queue.offerControl(parcel)
  }

  /** Whether everything queued has been written (nothing queued, no write pending). */
  get idle(): boolean {
    return this.queue.size === 0 && !this.writing
  }

  /**
   * Completes once everything queued so far has been written to the
   * connection (see {@link idle}), or the peer has ended. The node's
   * graceful stop waits for it, under its deadline.
   */
  drained(): Effect.Effect<void> {
    const wait: Effect.Effect<void> = Effect.suspend(() =>
      this.idle
        ? Effect.void
        : Effect.andThen(
            Effect.callback<void>((resume) => {
              const wake = () => resume(Effect.void)
              if (this.drainWaiters === undefined) this.drainWaiters = [wake]
              else this.drainWaiters.push(wake)
              return Effect.sync(() => {
                const i = this.drainWaiters?.indexOf(wake) ?? -1
                if (i >= 0) this.drainWaiters!.splice(i, 1)
              })
            }),
            wait
          )
    )
    return Effect.raceFirst(wait, Effect.asVoid(Deferred.await(this.closed)))
  }

  /** The writer finished a write: wakes the callers of `drained` (only when someone waits). */
  wrote(): void {
    const waiters = this.drainWaiters
    if (waiters === undefined) return
    this.drainWaiters = undefined
    for (const wake of waiters) wake()
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

  /** A valid parcel from the reader: application parcels to the inbox, the others to the control protocol. */
  receive(parcel: Parcel, application: boolean): Effect.Effect<void> {
    return application ? this.inbox.deliver(parcel) : this.control.handle(parcel, this.lastRead)
  }

  /** Answers a Peer-Request now (a protocol 9 node says hello with one; Go answers it too). */
  answerPeerRequest(): Effect.Effect<void> {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => this.control.answerPeerRequest(now))
  }

  /** Sends it a Peer-Request and waits up to `timeout` for its Peer-Response (for replenishing). */
  requestPeers(timeout: Duration.Input): Effect.Effect<Parcel | undefined> {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => this.control.requestPeers(timeout, now))
  }

  /**
   * Once a node tick: updates the rates, ends the peer when a deadline has
   * passed (see `Deadlines`), else pings it when idle for `pingInterval`.
   */
  maintain(now: number): Effect.Effect<void> {
    this.rates.sample(now, this)
    const late = this.deadlines.check(now, {
      lastRead: this.lastRead,
      writingSince: this.writingSince,
      bytesReceived: this.bytesReceived,
      buffered: this.protocol.buffered,
      waitingForBudget: this.waitingForBudget
    })
    if (late !== undefined) {
      return this.stop(late.reason, late.message, late.reason === "Stalled" ? late.stalled : undefined)
    }
    this.control.pingIfIdle(now, this.lastSend, this.queue.size)
    return Effect.void
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
      ...this.rates.current,
      sendFillRatio: this.queue.fillRatio,
      dropped: this.queue.dropped,
      dropsByReason: this.queue.dropsByReason(),
      inputHeld: this.inputHeld
    }
  }
}

/**
 * Ends the peer with `e` (the loop's own error: no second error built).
 *
 * @since 0.1.0
 */
export const closeWith = (peer: Peer, e: PeerClosed): Effect.Effect<void> =>
  Effect.asVoid(Deferred.succeed(peer.closed, e))
