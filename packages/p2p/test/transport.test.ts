/**
 * One behavioural suite run against both transports: TCP on 127.0.0.1 (live
 * clock) and the in-memory network (TestClock), plus what only one of them
 * can show (memory: timeouts, back-pressure, counters; TCP: Node handles).
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Ref, Scope } from "effect"
import { TestClock } from "effect/testing"
import * as MemoryTransport from "../src/testing/MemoryTransport.ts"
import * as TcpTransport from "../src/TcpTransport.ts"
import type { Address, Connection, TransportError } from "../src/Transport.ts"
import { Transport } from "../src/Transport.ts"
import { concat } from "./support/codec.ts"

type Service = Transport["Service"]

interface Harness {
  readonly name: string
  readonly test: typeof it.effect
  /** Fresh transports: the server's, and the client's (another host for memory). */
  readonly make: Effect.Effect<{
    readonly server: Service
    readonly client: Service
    /** Where the server listens (port 0). */
    readonly listenHost: string
    /** The host the server sees connections from. */
    readonly clientHost: string
    /** A `bindHost` the client may dial from, and the host the server then sees. */
    readonly bindHost: string
    /** Open handles/connections, to compare before and after. */
    readonly open: Effect.Effect<number>
  }>
}

const tcpHandles = () =>
  process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "TCPServerWrap").length

const harnesses: ReadonlyArray<Harness> = [
  {
    name: "TcpTransport",
    test: it.live,
    make: Effect.map(TcpTransport.make(), (transport) => {
      return {
        server: transport,
        client: transport,
        listenHost: "127.0.0.1",
        clientHost: "127.0.0.1",
        bindHost: "127.0.0.1",
        open: Effect.sync(tcpHandles)
      }
    })
  },
  {
    name: "MemoryTransport",
    test: it.effect,
    make: Effect.map(MemoryTransport.makeNetwork(), (network) => ({
      server: MemoryTransport.make(network, "10.0.0.1"),
      client: MemoryTransport.make(network, "10.0.0.2"),
      listenHost: "10.0.0.1",
      clientHost: "10.0.0.2",
      bindHost: "10.0.0.99",
      open: Effect.sync(() => network.openConnections + network.listening)
    }))
  }
]

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)

/** Reads until `n` bytes arrived. */
const readN = (connection: Connection, n: number) =>
  Effect.gen(function* () {
    const got: Array<Uint8Array> = []
    let total = 0
    while (total < n) {
      for (const chunk of yield* connection.read) {
        assert.isAbove(chunk.length, 0)
        got.push(chunk)
        total += chunk.length
      }
    }
    return concat(got)
  })

/** Reads until the connection fails; returns the bytes and the error. */
const readToEnd = (connection: Connection) =>
  Effect.gen(function* () {
    const got: Array<Uint8Array> = []
    for (;;) {
      const result = yield* Effect.result(connection.read)
      if (result._tag === "Failure") return { data: concat(got), error: result.failure }
      got.push(...result.success)
    }
  })

const echo = (connection: Connection) =>
  Effect.forever(Effect.flatMap(connection.read, connection.write)).pipe(Effect.ignore)

const noise = (n: number, seed: number) => {
  const out = new Uint8Array(n)
  let s = seed
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0
    out[i] = s >>> 24
  }
  return out
}

/** Polls `open` (bounded) until it is back to `expected`. */
const settles = (open: Effect.Effect<number>, expected: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < 500; i++) {
      if ((yield* open) === expected) return
      yield* Effect.sleep("10 millis")
    }
    assert.strictEqual(yield* open, expected)
  })

const opts = { timeout: "5 seconds" } as const

const assertReason = (error: TransportError | undefined, reason: TransportError["reason"]) => {
  assert.isDefined(error)
  assert.strictEqual(error?.reason, reason)
}

