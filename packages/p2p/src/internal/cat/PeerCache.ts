/**
 * The peer file on disk or in memory (Go: `PeerCache` in
 * controller_persistence.go): saved every CAT round and read when the node
 * starts; its format is `PeerFile`.
 *
 * Where catp2p differs from Go: the file is written atomically (a temporary
 * file in the same directory, fsync, rename, fsync of the directory), so a
 * crash leaves the old or the new file, never a torn one (Go truncates and
 * writes in place).
 *
 * @since 0.1.0
 */
import { basename, dirname, join, resolve } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import {
  Clock,
  Context,
  Duration,
  Effect,
  Exit,
  FileSystem,
  Layer,
  Option,
  Random,
  Semaphore
} from "effect"
import { NodeConfig } from "../node/NodeConfig.ts"
import { type DecodedPeerFile, decode, encode, MAX_FILE_BYTES, PeerCacheError, type PeerFile } from "./PeerFile.ts"

export * from "./PeerFile.ts"

/**
 * A peer file read back, with its age: the time since it was saved
 * (modification time vs Clock; never negative).
 *
 * @since 0.1.0
 */
export interface Loaded {
  readonly file: PeerFile
  readonly age: Duration.Duration
}

/**
 * @since 0.1.0
 */
export interface PeerCacheService {
  /**
   * The saved peer file, expired bans left out. `None` when there is none
   * (no file, or `peerCacheFile` empty) and when it cannot be read or is
   * corrupt (logged as a warning): the node then starts without it.
   */
  readonly load: Effect.Effect<Option.Option<Loaded>>
  /** Saves atomically (expired bans left out); a no-op when `peerCacheFile` is empty. */
  readonly save: (file: PeerFile) => Effect.Effect<void, PeerCacheError>
}

/**
 * An in-memory peer file: the text last saved and the Clock time of that
 * save. Share one between node restarts to keep the peers and bans.
 *
 * @since 0.1.0
 */
export class MemoryStore {
  /** The last save, if any. */
  saved: { readonly text: string; readonly savedAt: number } | undefined = undefined
}

const skippedWarning = (file: DecodedPeerFile): Effect.Effect<void> => {
  const { invalidPeers, invalidBans, overCap, expiredBans } = file.skipped
  const log =
    invalidPeers + invalidBans + overCap > 0
      ? Effect.logWarning(
          `peer file: skipped ${invalidPeers} invalid peers, ${invalidBans} invalid bans, ${overCap} entries over the cap`
        )
      : Effect.void
  return Effect.andThen(
    log,
    Effect.logDebug(`peer file: ${file.peers.length} peers, ${file.bans.size} bans (${expiredBans} expired)`)
  )
}

/** Decodes `text` at `now`, logs what was skipped, and fails with a `PeerCacheError` if corrupt. */
const decodeLogged = (text: string, path: string) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const file = yield* Effect.fromResult(decode(text, { now, path }))
    yield* skippedWarning(file)
    return { file, now }
  })

const warnNone = (e: PeerCacheError) =>
  Effect.as(
    Effect.logWarning(`peer file not used (${e.reason}): ${e.message}`).pipe(
      Effect.annotateLogs({ path: e.path, reason: e.reason })
    ),
    Option.none<Loaded>()
  )

const ageOf = (now: number, savedAt: number): Duration.Duration => Duration.millis(Math.max(0, now - savedAt))

const memoryService = (store: MemoryStore): PeerCacheService => ({
  load: Effect.gen(function* () {
    const saved = store.saved
    if (saved === undefined) return Option.none()
    const { file, now } = yield* decodeLogged(saved.text, "memory")
    return Option.some({ file, age: ageOf(now, saved.savedAt) })
  }).pipe(Effect.catchTag("PeerCacheError", warnNone)),
  save: (file) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      store.saved = { text: encode(file, { now }), savedAt: now }
    })
})

