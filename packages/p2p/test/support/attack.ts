/**
 * Helpers of the attack suite: raw sockets from distinct loopback addresses
 * (127.1.x.y; the honest nodes use 127.0.0.1, so discouraging an attacker's
 * address never hits them), descriptor and memory probes, and the liveness
 * check every attack ends with.
 */
import { readdirSync } from "node:fs"
import * as Net from "node:net"
import * as v8 from "node:v8"
import { runInNewContext } from "node:vm"
import { Context, Deferred, Duration, Effect, Fiber, Layer, Stream } from "effect"
import { type Config, Endpoint, Network, Parcel, P2PLayer, TcpTransport, Transport } from "@catp2p/p2p"
import { Probe } from "@catp2p/p2p/testing"
import { eventually, rawPeerOn, startNode, type TestNode, testConfig } from "./node.ts"

/** A node under attack (its protections read through `probe`). */
export type Target = TestNode

/** Starts a node to attack (the {@link ATTACKED} settings, then `overrides`) in the current scope. */
export const startTarget = (overrides: Partial<Config.Config> = {}) =>
  Effect.gen(function* () {
    const config = testConfig({ ...ATTACKED, ...overrides })
    const context = yield* Layer.build(P2PLayer.layer(config))
    const network = Context.get(context, Network.Network)
    const target: Target = {
      network,
      probe: yield* Effect.provideContext(Probe.make, context),
      config,
      endpoint: Endpoint.unsafeMake("127.0.0.1", String(network.address.port))
    }
    return target
  })

/** The settings every attacked node runs with: short timeouts so the suite stays fast. */
export const ATTACKED: Partial<Config.Config> = {
  handshakeTimeout: Duration.seconds(1),
  frameProgressWindow: Duration.seconds(1),
  frameProgressRate: 1024,
  inputBudget: 8 * 1024 * 1024
}

/** The i-th attacker address: 127.1.x.y, never 127.0.0.1. */
export const attacker = (i: number): string => `127.1.${Math.floor(i / 250) % 250}.${(i % 250) + 2}`

/** Open descriptors of this process. */
export const fds = (): number => readdirSync("/proc/self/fd").length

/** Resident set size, MiB. */
export const rssMiB = (): number => process.memoryUsage().rss / 1048576

v8.setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

/** Heap still in use after a full garbage collection (what the node retains), MiB. */
export const retainedHeapMiB = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 1048576
}

/** A raw socket, with what it received and a signal when it is closed. */
export interface Raw {
  readonly socket: Net.Socket
  readonly received: Array<Buffer>
  readonly closed: Deferred.Deferred<void>
}

/** Connects from `from` to the node; the socket is destroyed when the scope closes. */
export const connectRaw = (to: { readonly ip: string; readonly port: string }, from: string) =>
  Effect.acquireRelease(
    Effect.callback<Raw, Error>((resume) => {
      const socket = Net.connect({ host: to.ip, port: Number(to.port), localAddress: from })
      const raw: Raw = { socket, received: [], closed: Deferred.makeUnsafe<void>() }
      socket.on("data", (b: Buffer) => raw.received.push(b))
      socket.on("error", () => {})
      socket.once("close", () => Deferred.doneUnsafe(raw.closed, Effect.void))
      socket.once("connect", () => resume(Effect.succeed(raw)))
      socket.once("error", (e) => resume(Effect.fail(e)))
    }),
    (raw) => Effect.sync(() => raw.socket.destroy())
  )

/** Writes bytes (ignoring a connection the node already closed). */
export const send = (raw: Raw, bytes: Uint8Array) =>
  Effect.sync(() => {
    if (!raw.socket.destroyed) raw.socket.write(bytes)
  })

/** Waits until the node has closed the socket, at most `limit`. */
export const closedWithin = (raw: Raw, limit: Duration.Input, what = "the node to close the connection") =>
  Deferred.await(raw.closed).pipe(
    Effect.timeoutOrElse({
      duration: limit,
      orElse: () => Effect.die(new Error(`timed out waiting for ${what}`))
    })
  )

