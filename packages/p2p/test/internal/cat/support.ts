/** Helpers for the unit tests of the CAT modules (Seeds, PeerCache). */
import { Result } from "effect"
import * as Config from "../../../src/Config.ts"
import { NodeConfig } from "../../../src/internal/node/NodeConfig.ts"

/** A `NodeConfig` layer from the defaults with `overrides`. */
export const nodeConfig = (overrides: Partial<Config.Config>) =>
  NodeConfig.layer(Result.getOrThrow(Config.make(overrides)))
