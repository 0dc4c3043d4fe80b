/**
 * Helpers for the CAT rule tests: nodes and scripted peers on one in-memory
 * network, each on its own host, all under `TestClock`.
 */
import { Clock, Effect } from "effect"
import { type Config, Endpoint, Parcel, ParcelType } from "@catp2p/p2p"
import { MemoryTransport, PeerFiles, RawPeer } from "@catp2p/p2p/testing"
import { startNode, TEST_NETWORK } from "./node.ts"

/** Host `i` of a test network (10.0.x.y): distinct IPs per node. */
export const hostOf = (i: number): string => `10.0.${i >> 8}.${(i & 255) + 1}`

/** The port every test node and scripted peer listens on. */
export const PORT = "8108"

/** `host:8108`. */
export const at = (host: string): Endpoint.Endpoint => Endpoint.unsafeMake(host, PORT)

/**
 * Lets the in-memory network run what is already started (dials,
 * handshakes, closes) without moving the clock: the test fiber yields
 * `rounds` times, each a full round of the scheduler.
 */
export const settle = (rounds = 200): Effect.Effect<void> =>
  Effect.forEach(Array.from({ length: rounds }), () => Effect.yieldNow, { discard: true })

/**
 * Starts a node at `host:8108` on `memory` with `seeds` as its seed list and
 * its peer file in `peerFile` (memory; a fresh one when not given). Listen
 * limit and redial interval are 0 unless overridden (see `testConfig`).
 */
export const memoryNode = (
  memory: MemoryTransport.MemoryNetwork,
  host: string,
  overrides: Partial<Config.Config> = {},
  options: {
    readonly seeds?: ReadonlyArray<Endpoint.Endpoint>
    readonly peerFile?: PeerFiles.Store
  } = {}
) =>
  startNode({ bindIp: host, listenPort: PORT, ...overrides }, MemoryTransport.layerHost(memory, host), {
    seeds: PeerFiles.seeds(options.seeds ?? []),
    // an explicit peerCacheFile in `overrides` is used as is (on disk)
    ...(overrides.peerCacheFile === undefined
      ? { peerCache: PeerFiles.layerStore(options.peerFile ?? PeerFiles.makeStore()) }
      : {})
  })

/**
 * What a scripted peer does with a node's hello: complete the handshake,
 * reject it offering `alternatives` (a full node), or hang up at once.
 */
export type Admit = "accept" | "hangUp" | { readonly reject: ReadonlyArray<Endpoint.Endpoint> }

/** How a scripted peer behaves. */
export interface ScriptedOptions {
  /** Default `accept`. */
  readonly admit?: Admit
  /**
   * After the handshake: read and record the node's parcels (default), or
   * never read again (a stalled reader: the node's writes back up).
   */
  readonly reads?: boolean
  /** Answer the node's Pings with Pongs (default); a peer that does not never writes after its handshake. */
  readonly pongs?: boolean
  /** Shared log every scripted peer appends its host to when dialed (the order of dials across peers). */
  readonly log?: Array<string>
}

/** A listener at `host:8108` played by the test, byte by byte (it answers no Peer-Request). */
export interface ScriptedPeer {
  readonly host: string
  readonly endpoint: Endpoint.Endpoint
  /** Clock ms of every connection made to it. */
  readonly dials: Array<number>
  /** Parcels received after the handshake, with their Clock ms. */
  readonly received: Array<{ readonly at: number; readonly parcel: Parcel.Parcel }>
  /** Connections whose handshake completed and that are still open. */
  readonly open: () => number
}

let nextNodeId = 0x5c0000
const PONG = new TextEncoder().encode("Pong")

/**
 * A scripted peer listening at `host:8108` on `memory` until the scope
 * closes; it speaks protocol 10 (accepting 9 to 11) on the test network.
 */
export const scriptedPeer = (memory: MemoryTransport.MemoryNetwork, host: string, options: ScriptedOptions = {}) =>
  Effect.gen(function* () {
    const admit = options.admit ?? "accept"
    const nodeId = ++nextNodeId
    const settings = {
      network: TEST_NETWORK,
      protocolVersion: 10,
      protocolVersionMinimum: 9,
      nodeId,
      listenPort: PORT
    } as const
    let open = 0
    const peer: ScriptedPeer = {
      host,
      endpoint: at(host),
      dials: [],
      received: [],
      open: () => open
    }
    yield* MemoryTransport.make(memory, host).listen({ host, port: Number(PORT) }, (connection) =>
      Effect.gen(function* () {
        peer.dials.push(yield* Clock.currentTimeMillis)
        options.log?.push(host)
        if (admit === "hangUp") return
        const settled = yield* RawPeer.incoming(connection, settings, BigInt(nodeId), undefined, () =>
          Effect.succeed(admit === "accept" ? undefined : admit.reject)
        ).pipe(Effect.option)
        if (settled._tag === "None") return
        open++
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            open--
          })
        )
        if (options.reads === false) return yield* Effect.never
        const protocol = settled.value.protocol
        for (;;) {
          for (;;) {
            const r = protocol.decodeParcel()
            if (r._tag !== "Value") break
            peer.received.push({ at: yield* Clock.currentTimeMillis, parcel: r.value })
            if (r.value.type === ParcelType.Ping && options.pongs !== false) {
              yield* connection.write(protocol.encodeParcels([Parcel.ofType(ParcelType.Pong, PONG)]))
            }
          }
          for (const chunk of yield* connection.read) protocol.push(chunk)
        }
      }).pipe(Effect.ignore)
    )
    return peer
  })

/** `n` scripted peers at hosts `hostOf(first)`, `hostOf(first + 1)`, … */
export const scriptedPeers = (
  memory: MemoryTransport.MemoryNetwork,
  first: number,
  n: number,
  options: ScriptedOptions = {}
) =>
  Effect.forEach(
    Array.from({ length: n }, (_, i) => hostOf(first + i)),
    (host) => scriptedPeer(memory, host, options)
  )

/** The number of Peer-Requests a scripted peer received. */
export const peerRequests = (peer: ScriptedPeer): number =>
  peer.received.filter((r) => r.parcel.type === ParcelType.PeerRequest).length
