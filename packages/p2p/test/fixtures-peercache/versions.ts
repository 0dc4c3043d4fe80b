/** The peer files the crash test's writer saves: version `v` is fully determined by `v`. */
import * as Endpoint from "../../src/Endpoint.ts"
import type { PeerFile } from "../../src/internal/cat/PeerCache.ts"

/** Peers in each version (large enough that one write takes a moment). */
export const PEERS = 2000

/** A ban end far in the future (2099-01-02T03:04:05.123Z), so no ban expires. */
export const BAN_UNTIL = Date.UTC(2099, 0, 2, 3, 4, 5, 123)

/** Version `v` of the peer file: `v` is in the ports of the first two peers, the size varies with it. */
export const versionFile = (v: number): PeerFile => {
  const peers = [
    Endpoint.unsafeMake("10.255.255.1", String((v % 60000) + 1)),
    Endpoint.unsafeMake("10.255.255.2", String(Math.floor(v / 60000) + 1))
  ]
  const count = PEERS - 2 + (v % 97)
  for (let i = 0; i < count; i++) {
    peers.push(Endpoint.unsafeMake(`10.${(i >> 8) & 255}.${i & 255}.${v % 251}`, String(1 + ((i * 7919 + v) % 65535))))
  }
  const bans = new Map<string, number>([
    ["1.2.3.4", BAN_UNTIL],
    [`192.168.${v % 256}.1:8108`, BAN_UNTIL + v]
  ])
  return { bans, peers }
}

/** The version a decoded file says it is (from its first two peers). */
export const versionOf = (file: PeerFile): number =>
  Number(file.peers[0]?.port ?? Number.NaN) - 1 + (Number(file.peers[1]?.port ?? Number.NaN) - 1) * 60000