/** Runs `f` for 0..n-1, `concurrency` at a time. */
export const times = <A, E, R>(n: number, concurrency: number, f: (i: number) => Effect.Effect<A, E, R>) =>
  Effect.forEach(
    Array.from({ length: n }, (_, i) => i),
    f,
    { concurrency }
  )

/**
 * A real handshake from `from` in `protocolVersion`, as a bare connection the
 * test then abuses (in the current scope).
 */
export const handshakeFrom = (
  to: { readonly ip: string; readonly port: string },
  from: string,
  protocolVersion: 9 | 10 | 11,
  nodeId = 0xa77ac4
) =>
  Effect.flatMap(Layer.build(TcpTransport.TcpTransport.layer), (context) =>
    rawPeerOn(Context.get(context, Transport.Transport), to, nodeId, protocolVersion, { bindHost: from, nonce: 777n })
  )

/** Waits until a bare connection is closed by the node (its reads end). */
export const readUntilClosed = (
  connection: { readonly read: Effect.Effect<unknown, unknown> },
  limit: Duration.Input
) =>
  Effect.flip(Effect.forever(connection.read)).pipe(
    Effect.timeoutOrElse({
      duration: limit,
      orElse: () => Effect.die(new Error("the node did not close the attacking connection"))
    })
  )

/**
 * The liveness check: a fresh honest node (from 127.0.0.1) handshakes with
 * `target` and gets an application parcel through, within 10 s.
 */
export const assertLive = (target: TestNode) =>
  Effect.scoped(
    Effect.gen(function* () {
      const honest = yield* startNode()
      const peer = yield* honest.network.dial(target.endpoint)
      const marker = new TextEncoder().encode(`alive-${Math.random()}`)
      const same = (p: Parcel.Parcel) =>
        p.payload.length === marker.length && p.payload.every((b, i) => b === marker[i])
      const seen = yield* Effect.forkChild(
        target.network.messages.pipe(Stream.filter(same), Stream.take(1), Stream.runDrain)
      )
      // resend until it is through: a flooded application queue may drop one
      yield* honest.network.send(Parcel.make(peer.hash, marker)).pipe(
        Effect.andThen(Effect.sleep("100 millis")),
        Effect.repeat({ until: () => seen.pollUnsafe() !== undefined }),
        Effect.timeoutOrElse({
          duration: "10 seconds",
          orElse: () => Effect.die(new Error("the attacked node did not deliver an honest parcel"))
        })
      )
      yield* Fiber.join(seen)
    })
  )

/**
 * Samples RSS every 20 ms while `self` runs; returns its result and the
 * peak growth over the RSS before it, in MiB.
 */
export const peakRssGrowth = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const before = rssMiB()
    let peak = before
    const sampler = yield* Effect.forkChild(
      Effect.forever(
        Effect.andThen(
          Effect.sleep("20 millis"),
          Effect.sync(() => {
            peak = Math.max(peak, rssMiB())
          })
        )
      )
    )
    const a = yield* self
    yield* Fiber.interrupt(sampler)
    peak = Math.max(peak, rssMiB())
    return [a, peak - before] as const
  })

/** Waits until this process's descriptors are back to at most `baseline + slack`. */
export const fdsBackTo = (baseline: number, slack = 4) =>
  eventually("descriptors back to baseline", Effect.sync(fds), (n) => n <= baseline + slack, "10 seconds")

/** Prints measured figures (for RELIABILITY.md) when `CATP2P_ATTACK_REPORT` is set. */
export const report = (label: string, figures: Record<string, number | string>) =>
  Effect.sync(() => {
    if (process.env.CATP2P_ATTACK_REPORT) process.stderr.write(`[attack] ${label}: ${JSON.stringify(figures)}\n`)
  })

/** Asserts the heap retained since `before` (after full GCs) is under `boundMiB`; reports it. */
export const assertRetained = (before: number, boundMiB: number) =>
  Effect.gen(function* () {
    const retained = retainedHeapMiB() - before
    yield* report("retained heap", { retainedMiB: retained.toFixed(2), boundMiB })
    if (!(retained < boundMiB)) return yield* Effect.die(new Error(`retained ${retained} MiB, bound ${boundMiB} MiB`))
  })
