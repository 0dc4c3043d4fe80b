/**
 * The public API's documentation, checked from the sources (TypeDoc does not
 * type-check examples, and `npm run docs` is too slow for every test run):
 * every public module has an overview, every export has `@since` and
 * `@category`, the entry points have an example, and every ```ts example
 * (in the public modules' JSDoc and on the API docs' entry page) type-checks
 * against the packages as an application imports them.
 */
import { readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))

/** The public entries, as TypeDoc documents them (typedoc.json). */
const entries = {
  "@catp2p/p2p": "packages/p2p/src/index.ts",
  "@catp2p/p2p/testing": "packages/p2p/src/testing/index.ts",
  "@catp2p/gob": "packages/gob/src/index.ts"
} as const

/** The modules an application starts from: each shows an example. */
const entryPoints = [
  "@catp2p/p2p",
  "@catp2p/p2p.Network",
  "@catp2p/p2p.P2PLayer",
  "@catp2p/p2p.Config",
  "@catp2p/p2p.Gossip",
  "@catp2p/p2p.Transport",
  "@catp2p/p2p.TcpTransport",
  "@catp2p/p2p.Wire",
  "@catp2p/p2p/testing",
  "@catp2p/p2p/testing.MemoryTransport",
  "@catp2p/p2p/testing.Simulation",
  "@catp2p/gob"
]

interface Module {
  readonly name: string
  readonly file: ts.SourceFile
}

interface Export {
  readonly name: string
  readonly declaration: ts.Declaration
}

const compilerOptions = (): ts.CompilerOptions => {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, "tsconfig.check.json"), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"))
    }
  })
  if (parsed === undefined) throw new Error("tsconfig.check.json not found")
  // an example may leave a value unused (`const program = ...`)
  return { ...parsed.options, noUnusedLocals: false, noUnusedParameters: false }
}

/** The leading comment of a file, if it is a JSDoc block. */
const fileComment = (file: ts.SourceFile): string | undefined => {
  const text = file.getFullText()
  const range = ts.getLeadingCommentRanges(text, 0)?.[0]
  const comment = range === undefined ? undefined : text.slice(range.pos, range.end)
  return comment?.startsWith("/**") ? comment : undefined
}

/** The ```ts blocks of every JSDoc comment of a source text. */
const examplesOf = (text: string): ReadonlyArray<string> => {
  const blocks: Array<string> = []
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const lines = comment[0].split("\n").map((line) => line.replace(/^\s*\/?\*+\/?\s?/, "").replace(/\s*\*\/$/, ""))
    const body = lines.join("\n")
    for (const block of body.matchAll(/```ts\n([\s\S]*?)```/g)) blocks.push(block[1] ?? "")
  }
  return blocks
}

let program: ts.Program
let checker: ts.TypeChecker
const modules: Array<Module> = []
const exported: Array<Export> = []
const examples = new Map<string, string>()

const collect = (name: string, symbol: ts.Symbol): void => {
  const declaration = symbol.declarations?.[0]
  if (declaration === undefined || !ts.isSourceFile(declaration)) return
  modules.push({ name, file: declaration })
  for (const member of checker.getExportsOfModule(symbol)) {
    const target = member.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(member) : member
    const first = target.declarations?.[0]
    if (first !== undefined && ts.isSourceFile(first)) {
      collect(`${name}.${member.name}`, target)
      continue
    }
    // each declaration of a merged name (a Schema and its type), the first of overloads
    const seen = new Set<ts.SyntaxKind>()
    for (const declaration of target.declarations ?? []) {
      if (ts.isFunctionDeclaration(declaration) && seen.has(declaration.kind)) continue
      seen.add(declaration.kind)
      exported.push({ name: `${name}.${member.name}`, declaration })
    }
  }
}