for (const h of harnesses) {
  describe(h.name, () => {
    h.test("echo round trip, with both ends' addresses", () =>
      Effect.gen(function* () {
        const t = yield* h.make
        const seen = yield* Deferred.make<Address>()
        const server = yield* t.server.listen({ host: t.listenHost, port: 0 }, (c) =>
          Effect.andThen(Deferred.succeed(seen, c.remote), echo(c))
        )
        assert.strictEqual(server.address.host, t.listenHost)
        assert.isAbove(server.address.port, 0)
        const c = yield* t.client.connect(server.address, opts)
        assert.deepStrictEqual(c.remote, server.address)
        yield* c.write([bytes("hel"), bytes("lo")])
        assert.strictEqual(text(yield* readN(c, 5)), "hello")
        const remote = yield* Deferred.await(seen)
        assert.strictEqual(remote.host, t.clientHost)
        assert.isAbove(remote.port, 0)
      })
    )

    h.test("connections from one host get distinct source ports; bindHost is the source", () =>
      Effect.gen(function* () {
        const t = yield* h.make
        const seen = yield* Ref.make<ReadonlyArray<Address>>([])
        const server = yield* t.server.listen({ host: t.listenHost, port: 0 }, (c) =>
          Effect.andThen(
            Ref.update(seen, (xs) => [...xs, c.remote]),
            echo(c)
          )
        )
        for (const options of [opts, opts, { ...opts, bindHost: t.bindHost }]) {
          const c = yield* t.client.connect(server.address, options)
          yield* c.write([bytes("x")])
          yield* readN(c, 1)
        }
        const remotes = yield* Ref.get(seen)
        assert.strictEqual(remotes.length, 3)
        assert.deepStrictEqual(
          remotes.map((r) => r.host),
          [t.clientHost, t.clientHost, t.bindHost]
        )
        assert.strictEqual(new Set(remotes.map((r) => `${r.host}:${r.port}`)).size, 3)
      })
    )

    h.test("many chunks arrive in order", () =>
      Effect.gen(function* () {
        const t = yield* h.make
        const server = yield* t.server.listen({ host: t.listenHost, port: 0 }, echo)
        const c = yield* t.client.connect(server.address, opts)
        const chunks = Array.from({ length: 2000 }, (_, i) => bytes(`${i},`))
        const expected = concat(chunks)
        const writer = yield* Effect.forkChild(
          Effect.forEach(
            Array.from({ length: 100 }, (_, i) => chunks.slice(i * 20, i * 20 + 20)),
            c.write,
            {
              discard: true
            }
          )
        )
        assert.deepStrictEqual(yield* readN(c, expected.length), expected)
        yield* Fiber.join(writer)
      })
    )

    h.test("a 4 MiB payload arrives intact (echoed while writing)", () =>
      Effect.gen(function* () {
        const t = yield* h.make
        const server = yield* t.server.listen({ host: t.listenHost, port: 0 }, echo)
        const c = yield* t.client.connect(server.address, opts)
        const payload = noise(4 * 1024 * 1024, 7)
        const writer = yield* Effect.forkChild(
          Effect.andThen(c.write([payload.subarray(0, 1000)]), c.write([payload.subarray(1000)]))
        )
        const back = yield* readN(c, payload.length)
        yield* Fiber.join(writer)
        assert.strictEqual(back.length, payload.length)
        assert.isTrue(back.every((b, i) => b === payload[i]))
      })
    )

    h.test("Closed after the peer closes, with its earlier bytes first (both directions)", () =>
      Effect.gen(function* () {
        const t = yield* h.make
        const received = yield* Deferred.make<{ data: string; error: TransportError }>()
        // its handler ends after writing: its connection is closed
        const talker = yield* t.server.listen({ host: t.listenHost, port: 0 }, (c) =>
          Effect.ignore(c.write([bytes("last "), bytes("words")]))
        )
        const listener = yield* t.server.listen({ host: t.listenHost, port: 0 }, (c) =>
          Effect.flatMap(readToEnd(c), (got) => Deferred.succeed(received, { data: text(got.data), error: got.error }))
        )
        const c = yield* t.client.connect(talker.address, opts)
        const got = yield* readToEnd(c)
        assert.strictEqual(text(got.data), "last words")
        assertReason(got.error, "Closed")
        assertReason(yield* Effect.flip(c.read), "Closed")
        assertReason(yield* Effect.flip(c.write([bytes("anyone?")])), "Closed")

        yield* Effect.scoped(
          Effect.gen(function* () {
            const c2 = yield* t.client.connect(listener.address, opts)
            yield* c2.write([bytes("client "), bytes("bye")])
          })
        )
        const other = yield* Deferred.await(received)
        assert.strictEqual(other.data, "client bye")
        assertReason(other.error, "Closed")
      })
    )

    h.test("closing the own scope fails the own read and write with Closed", () =>
      Effect.gen(function* () {
        const t = yield* h.make
        const server = yield* t.server.listen({ host: t.listenHost, port: 0 }, echo)
        const scope = yield* Scope.make()
        const c = yield* t.client.connect(server.address, opts).pipe(Scope.provide(scope))
        const reading = yield* Effect.forkChild(Effect.flip(c.read))
        yield* Effect.yieldNow
        yield* Scope.close(scope, Exit.void)
        assertReason(yield* Fiber.join(reading), "Closed")
        assertReason(yield* Effect.flip(c.write([bytes("late")])), "Closed")
      })
    )

    h.test("connecting to a closed port is Refused", () =>
      Effect.gen(function* () {
        const t = yield* h.make
        const scope = yield* Scope.make()
        const server = yield* t.server.listen({ host: t.listenHost, port: 0 }, echo).pipe(Scope.provide(scope))
        yield* Scope.close(scope, Exit.void)
        const error = yield* Effect.flip(t.client.connect(server.address, opts))
        assertReason(error, "Refused")
      })
    )

    h.test("a taken address is AddressInUse", () =>
      Effect.gen(function* () {
        const t = yield* h.make
        const server = yield* t.server.listen({ host: t.listenHost, port: 0 }, echo)
        const error = yield* Effect.flip(t.server.listen(server.address, echo))
        assertReason(error, "AddressInUse")
        // the first server still works
        const c = yield* t.client.connect(server.address, opts)
        yield* c.write([bytes("ok")])
        assert.strictEqual(text(yield* readN(c, 2)), "ok")
      })
    )

    h.test("closing the server interrupts its handlers and closes their connections", () =>
      Effect.gen(function* () {
        const t = yield* h.make
        const started = yield* Ref.make(0)
        const interrupted = yield* Ref.make(0)
        const scope = yield* Scope.make()
        const server = yield* t.server
          .listen({ host: t.listenHost, port: 0 }, (c) =>
            Effect.gen(function* () {
              yield* c.write([bytes("hi")])
              yield* Ref.update(started, (n) => n + 1)
              return yield* Effect.never
            }).pipe(
              Effect.onInterrupt(() => Ref.update(interrupted, (n) => n + 1)),
              Effect.ignore
            )
          )
          .pipe(Scope.provide(scope))
        const clients = yield* Effect.forEach([1, 2, 3], () => t.client.connect(server.address, opts))
        for (const c of clients) assert.strictEqual(text(yield* readN(c, 2)), "hi")
        yield* Scope.close(scope, Exit.void)
        assert.strictEqual(yield* Ref.get(started), 3)
        assert.strictEqual(yield* Ref.get(interrupted), 3)
        for (const c of clients) assertReason(yield* Effect.flip(c.read), "Closed")
        assertReason(yield* Effect.flip(t.client.connect(server.address, opts)), "Refused")
      })
    )

    h.test("nothing stays open once every scope is closed", () =>
      Effect.gen(function* () {
        const t = yield* h.make
        // sockets of earlier tests are released asynchronously
        yield* settles(t.open, 0)
        const before = yield* t.open
        yield* Effect.scoped(
          Effect.gen(function* () {
            const server = yield* t.server.listen({ host: t.listenHost, port: 0 }, echo)
            const idle = yield* t.server.listen({ host: t.listenHost, port: 0 }, () => Effect.never)
            for (let i = 0; i < 5; i++) {
              const c = yield* t.client.connect(server.address, opts)
              yield* c.write([bytes("ping")])
              yield* readN(c, 4)
            }
            // a connection closed by the client alone, and connections left open
            yield* Effect.scoped(t.client.connect(server.address, opts))
            yield* t.client.connect(idle.address, opts)
            yield* t.client.connect(idle.address, opts)
            assert.isAbove(yield* t.open, before)
          })
        )
        yield* settles(t.open, before)
      })
    )
  })
}

