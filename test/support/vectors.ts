/**
 * Loads the Go-produced test vectors in `fixtures/vectors/` and tracks which
 * ones a test file used, so a file can assert that it skipped none.
 */
import { readFileSync } from "node:fs"

export interface Vector {
  readonly name: string
  readonly description: string
  readonly hex: string
  readonly fields: Record<string, unknown>
}

export const vectorsDir = new URL("../../fixtures/vectors/", import.meta.url)

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"))
export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")

export class VectorFile {
  readonly file: string
  readonly vectors: ReadonlyArray<Vector>
  private readonly used = new Set<string>()

  constructor(file: string) {
    this.file = file
    const json = JSON.parse(readFileSync(new URL(file, vectorsDir), "utf8")) as { vectors?: Array<Vector> }
    if (!Array.isArray(json.vectors) || json.vectors.length === 0) throw new Error(`${file} has no vectors`)
    this.vectors = json.vectors
  }

  /** The vector called `name`; marks it used. Throws if it is missing. */
  get(name: string): Vector {
    const v = this.vectors.find((x) => x.name === name)
    if (!v) throw new Error(`vector ${name} missing from ${this.file}`)
    this.used.add(name)
    return v
  }

  /** Every vector whose name matches; marks them used. */
  matching(re: RegExp): ReadonlyArray<Vector> {
    const vs = this.vectors.filter((v) => re.test(v.name))
    for (const v of vs) this.used.add(v.name)
    return vs
  }

  /** Names of vectors no test has asked for. */
  unused(): ReadonlyArray<string> {
    return this.vectors.map((v) => v.name).filter((n) => !this.used.has(n))
  }
}