const fileService = Effect.fnUntraced(function* (fs: FileSystem.FileSystem, path: string) {
  const lock = yield* Semaphore.make(1)
  const fail = (reason: PeerCacheError["reason"]) => (e: { readonly message: string }) =>
    new PeerCacheError({ path, reason, message: e.message })
  const isNotFound = (e: { readonly reason: { readonly _tag: string } }) => e.reason._tag === "NotFound"

  const read = Effect.gen(function* () {
    const info = yield* fs.stat(path)
    if (info.size > BigInt(MAX_FILE_BYTES)) {
      return yield* new PeerCacheError({ path, reason: "Corrupt", message: `larger than ${MAX_FILE_BYTES} bytes` })
    }
    const bytes = yield* fs.readFile(path)
    const { file, now } = yield* decodeLogged(new TextDecoder().decode(bytes), path)
    const savedAt = Option.match(info.mtime, { onNone: () => now, onSome: (d) => d.getTime() })
    return Option.some({ file, age: ageOf(now, savedAt) })
  })
  const load: Effect.Effect<Option.Option<Loaded>> = read.pipe(
    Effect.catchTag("PlatformError", (e) =>
      isNotFound(e) ? Effect.succeed(Option.none<Loaded>()) : Effect.fail(fail("Unreadable")(e))
    ),
    Effect.catchTag("PeerCacheError", warnNone),
    Effect.annotateLogs({ path })
  )

  // Go writes through a symlink (even a dangling one): replace the file it points to, not the link
  const linkTarget = (start: string) =>
    Effect.gen(function* () {
      let at = start
      for (let hop = 0; hop < 16; hop++) {
        const link = yield* Effect.option(fs.readLink(at))
        if (Option.isNone(link)) break
        at = resolve(dirname(at), link.value)
      }
      return at
    })

  const save = (file: PeerFile): Effect.Effect<void, PeerCacheError> =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const bytes = new TextEncoder().encode(encode(file, { now }))
      const target = yield* linkTarget(path)
      const dir = dirname(target)
      const suffix = (yield* Random.nextIntBetween(0, 0x7fffffff)).toString(36)
      const temp = join(dir, `.${basename(target)}.${process.pid}.${suffix}.tmp`)
      let created = false
      const write = Effect.scoped(
        Effect.gen(function* () {
          const handle = yield* fs.open(temp, { flag: "wx", mode: 0o644 })
          created = true
          yield* handle.writeAll(bytes)
          yield* handle.sync
        })
      )
      const syncDir = Effect.scoped(Effect.flatMap(fs.open(dir, { flag: "r" }), (d) => d.sync)).pipe(Effect.ignore)
      yield* Effect.andThen(write, fs.rename(temp, target)).pipe(
        Effect.onExit((exit) =>
          Exit.isSuccess(exit) || !created ? Effect.void : Effect.ignore(fs.remove(temp, { force: true }))
        ),
        Effect.mapError(fail("Unwritable"))
      )
      yield* syncDir
    }).pipe(lock.withPermits(1))

  return PeerCache.of({ load, save })
})

/**
 * @since 0.1.0
 */
export class PeerCache extends Context.Service<PeerCache, PeerCacheService>()("@catp2p/p2p/PeerCache") {
  /** The file `peerCacheFile` (none when empty), through `FileSystem`. */
  static readonly layer: Layer.Layer<PeerCache, never, NodeConfig | FileSystem.FileSystem> = Layer.effect(
    PeerCache,
    Effect.gen(function* () {
      const { config } = yield* NodeConfig
      const fs = yield* FileSystem.FileSystem
      if (config.peerCacheFile === "") {
        return PeerCache.of({ load: Effect.succeed(Option.none()), save: () => Effect.void })
      }
      return yield* fileService(fs, config.peerCacheFile)
    })
  )

  /** {@link PeerCache.layer} on Node's file system. */
  static readonly layerNode: Layer.Layer<PeerCache, never, NodeConfig> = Layer.provide(
    PeerCache.layer,
    NodeFileSystem.layer
  )

  /** A new, empty {@link MemoryStore}. */
  static readonly makeMemoryStore = (): MemoryStore => new MemoryStore()

  /** Keeps the peer file in `store` (ignores `peerCacheFile`); the same store across restarts keeps it. */
  static readonly layerMemoryStore = (store: MemoryStore): Layer.Layer<PeerCache> =>
    Layer.succeed(PeerCache, PeerCache.of(memoryService(store)))

  /** Keeps the peer file in a store of its own, new each time the layer is built. */
  static readonly layerMemory: Layer.Layer<PeerCache> = Layer.effect(
    PeerCache,
    Effect.sync(() => PeerCache.of(memoryService(new MemoryStore())))
  )
}

type Store = MemoryStore

/**
 * Type-only companion of the {@link PeerCache} class (erased at compile
 * time), so that `PeerCache.MemoryStore` names the store type.
 *
 * @since 0.1.0
 */
export declare namespace PeerCache {
  /** See {@link MemoryStore}. */
  export type MemoryStore = Store
}