describe("MemoryTransport only", () => {
  it.effect("connect to an unreachable host times out on the Clock", () =>
    Effect.gen(function* () {
      const network = yield* MemoryTransport.makeNetwork()
      const server = MemoryTransport.make(network, "10.0.0.1")
      const client = MemoryTransport.make(network, "10.0.0.2")
      const listening = yield* server.listen({ host: "0.0.0.0", port: 8108 }, echo)
      assert.deepStrictEqual(listening.address, { host: "10.0.0.1", port: 8108 })
      network.setReachable("10.0.0.1", false)
      const dialing = yield* Effect.forkChild(Effect.flip(client.connect(listening.address, { timeout: "3 seconds" })))
      yield* TestClock.adjust("2999 millis")
      assert.isUndefined(dialing.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      assertReason(yield* Fiber.join(dialing), "Timeout")
      network.setReachable("10.0.0.1", true)
      const c = yield* client.connect(listening.address, { timeout: "3 seconds" })
      yield* c.write([bytes("back")])
      assert.strictEqual(text(yield* readN(c, 4)), "back")
    })
  )

  it.effect("a writer to a peer that does not read blocks, and resumes when it reads", () =>
    Effect.gen(function* () {
      const network = yield* MemoryTransport.makeNetwork({ maxBufferedChunks: 8 })
      const transport = MemoryTransport.make(network)
      const go = yield* Deferred.make<void>()
      // reads only once told to
      const server = yield* transport.listen({ host: "127.0.0.1", port: 0 }, (c) =>
        Effect.andThen(Deferred.await(go), readToEnd(c))
      )
      const c = yield* transport.connect(server.address, opts)
      const written = yield* Ref.make(0)
      const writer = yield* Effect.forkChild(
        Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          () =>
            Effect.andThen(
              c.write([new Uint8Array(10)]),
              Ref.update(written, (n) => n + 1)
            ),
          { discard: true }
        )
      )
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Ref.get(written), 8)
      assert.isUndefined(writer.pollUnsafe())
      yield* Deferred.succeed(go, undefined)
      yield* Fiber.join(writer)
      assert.strictEqual(yield* Ref.get(written), 20)
      assert.strictEqual(network.bytesWritten, 200)
    }).pipe(Effect.scoped)
  )

  it.effect("the byte budget also bounds a direction", () =>
    Effect.gen(function* () {
      const network = yield* MemoryTransport.makeNetwork({ maxBufferedBytes: 1000 })
      const transport = MemoryTransport.make(network)
      const server = yield* transport.listen({ host: "127.0.0.1", port: 0 }, () => Effect.never)
      const c = yield* transport.connect(server.address, opts)
      const writer = yield* Effect.forkChild(
        Effect.forEach(
          Array.from({ length: 5 }, () => new Uint8Array(600)),
          (b) => c.write([b]),
          { discard: true }
        )
      )
      yield* TestClock.adjust("1 minute")
      assert.isUndefined(writer.pollUnsafe())
      assert.strictEqual(network.bytesWritten, 1200)
    })
  )

  it.effect("nodes on one SharedNetwork service reach each other; counters return to 0", () =>
    Effect.gen(function* () {
      const network = yield* MemoryTransport.SharedNetwork
      const a = yield* Effect.provide(Effect.service(Transport), MemoryTransport.layerNetworkHost("10.0.0.1"))
      const b = yield* Effect.provide(Effect.service(Transport), MemoryTransport.layerNetworkHost("10.0.0.2"))
      yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* a.listen({ host: "10.0.0.1", port: 9000 }, echo)
          const c = yield* b.connect(server.address, opts)
          yield* c.write([bytes("over the wire")])
          assert.strictEqual(text(yield* readN(c, 13)), "over the wire")
          assert.strictEqual(network.openConnections, 1)
          assert.strictEqual(network.listening, 1)
        })
      )
      assert.strictEqual(network.openConnections, 0)
      assert.strictEqual(network.listening, 0)
      assert.strictEqual(network.totalConnections, 1)
      assert.strictEqual(network.bytesWritten, 26)
    }).pipe(Effect.provide(MemoryTransport.SharedNetwork.layer))
  )
})

