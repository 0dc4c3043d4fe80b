/**
 * A peer's reader and writer fibers. The reader decodes parcels and hands
 * each to the peer (application parcels to its inbox, the others to its
 * control protocol); the writer drains the bounded send queue. Both run in
 * the scope the peer is made in, so closing that scope stops them and closes
 * the connection.
 *
 * @since 0.1.0
 */
import { Clock, Deferred, Effect, type Scope } from "effect"
import { admitFrame, GRANT_MIN } from "../guard/InputBudget.ts"
import * as ParcelType from "../../ParcelType.ts"
import { closeWith, Peer, PeerClosed, type PeerOptions } from "./Peer.ts"
import { fingerprint } from "../node/ResendFilter.ts"
import * as Stackless from "../Stackless.ts"

/** Most parcels one socket write carries. */
const WRITE_BATCH = 1024
/** About the most payload bytes one socket write carries (at least one parcel). */
const WRITE_BATCH_BYTES = 256 * 1024

/**
 * Decodes every complete parcel and hands each on. Not a generator: a
 * generator keeps its last parcel in a register while it waits for the next
 * read, which held a 128 MiB frame alive for as long as the peer was quiet.
 * Parcels whose handling completes at once (the application queue had room,
 * a Ping answered) are handed on in a plain loop, without an effect per
 * parcel; only a handling that must wait (room in the application queue, a
 * frame's grant) continues through the effect runtime.
 */
const deliver = (peer: Peer): Effect.Effect<void, PeerClosed> =>
  Effect.suspend(() => {
    const { protocol, budget } = peer
    for (;;) {
      // a frame over 64 KiB is granted its memory before it is decoded or more
      // of it is read, waiting for room if need be (see `InputBudget`)
      if (protocol.frameWanted(GRANT_MIN) > 0) {
        const wanted = protocol.frameWanted(GRANT_MIN)
        return Effect.flatMap(admitFrame(budget, peer, protocol), (granted) =>
          granted
            ? deliver(peer)
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
        if (protocol.frameWanted(GRANT_MIN) > 0) continue
        // one numeric update per read
        if (budget !== undefined) budget.hold(peer, protocol.held)
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
      peer.traffic?.received(parcel.type, parcel.payload.length)
      peer.lastReceive = now
      const application = ParcelType.isApplication(parcel.type)
      if (application) {
        peer.lastApplication = now
        if (peer.resend !== undefined) peer.resend.add(fingerprint(parcel.payload), now)
      }
      // the frame is handed on: its reservation ends as the application queue counts it
      if (budget !== undefined) budget.hold(peer, protocol.held)
      const handled = peer.receive(parcel, application)
      // done at once: on to the next parcel in this loop
      if (handled === Effect.void) continue
      return Effect.andThen(handled, () => deliver(peer))
    }
  })

const readLoop = (peer: Peer, options: PeerOptions) =>
  Effect.gen(function* () {
    const { connection, protocol } = options
    for (;;) {
      // the read deadline is enforced by the node's once-a-tick check (see
      // `Deadlines`), not by a timer per read; like Go's, it runs from the
      // start of each read, so time spent waiting for room in the
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
      yield* deliver(peer)
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
      peer.writing = true
      const chunks = protocol.encodeParcels(batch)
      let bytes = 0
      for (const chunk of chunks) bytes += chunk.length
      if (peer.traffic !== undefined) for (const parcel of batch) peer.traffic.sent(parcel.type, parcel.payload.length)
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
      peer.writing = false
      peer.wrote()
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
export const run = (
  options: PeerOptions,
  onStart: (peer: Peer) => Effect.Effect<void, never, Scope.Scope>
): Effect.Effect<PeerClosed> =>
  Effect.scoped(
    Effect.gen(function* () {
      const peer = yield* make(options)
      yield* onStart(peer)
      return yield* Deferred.await(peer.closed)
    })
  )
