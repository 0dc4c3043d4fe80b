/**
 * Crash-test writer: saves versions `argv[3]`, +1, +2, … of a peer file to `argv[2]`
 * through the real `PeerCache.layer` on Node's file system, forever,
 * printing each version number after its save. The test SIGKILLs it.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Effect, Layer, Result } from "effect"
import * as Config from "../../src/Config.ts"
import { NodeConfig } from "../../src/internal/node/NodeConfig.ts"
import { PeerCache } from "../../src/internal/cat/PeerCache.ts"
import { versionFile } from "./versions.ts"

const [path, start = "0"] = process.argv.slice(2)
if (path === undefined) throw new Error("usage: writer.ts <peer file> [first version]")
const config = Result.getOrThrow(Config.make({ peerCacheFile: path }))

const program = Effect.gen(function* () {
  const cache = yield* PeerCache
  for (let v = Number(start); ; v++) {
    yield* cache.save(versionFile(v))
    process.stdout.write(`${v}\n`)
  }
}).pipe(Effect.provide(PeerCache.layer.pipe(Layer.provide([NodeConfig.layer(config), NodeFileSystem.layer]))))

Effect.runFork(program)
