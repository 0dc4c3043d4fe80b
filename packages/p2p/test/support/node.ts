/** Helpers for tests that run whole nodes. */
import { Context, Duration, Effect, Layer, Result, Schedule, Stream } from "effect"
import { Config, Endpoint, Network, NetworkId, type Parcel, P2PLayer, TcpTransport, Transport } from "@catp2p/p2p"
import { Probe, RawPeer } from "@catp2p/p2p/testing"

export const TEST_NETWORK = NetworkId.fromName("catp2p-test")

let names = 0

/** A checked config for a loopback test node: any free port, no listen limit, no redial wait. */
export const testConfig = (overrides: Partial<Config.Config> = {}): Config.Config =>
  Result.getOrThrow(
    Config.make({
      network: TEST_NETWORK,
      nodeName: `test-node-${++names}`,
      bindIp: "127.0.0.1",
      listenPort: "0",
      listenLimit: Duration.zero,
      redialInterval: Duration.zero,
      ...overrides
    })
  )

export interface TestNode {
  readonly network: Network.Network["Service"]
  /** A read-only view of the node's statistics, application queue and input budget. */
  readonly probe: Probe.Probe
  readonly config: Config.Config
  /** Where other nodes dial it. */
  readonly endpoint: Endpoint.Endpoint
}

/** Starts a node in the current scope (it stops when the scope closes); `sources` replace its seeds, peer file, tick. */
export const startNode = (
  overrides: Partial<Config.Config> = {},
  transport?: Layer.Layer<Transport.Transport>,
  sources: P2PLayer.Sources = {}
) =>
  Effect.gen(function* () {
    const config = testConfig(overrides)
    const layer =
      transport === undefined ? P2PLayer.layer(config, sources) : P2PLayer.layerWith(config, transport, sources)
    const context = yield* Layer.build(layer)
    const network = Context.get(context, Network.Network)
    return {
      network,
      probe: yield* Effect.provideContext(Probe.make, context),
      config,
      endpoint: Endpoint.unsafeMake(
        network.address.host === "0.0.0.0" || network.address.host === "::" ? "127.0.0.1" : network.address.host,
        String(network.address.port)
      )
    } satisfies TestNode
  })

/** Waits (polling every 10 ms, up to `limit`, 10 s by default) until `check` holds. */
export const eventually = <A>(
  what: string,
  get: Effect.Effect<A>,
  check: (a: A) => boolean,
  limit: Duration.Input = "10 seconds"
) => {
  let last: A | undefined
  return get.pipe(
    Effect.tap((a) =>
      Effect.sync(() => {
        last = a
      })
    ),
    Effect.flatMap((a) => (check(a) ? Effect.succeed(a) : Effect.fail(a))),
    Effect.retry(Schedule.spaced("10 millis")),
    Effect.timeoutOrElse({
      duration: limit,
      orElse: () => Effect.die(new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`))
    })
  )
}

/** The next `n` application parcels a node receives (10 s at most). */
export const receive = (node: TestNode, n: number) =>
  node.network.messages.pipe(
    Stream.take(n),
    Stream.runCollect,
    Effect.timeoutOrElse({
      duration: "10 seconds",
      orElse: () => Effect.die(new Error(`did not receive ${n} parcels`))
    })
  )

export const text = (s: string) => new TextEncoder().encode(s)
export const show = (p: Parcel.Parcel) => new TextDecoder().decode(p.payload)

/**
 * A bare TCP connection that completes a real handshake in `protocolVersion`,
 * then does whatever the test does with `connection` and `settled.protocol`.
 */
export const rawPeer = (
  to: { readonly ip: string; readonly port: string },
  nodeId: number,
  protocolVersion: 9 | 10 | 11 = 10
) =>
  Effect.flatMap(Layer.build(TcpTransport.TcpTransport.layer), (context) =>
    rawPeerOn(Context.get(context, Transport.Transport), to, nodeId, protocolVersion)
  )

/**
 * `rawPeer` over any transport: on a `MemoryTransport` bound to a host of its
 * own, the node sees the raw peer come from that host.
 */
export const rawPeerOn = (
  transport: Transport.Transport["Service"],
  to: { readonly ip: string; readonly port: string },
  nodeId: number,
  protocolVersion: 9 | 10 | 11 = 10,
  options: { readonly bindHost?: string; readonly nonce?: bigint } = {}
) =>
  Effect.gen(function* () {
    const connection = yield* transport.connect(
      { host: to.ip, port: Number(to.port) },
      options.bindHost === undefined ? { timeout: "5 seconds" } : { timeout: "5 seconds", bindHost: options.bindHost }
    )
    const settled = yield* RawPeer.outgoing(
      connection,
      { network: TEST_NETWORK, protocolVersion, protocolVersionMinimum: 9, nodeId, listenPort: "9" },
      options.nonce ?? 12345n,
      Duration.seconds(5)
    )
    return { connection, settled }
  })

/** Reads parcels from a raw peer's connection until `n` have arrived. */
export const readParcels = (peer: Effect.Success<ReturnType<typeof rawPeerOn>>, n: number) =>
  Effect.gen(function* () {
    const out: Array<Parcel.Parcel> = []
    const protocol = peer.settled.protocol
    for (;;) {
      // bytes that came with the handshake reply may already be buffered
      for (;;) {
        const r = protocol.decodeParcel()
        if (r._tag !== "Value") break
        out.push(r.value)
      }
      if (out.length >= n) return out
      for (const c of yield* peer.connection.read) protocol.push(c)
    }
  }).pipe(
    Effect.timeoutOrElse({
      duration: "10 seconds",
      orElse: () => Effect.die(new Error(`raw peer did not get ${n} parcels`))
    })
  )

/** The reason tag of a failed dial: the `HandshakeError` reason, `Dial:<reason>` for a `DialError`. */
export const reasonOf = (e: unknown): string => {
  const err = e as { _tag?: string; reason?: { _tag?: string } | string }
  if (err._tag === "HandshakeError") return (err.reason as { _tag: string })._tag
  if (err._tag === "DialError") return `Dial:${err.reason as string}`
  return String(err._tag)
}

/** Why `effect` (a dial) failed, as {@link reasonOf} names it. */
export const dialFailure = (effect: Effect.Effect<unknown, unknown>) => Effect.flip(effect).pipe(Effect.map(reasonOf))
