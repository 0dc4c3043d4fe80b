/**
 * The services a node is made of, found from its public face. `P2PLayer`
 * gives applications a `Network` (and `Metrics`) only; the testing entry's
 * `Probe` and `Simulation` look the rest up here, by the node's `Network`,
 * so no internal service reaches an application's context.
 *
 * @since 0.1.0
 */
import type { Context } from "effect"
import type { Bans } from "./guard/Bans.ts"
import type { Guard } from "./guard/Guard.ts"
import type { Replenish } from "./cat/Replenish.ts"
import type { Round } from "./cat/Round.ts"
import type { Controller } from "./node/Controller.ts"
import type { Dialer } from "./node/Dialer.ts"
import type { Inbox } from "./node/Inbox.ts"
import type { NodeConfig } from "./node/NodeConfig.ts"
import type { PeerStore } from "./node/PeerStore.ts"
import type { Specials } from "./node/Specials.ts"
import type { NodeStats } from "./stats/NodeStats.ts"
import type { Network } from "../Network.ts"

/**
 * Every service of one node.
 *
 * @since 0.1.0
 */
export type NodeServices =
  | Network
  | Controller
  | PeerStore
  | Dialer
  | NodeConfig
  | Round
  | Replenish
  | Bans
  | Specials
  | Guard
  | Inbox
  | NodeStats

const byNetwork = new WeakMap<object, Context.Context<NodeServices>>()

/**
 * Records a node's services under its `Network` service.
 *
 * @since 0.1.0
 */
export const remember = (network: Network["Service"], context: Context.Context<NodeServices>): void => {
  byNetwork.set(network, context)
}

/**
 * The services of the node whose `Network` this is (`undefined` for a
 * `Network` that `P2PLayer` did not build).
 *
 * @since 0.1.0
 */
export const of = (network: Network["Service"]): Context.Context<NodeServices> | undefined => byNetwork.get(network)