describe("TcpTransport only", () => {
  const big = new Uint8Array(1024 * 1024)

  it.live("a closed connection whose peer does not read is destroyed after the linger", () =>
    Effect.gen(function* () {
      const transport = yield* TcpTransport.make({ lingerTimeout: "200 millis" })
      yield* settles(Effect.sync(tcpHandles), 0)
      const server = yield* transport.listen({ host: "127.0.0.1", port: 0 }, () => Effect.never)
      const scope = yield* Scope.make()
      const c = yield* transport.connect(server.address, opts).pipe(Scope.provide(scope))
      yield* settles(Effect.sync(tcpHandles), 3)
      // fills the kernel buffers and Node's: the last write never completes
      const writer = yield* Effect.forkChild(Effect.forever(c.write([big])))
      yield* Effect.sleep("100 millis")
      yield* Fiber.interrupt(writer)
      yield* Scope.close(scope, Exit.void)
      // the server still holds its end; the client's socket goes after the linger
      yield* settles(Effect.sync(tcpHandles), 2)
    })
  )

  it.live("closing a server whose handlers are blocked writing does not wait for them", () =>
    Effect.gen(function* () {
      // without the server destroying its sockets, closing it would wait out this linger
      const transport = yield* TcpTransport.make({ lingerTimeout: "1 hour" })
      yield* settles(Effect.sync(tcpHandles), 0)
      const scope = yield* Scope.make()
      const writing = yield* Deferred.make<void>()
      const server = yield* transport
        .listen({ host: "127.0.0.1", port: 0 }, (c) =>
          Effect.andThen(Deferred.succeed(writing, undefined), Effect.ignore(Effect.forever(c.write([big]))))
        )
        .pipe(Scope.provide(scope))
      yield* transport.connect(server.address, opts)
      yield* Deferred.await(writing)
      yield* Effect.sleep("100 millis")
      yield* Scope.close(scope, Exit.void)
      assertReason(yield* Effect.flip(transport.connect(server.address, opts)), "Refused")
    })
  )

  it.live("invalid ports fail with Unknown", () =>
    Effect.gen(function* () {
      const transport = yield* TcpTransport.make()
      assertReason(yield* Effect.flip(transport.connect({ host: "127.0.0.1", port: 70000 }, opts)), "Unknown")
      assertReason(yield* Effect.flip(transport.listen({ host: "127.0.0.1", port: -1 }, () => Effect.void)), "Unknown")
    })
  )
})
