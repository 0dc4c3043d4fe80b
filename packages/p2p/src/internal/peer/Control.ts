/**
 * A peer's side of the p2p control protocol (Go: `controller.handleParcel`'s
 * p2p cases and `controller.ping`): it answers a Ping with a Pong and a
 * Peer-Request with a share (at most one per `peerRequestInterval`),
 * correlates a Peer-Response with our own Peer-Request, and pings the peer
 * when nothing was written to it for `pingInterval`. One per peer: the
 * correlation and the rate limits are this peer's state.
 *
 * @since 0.1.0
 */
import { Deferred, Duration, Effect } from "effect"
import type * as Endpoint from "../../Endpoint.ts"
import type { Parcel } from "../../Parcel.ts"
import * as ParcelType from "../../ParcelType.ts"
import type { Protocol } from "../../wire/Protocol.ts"

const PING = new TextEncoder().encode("Ping")
const PONG = new TextEncoder().encode("Pong")
const PEER_REQUEST = new TextEncoder().encode("Peer Request")

/**
 * Where a peer hands the application parcels it receives (the node's inbox).
 * `deliver` may wait for room: the peer reads nothing meanwhile.
 *
 * @since 0.1.0
 */
export interface Inbox {
  readonly deliver: (parcel: Parcel) => Effect.Effect<void>
}

/**
 * What the control protocol asks of the node.
 *
 * @since 0.1.0
 */
export interface Sharing {
  /** Endpoints to offer a peer: up to `peerShareAmount` random peers, none that `exclude` matches. */
  readonly shareFor: (exclude: (ep: Endpoint.Endpoint) => boolean) => Effect.Effect<ReadonlyArray<Endpoint.Endpoint>>
  /** Told of each Peer-Request ignored because it came too soon (the node counts them). */
  readonly tooSoon: () => void
}

/**
 * What the control protocol needs from the node's configuration.
 *
 * @since 0.1.0
 */
export interface ControlSettings {
  readonly peerRequestInterval: Duration.Duration
  readonly pingInterval: Duration.Duration
}

/**
 * The peer the control protocol speaks for.
 *
 * @since 0.1.0
 */
export interface Link {
  readonly endpoint: Endpoint.Endpoint
  readonly protocol: Protocol
  /** Clock time of the last parcel it sent us. */
  readonly lastReceive: number
  /** Queues a parcel in the control lane, sent first. */
  readonly sendControl: (parcel: Parcel) => number
}

/**
 * @since 0.1.0
 */
export class Control {
  /** Clock time of the last Peer-Request we answered (rate limit). */
  lastPeerRequest = Number.NEGATIVE_INFINITY
  /** Clock time of the last Peer-Request we sent it (`peerRequestInterval`). */
  lastPeerSend = Number.NEGATIVE_INFINITY
  /** Clock time of its last answer to our Peer-Request (0: none; its usefulness, for eviction). */
  lastPeerShare = 0
  /** Our Peer-Request waiting for its answer. */
  private waiter: Deferred.Deferred<Parcel> | undefined = undefined
  private readonly requestInterval: number
  private readonly pingAfter: number
  private readonly link: Link
  private readonly sharing: Sharing

  constructor(link: Link, settings: ControlSettings, sharing: Sharing) {
    this.link = link
    this.sharing = sharing
    this.requestInterval = Duration.toMillis(settings.peerRequestInterval)
    this.pingAfter = Duration.toMillis(settings.pingInterval)
  }

  /** Handles a p2p parcel (any type but the application's) that arrived at `now`. */
  handle(parcel: Parcel, now: number): Effect.Effect<void> {
    switch (parcel.type) {
      case ParcelType.Ping:
        this.link.sendControl({ type: ParcelType.Pong, address: "", payload: PONG })
        return Effect.void
      case ParcelType.PeerRequest:
        return this.answerPeerRequest(now)
      case ParcelType.PeerResponse: {
        const waiter = this.waiter
        if (waiter === undefined) return Effect.void
        // an answer we asked for: the peer is useful (see `Eviction`)
        this.lastPeerShare = this.link.lastReceive
        return Effect.asVoid(Deferred.succeed(waiter, parcel))
      }
      default:
        return Effect.void
    }
  }

  /** Answers a Peer-Request (also a protocol 9 hello, as Go does) unless the last one came within `peerRequestInterval`. */
  answerPeerRequest(now: number): Effect.Effect<void> {
    if (now - this.lastPeerRequest < this.requestInterval) {
      this.sharing.tooSoon()
      return Effect.logDebug("peer request too soon")
    }
    this.lastPeerRequest = now
    const own = this.link.endpoint
    return Effect.map(
      this.sharing.shareFor((ep) => ep.ip === own.ip && ep.port === own.port),
      (share) => {
        const payload = this.link.protocol.makePeerShare(share)
        if (payload.length > 0) this.link.sendControl({ type: ParcelType.PeerResponse, address: "", payload })
      }
    )
  }

  /** Sends a Peer-Request and waits up to `timeout` for its Peer-Response (undefined: none in time). */
  requestPeers(timeout: Duration.Input, now: number): Effect.Effect<Parcel | undefined> {
    return Effect.suspend(() => {
      // listen before asking: the answer can come back before this fiber runs again
      const waiter = Deferred.makeUnsafe<Parcel>()
      this.waiter = waiter
      this.lastPeerSend = now
      this.link.sendControl({ type: ParcelType.PeerRequest, address: "", payload: PEER_REQUEST })
      return Deferred.await(waiter).pipe(
        Effect.timeoutOption(timeout),
        Effect.map((o) => (o._tag === "Some" ? o.value : undefined)),
        Effect.ensuring(
          Effect.sync(() => {
            if (this.waiter === waiter) this.waiter = undefined
          })
        )
      )
    })
  }

  /** Pings the peer when nothing was written to it for `pingInterval` and nothing waits to be. */
  pingIfIdle(now: number, lastSend: number, queued: number): void {
    if (now - lastSend > this.pingAfter && queued === 0) {
      this.link.sendControl({ type: ParcelType.Ping, address: "", payload: PING })
    }
  }
}