beforeAll(() => {
  const options = compilerOptions()
  // the examples as files of their own, beside the tests, importing the packages by name
  const sources = new Map<string, string>()
  const add = (label: string, text: string) => {
    examplesOf(text).forEach((code, i) => {
      const file = path.join(root, "test", "docs-examples", `${label.replaceAll(/[/@.]/g, "_")}_${i}.ts`)
      sources.set(file, `${code}\nexport {}\n`)
      examples.set(file, `${label} #${i + 1}`)
    })
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (file, language, onError, create) => {
    const text = sources.get(path.resolve(file))
    return text !== undefined ? ts.createSourceFile(file, text, language, true) : getSourceFile(file, language, onError, create)
  }
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (file) => sources.has(path.resolve(file)) || fileExists(file)
  const readFile = host.readFile.bind(host)
  host.readFile = (file) => sources.get(path.resolve(file)) ?? readFile(file)

  const entryFiles = Object.values(entries).map((file) => path.join(root, file))
  const first = ts.createProgram(entryFiles, options, host)
  checker = first.getTypeChecker()
  for (const [name, file] of Object.entries(entries)) {
    const source = first.getSourceFile(path.join(root, file))
    const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source)
    if (symbol === undefined) throw new Error(`no module symbol for ${file}`)
    collect(name, symbol)
  }
  for (const module of modules) add(module.name, module.file.getFullText())
  add("docs/API.md", `/**\n${readFileSync(path.join(root, "docs", "API.md"), "utf8")}\n*/`)
  // the READMEs' examples too: what a newcomer copies first must compile
  for (const readme of ["README.md", "packages/p2p/README.md", "packages/gob/README.md", "packages/cli/README.md"]) {
    add(readme, `/**\n${readFileSync(path.join(root, readme), "utf8")}\n*/`)
  }
  program = ts.createProgram([...entryFiles, ...sources.keys()], options, host, first)
}, 120_000)

describe("API docs", () => {
  it("finds the public modules and their exports", () => {
    const names = modules.map((m) => m.name)
    expect(names).toEqual(expect.arrayContaining(["@catp2p/p2p.Network", "@catp2p/p2p.Wire.V11", "@catp2p/p2p/testing.MemoryTransport", "@catp2p/gob"]))
    expect(exported.length).toBeGreaterThan(250)
    expect(modules.every((m) => !m.file.fileName.includes(`${path.sep}internal${path.sep}`))).toBe(true)
  })

  it("gives every public module an overview TypeDoc shows (@module) with @since", () => {
    const missing = modules.flatMap((m) => {
      const comment = fileComment(m.file)
      const text = comment?.replace(/^\s*\/?\*+\/?/gm, "").split(/\n\s*@\w/)[0]?.trim() ?? ""
      return comment === undefined || text.length < 20 || !/@module\b/.test(comment) || !/@since \d/.test(comment)
        ? [`${m.name} (${path.relative(root, m.file.fileName)})`]
        : []
    })
    expect(missing).toEqual([])
  })

  it("names the packages' entry modules by package", () => {
    for (const [name, file] of Object.entries(entries)) {
      const module = modules.find((m) => m.file.fileName === path.join(root, file))
      expect(fileComment(module!.file)).toMatch(new RegExp(`@module ${name.replace("/", "\\/")}\\s`))
    }
  })

  it("tags every export of the public modules with @since and @category", () => {
    const missing = exported.flatMap(({ declaration, name }) => {
      const tags = new Set(ts.getJSDocTags(declaration).map((tag) => tag.tagName.text))
      const lacking = ["since", "category"].filter((tag) => !tags.has(tag))
      const file = declaration.getSourceFile()
      const line = file.getLineAndCharacterOfPosition(declaration.getStart()).line + 1
      return lacking.length > 0 ? [`${name} (${path.relative(root, file.fileName)}:${line}): ${lacking.join(", ")}`] : []
    })
    expect(missing).toEqual([])
  })

  it("shows an example on every entry point", () => {
    const lacking = entryPoints.filter((name) => {
      const module = modules.find((m) => m.name === name)
      return module === undefined || !/```ts\n/.test(fileComment(module.file) ?? "")
    })
    expect(lacking).toEqual([])
  })

  it("type-checks every example as an application would write it", () => {
    expect(examples.size).toBeGreaterThanOrEqual(entryPoints.length)
    const errors = [...examples].flatMap(([file, label]) => {
      const source = program.getSourceFile(file)
      if (source === undefined) return [`${label}: not compiled`]
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
        const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line + 1
        return `${label}, line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
      })
    })
    expect(errors).toEqual([])
  })
})
