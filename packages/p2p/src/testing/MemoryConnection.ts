/**
 * One in-memory connection: a pair of pipes, each a bounded buffer, and the
 * two ends that read and write them. `write` waits while the other end's
 * buffer is full (real back-pressure), `read` takes everything buffered.
 * Closing either end closes both directions for the other end, as with TCP:
 * its `read` gets the remaining bytes then `Closed`, its `write` fails
 * `Closed`.
 *
 * The building block of `MemoryTransport`; it knows nothing of hosts,
 * ports or listeners (those are the `MemoryNetwork`'s).
 *
 * @internal
 */
import { Effect } from "effect"
import type { Address, Connection } from "../Transport.ts"
import { TransportError } from "../Transport.ts"

/** What a pipe's writes are bounded by and reported to (the network the connection runs on). */
export interface Bounds {
  /** `write` waits while a direction holds this many unread chunks. */
  readonly maxBufferedChunks: number
  /** `write` waits while a direction holds this many unread bytes. */
  readonly maxBufferedBytes: number
  /** Called with the bytes of every accepted write. */
  readonly countWritten: (bytes: number) => void
}

/** One direction of a connection. */
export class Pipe {
  chunks: Array<Uint8Array> = []
  bytes = 0
  /** The writing end closed: the reader gets what is buffered, then `Closed`. */
  ended = false
  /** The reading end closed: buffered bytes are dropped, writes fail `Closed`. */
  broken = false
  /** Wakes the reader waiting for data. */
  reader: (() => void) | undefined = undefined
  /** Wake writers waiting for room. */
  readonly writers = new Set<() => void>()
}

const wakeReader = (pipe: Pipe) => {
  const wake = pipe.reader
  pipe.reader = undefined
  wake?.()
}

const wakeWriters = (pipe: Pipe) => {
  const writers = [...pipe.writers]
  pipe.writers.clear()
  for (const wake of writers) wake()
}

/** Suspends until `register`'s wake-up function is called. */
const waitFor = (register: (wake: () => void) => () => void): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const unregister = register(() => resume(Effect.void))
    return Effect.sync(unregister)
  })

/** Both ends of one connection, and what to release once both are closed. */
export interface Pair {
  open: number
  readonly release: () => void
}

/** One end of a connection. */
export interface End {
  readonly incoming: Pipe
  readonly outgoing: Pipe
  readonly pair: Pair
  closed: boolean
  readonly connection: Connection
}

/** One shared value: a closed pipe fails every read and write with it (errors are immutable data, and building one captures a stack). */
const CLOSED = new TransportError({ reason: "Closed", message: "connection closed" })
const closedError = () => CLOSED

export const closeEnd = (end: End) => {
  if (end.closed) return
  end.closed = true
  end.outgoing.ended = true
  wakeReader(end.outgoing)
  end.incoming.broken = true
  end.incoming.chunks = []
  end.incoming.bytes = 0
  wakeWriters(end.incoming)
  wakeReader(end.incoming)
  end.pair.open--
  if (end.pair.open === 0) end.pair.release()
}

const read = (pipe: Pipe): Effect.Effect<ReadonlyArray<Uint8Array>, TransportError> =>
  Effect.suspend(function loop(): Effect.Effect<ReadonlyArray<Uint8Array>, TransportError> {
    if (pipe.broken) return Effect.fail(closedError())
    if (pipe.chunks.length > 0) {
      const chunks = pipe.chunks
      pipe.chunks = []
      pipe.bytes = 0
      wakeWriters(pipe)
      return Effect.succeed(chunks)
    }
    if (pipe.ended) return Effect.fail(closedError())
    return Effect.flatMap(
      waitFor((wake) => {
        pipe.reader = wake
        return () => {
          if (pipe.reader === wake) pipe.reader = undefined
        }
      }),
      loop
    )
  })

const write = (bounds: Bounds, pipe: Pipe, chunks: ReadonlyArray<Uint8Array>): Effect.Effect<void, TransportError> =>
  Effect.suspend(function loop(): Effect.Effect<void, TransportError> {
    if (pipe.ended || pipe.broken) return Effect.fail(closedError())
    if (pipe.chunks.length >= bounds.maxBufferedChunks || pipe.bytes >= bounds.maxBufferedBytes) {
      return Effect.flatMap(
        waitFor((wake) => {
          pipe.writers.add(wake)
          return () => pipe.writers.delete(wake)
        }),
        loop
      )
    }
    let bytes = 0
    for (const chunk of chunks) {
      if (chunk.length === 0) continue
      pipe.chunks.push(chunk)
      bytes += chunk.length
    }
    if (bytes === 0) return Effect.void
    pipe.bytes += bytes
    bounds.countWritten(bytes)
    wakeReader(pipe)
    return Effect.void
  })

export const makeEnd = (bounds: Bounds, incoming: Pipe, outgoing: Pipe, pair: Pair, remote: Address): End => ({
  incoming,
  outgoing,
  pair,
  closed: false,
  connection: {
    remote,
    read: read(incoming),
    write: (chunks) => write(bounds, outgoing, chunks)
  }
})
