import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Config, NetworkId } from "@catp2p/p2p"
import { assert, it as effect } from "@effect/vitest"
import { Duration, Effect, Result } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import * as NodeOptions from "../src/NodeOptions.ts"
import * as Scripting from "../src/Scripting.ts"
import * as Status from "../src/Status.ts"
import { memoryNetwork, run } from "./support/InProcess.ts"

const dir = mkdtempSync(join(tmpdir(), "catp2p-node-test-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let files = 0
const file = (text: string) => {
  const path = join(dir, `config-${++files}.json`)
  writeFileSync(path, text)
  return { path, text }
}

const resolve = (inputs: Partial<NodeOptions.Inputs>) => NodeOptions.resolve({ flags: {}, env: {}, ...inputs })
const ok = (inputs: Partial<NodeOptions.Inputs>) => {
  const r = resolve(inputs)
  if (Result.isFailure(r)) throw new Error(r.failure.map(NodeOptions.render).join("\n"))
  return r.success
}
const problems = (inputs: Partial<NodeOptions.Inputs>) => {
  const r = resolve(inputs)
  if (Result.isSuccess(r)) throw new Error("expected a configuration error")
  return r.failure
}

describe("naming: flags and environment variables come from Config.fields", () => {
  it("splits camelCase field names into words", () => {
    expect(NodeOptions.flagName("targetPeers")).toBe("target-peers")
    expect(NodeOptions.envName("targetPeers")).toBe("CATP2P_TARGET_PEERS")
    expect(NodeOptions.flagName("peerIpLimitIncoming")).toBe("peer-ip-limit-incoming")
    expect(NodeOptions.envName("peerIpLimitIncoming")).toBe("CATP2P_PEER_IP_LIMIT_INCOMING")
    expect(NodeOptions.flagName("network")).toBe("network")
    expect(NodeOptions.envName("seedUrl")).toBe("CATP2P_SEED_URL")
  })

  it("has one flag per field, and distinct names", () => {
    expect(Object.keys(NodeOptions.flags)).toEqual(Config.fields.map((f) => f.name))
    const flags = new Set(Config.fields.map((f) => NodeOptions.flagName(f.name)))
    const envs = new Set(Config.fields.map((f) => NodeOptions.envName(f.name)))
    expect(flags.size).toBe(Config.fields.length)
    expect(envs.size).toBe(Config.fields.length)
    for (const name of ["config", "json", "chat", "quiet", "metrics", "trace-console", "otlp", "help", "version"])
      expect(flags.has(name)).toBe(false)
  })

  it("takes each flag and variable name from the field table", () => {
    for (const f of Config.fields) {
      expect(NodeOptions.flagName(f.name)).toBe(f.flag)
      expect(NodeOptions.envName(f.name)).toBe(f.env)
      expect(NodeOptions.fromEnv({ [f.env]: f.default })).toEqual({ [f.name]: f.default })
    }
  })

  it("reads only the CATP2P_* variables named after fields", () => {
    expect(NodeOptions.fromEnv({ CATP2P_FANOUT: "3", CATP2P_OTHER: "x", FANOUT: "4", HOME: "/" })).toEqual({
      fanout: "3"
    })
  })
})

describe("precedence: flag > env > file > default", () => {
  const cases: ReadonlyArray<{
    readonly field: NodeOptions.Field
    readonly file: unknown
    readonly env: string
    readonly flag: string
    readonly values: readonly [unknown, unknown, unknown, unknown]
  }> = [
    { field: "targetPeers", file: 20, env: "21", flag: "22", values: [32, 20, 21, 22] },
    {
      field: "roundTime",
      file: "1m",
      env: "2 minutes",
      flag: "180000",
      values: [Duration.minutes(15), Duration.minutes(1), Duration.minutes(2), Duration.minutes(3)]
    },
    { field: "peerResendFilter", file: false, env: "true", flag: "0", values: [true, false, true, false] },
    {
      field: "network",
      file: "TestNet",
      env: "custom:lab",
      flag: "0x00000007",
      values: [NetworkId.MainNet, NetworkId.TestNet, NetworkId.fromName("lab"), 7]
    },
    {
      field: "special",
      file: "10.0.0.1:8108",
      env: "10.0.0.2",
      flag: "10.0.0.3:1,10.0.0.4:2",
      values: ["", "10.0.0.1:8108", "10.0.0.2", "10.0.0.3:1,10.0.0.4:2"]
    }
  ]
  const shown = (field: NodeOptions.Field, value: unknown) =>
    field === "special" ? Config.formatSpecial(value as ReadonlyArray<Config.SpecialPeer>) : value

  for (const c of cases) {
    it(`${c.field}`, () => {
      const f = file(JSON.stringify({ [c.field]: c.file }))
      const env = { [NodeOptions.envName(c.field)]: c.env }
      const flags = { [c.field]: c.flag }
      const steps = [{}, { file: f }, { file: f, env }, { file: f, env, flags }] as const
      const origins = ["default", "file", "env", "flag"] as const
      steps.forEach((inputs, i) => {
        const { config, origin } = ok(inputs)
        expect(shown(c.field, config[c.field])).toEqual(c.values[i])
        expect(origin[c.field]).toBe(origins[i])
      })
    })
  }

  it("merges fields from every source, then sanitizes", () => {
    const { config, origin } = ok({
      file: file(JSON.stringify({ maxPeers: 50, dropTo: 45, nodeName: "from-file" })),
      env: { CATP2P_MAX_PEERS: "40" },
      flags: { fanout: "4" }
    })
    expect(config.maxPeers).toBe(40)
    expect(config.dropTo).toBe(40) // capped at maxPeers, as Config.make does
    expect(config.nodeName).toBe("from-file")
    expect(config.fanout).toBe(4)
    expect(origin).toMatchObject({
      maxPeers: "env",
      dropTo: "file",
      nodeName: "file",
      fanout: "flag",
      network: "default"
    })
  })
})

describe("configuration errors name the field and where its value came from", () => {
  it("bad values of each source, every one reported", () => {
    const errors = problems({
      file: file(JSON.stringify({ roundTime: "soon" })),
      env: { CATP2P_FANOUT: "many" },
      flags: { protocolVersion: "12" }
    })
    expect(errors.map((e) => [e.field, e.source, e.setting])).toEqual([
      ["roundTime", "file", `roundTime in ${join(dir, `config-${files}.json`)}`],
      ["fanout", "env", "CATP2P_FANOUT"],
      ["protocolVersion", "flag", "--protocol-version"]
    ])
    expect(NodeOptions.render(errors[1]!)).toBe('CATP2P_FANOUT (fanout): expected a non-negative integer, got "many"')
    expect(NodeOptions.render(errors[2]!)).toContain("--protocol-version (protocolVersion): must be 9, 10 or 11")
  })

  it("a bad file value is reported even when a flag overrides it", () => {
    const [e] = problems({ file: file('{"fanout": -1}'), flags: { fanout: "3" } })
    expect(e).toMatchObject({ field: "fanout", source: "file" })
  })

  it("a value breaking its field's own rule is reported with its source, even when a flag overrides it", () => {
    const [e] = problems({ file: file('{"fanout": 0}'), flags: { fanout: "3" } })
    expect(e).toMatchObject({ field: "fanout", source: "file", message: "must be at least 1, got 0" })
    expect(NodeOptions.render(problems({ flags: { bindIp: "localhost" } })[0]!)).toBe(
      '--bind-ip (bindIp): must be empty or an IP address, got "localhost"'
    )
  })

  it("unknown keys in the file, with a suggestion for Go's names", () => {
    const errors = problems({ file: file('{"TargetPeers": 3, "colour": "red"}') })
    expect(errors.map((e) => e.field).sort()).toEqual(["TargetPeers", "colour"])
    const go = errors.find((e) => e.field === "TargetPeers")!
    expect(go.message).toBe('is not a configuration setting (did you mean "targetPeers"?)')
  })

  it("a malformed or non-object file", () => {
    const [bad] = problems({ file: file('{"fanout": ') })
    expect(bad).toMatchObject({ field: "config", source: "file" })
    expect(bad!.message).toMatch(/^is not valid JSON/)
    const [array] = problems({ file: file("[1]") })
    expect(array!.message).toContain("one JSON object")
  })

  it("rules across fields name the field and its source", () => {
    const [e] = problems({ env: { CATP2P_TARGET_PEERS: "40" } })
    expect(NodeOptions.render(e!)).toBe("CATP2P_TARGET_PEERS (targetPeers): must not exceed maxPeers (36), got 40")
  })
})

// the command in this process (support/InProcess.ts): its exit status, stdout and stderr as the shell would see them
describe("catp2p node: configuration errors exit with status 2", () => {
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, Record<string, string>, ReadonlyArray<string>]> =
    [
      ["bad flag value", ["--target-peers", "lots"], {}, ["--target-peers", "targetPeers", "non-negative integer"]],
      ["bad env value", [], { CATP2P_ROUND_TIME: "-5" }, ["CATP2P_ROUND_TIME", "roundTime"]],
      ["bad file value", ["--config", file('{"protocolVersion": 8}').path], {}, ["protocolVersion", "9, 10 or 11"]],
      ["unknown file key", ["--config", file('{"fanOut": 3}').path], {}, ["fanOut", 'did you mean "fanout"']],
      ["malformed JSON file", ["--config", file("{fanout: 3}").path], {}, ["--config", "not valid JSON"]],
      ["missing file", ["--config", join(dir, "absent.json")], {}, ["--config", "cannot be read"]],
      ["cross-field rule", ["--drop-to", "5", "--max-peers", "4", "--target-peers", "5"], {}, ["targetPeers"]],
      ["--json with --chat", ["--json", "--chat"], {}, ["--json", "--chat"]],
      ["bad --metrics address", ["--metrics", "localhost"], {}, ["--metrics"]],
      // Go registers no instruments without EnablePrometheus: --metrics has nothing to serve
      [
        "--metrics with --enable-prometheus=false",
        ["--metrics", "127.0.0.1:0", "--enable-prometheus=false"],
        {},
        ["--metrics", "enablePrometheus"]
      ],
      [
        "--metrics with CATP2P_ENABLE_PROMETHEUS=false",
        ["--metrics", "127.0.0.1:0"],
        { CATP2P_ENABLE_PROMETHEUS: "false" },
        ["--metrics", "enablePrometheus"]
      ]
    ]
  for (const [name, args, env, expected] of cases) {
    effect.live(name, () =>
      Effect.gen(function* () {
        const r = yield* run(["node", ...args], { env })
        assert.strictEqual(r.status, 2, r.stderr)
        for (const text of expected) assert.include(r.stderr, text)
        assert.strictEqual(r.stdout, "")
      })
    )
  }

  effect.live("--json also reports the problem as an error event on stdout", () =>
    Effect.gen(function* () {
      const r = yield* run(["node", "--json", "--fanout", "0"])
      assert.strictEqual(r.status, 2)
      assert.lengthOf(r.events, 1)
      assert.deepInclude(r.events[0], { event: "error", reason: "ConfigError", field: "fanout" })
    })
  )

  effect.live("the process environment is where the variables come from", () =>
    Effect.gen(function* () {
      const r = yield* run(["node", "--json", "--listen-port", "0"], { env: { CATP2P_FANOUT: "0" } })
      assert.strictEqual(r.status, 2)
      assert.include(r.stderr, "CATP2P_FANOUT (fanout)")
    })
  )
})

describe("catp2p node --json: precedence and the end of stdin", () => {
  effect.live("flag > env > file > default, as the running node reports its configuration", () =>
    Effect.gen(function* () {
      const f = file(
        JSON.stringify({
          nodeId: 1,
          fanout: 5,
          roundTime: "1m",
          network: "TestNet",
          bindIp: "127.0.0.1",
          listenPort: 0
        })
      )
      const r = yield* run(["node", "--json", "--config", f.path, "--node-id", "3", "--special", "127.0.0.9"], {
        env: { CATP2P_NODE_ID: "2", CATP2P_FANOUT: "6", CATP2P_SPECIAL: "127.0.0.8:1" },
        transport: yield* memoryNetwork,
        stdin: ["config"] // then stdin ends: the node shuts down and exits 0
      })
      assert.strictEqual(r.status, 0, r.stderr)
      assert.deepStrictEqual(
        r.events.map((e) => e.event).filter((e) => e !== "peers"),
        ["ready", "config"]
      )
      const ready = r.events.find((e) => e.event === "ready")!
      assert.strictEqual(ready.nodeId, "00000003") // flag over env over file
      assert.isAbove(ready.port as number, 0)
      assert.strictEqual(ready.hash, `127.0.0.1:${ready.port} 00000003`)
      const { config } = r.events.find((e) => e.event === "config") as unknown as { config: Record<string, unknown> }
      assert.deepInclude(config, {
        nodeId: 3, // flag
        fanout: 6, // env over file
        roundTime: "1m", // file
        network: "TestNet", // file
        special: "127.0.0.9", // flag over env
        targetPeers: 32, // default
        peerResendFilter: true // default
      })
    })
  )
})

describe("the scripting commands", () => {
  const parse = (line: string) => Scripting.parseCommand(line)
  it("send: the target may contain a space, the payload is the last word", () => {
    const r = parse("send 127.0.0.1:8108 0a0b0c0d 68656c6c6f")
    expect(Result.isSuccess(r) && r.success).toEqual({
      _tag: "Send",
      target: "127.0.0.1:8108 0a0b0c0d",
      payload: new TextEncoder().encode("hello")
    })
    const b = parse("  send   broadcast   00ff ")
    expect(Result.isSuccess(b) && b.success).toEqual({
      _tag: "Send",
      target: "<BROADCAST>",
      payload: Uint8Array.of(0, 255)
    })
    expect(Result.isSuccess(parse("send full 01")) && parse("send full 01")).toBeTruthy()
  })

  it("blank lines are nothing, malformed lines are typed errors", () => {
    expect(parse("   ")).toEqual(Result.succeed(undefined))
    const reason = (line: string) => {
      const r = parse(line)
      return Result.isFailure(r) ? r.failure.reason : "ok"
    }
    expect(reason("dance")).toBe("UnknownCommand")
    expect(reason("send broadcast")).toBe("BadArguments")
    expect(reason("send nobody 00")).toBe("BadTarget")
    expect(reason("send broadcast 0")).toBe("BadPayload")
    expect(reason("send broadcast xyz1")).toBe("BadPayload")
    expect(reason("peers now")).toBe("BadArguments")
    expect(reason("quit")).toBe("ok")
  })
})

describe("the status line", () => {
  it("shows peers in/out, rates up/down, drops and the round", () => {
    const line = Status.line({
      incoming: 1,
      outgoing: 2,
      rounds: 4,
      info: { peers: 3, receiving: 30, sending: 2.5, download: 3400, upload: 999, dropped: 7 }
    })
    expect(line).toBe("peers 3 (in 1, out 2) | up 2.5 msg/s 999 B/s | down 30 msg/s 3.4 kB/s | drops 7 | round 4")
  })
})
