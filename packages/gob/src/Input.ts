/**
 * The decoder's input: a queue of pushed chunks, consumed from the front.
 *
 * @internal
 */
import type { Reader } from "./Wire.ts"

/** @internal */
export class Input {
  #chunks: Array<Uint8Array | undefined> = []
  #head = 0
  #off = 0
  #size = 0

  /** Bytes pushed and not consumed. */
  get size(): number {
    return this.#size
  }

  /** Queues a chunk (by reference). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#size += chunk.length
  }

  /** The byte at logical offset `i` (`i < size`). Walks chunks: for short peeks only. */
  peek(i: number): number {
    let idx = this.#head
    let at = this.#off + i
    for (;;) {
      const c = this.#chunks[idx]!
      if (at < c.length) return c[at]!
      at -= c.length
      idx++
    }
  }

  /** Drops `n` bytes (`n <= size`). */
  skip(n: number): void {
    this.#size -= n
    let off = this.#off + n
    const chunks = this.#chunks
    let head = this.#head
    while (head < chunks.length) {
      const len = chunks[head]!.length
      if (off < len) break
      off -= len
      chunks[head] = undefined
      head++
    }
    this.#off = off
    this.#head = head
    if (head === chunks.length) {
      this.#chunks = []
      this.#head = 0
      this.#off = 0
    } else if (head > 64 && head * 2 > chunks.length) {
      this.#chunks = chunks.slice(head)
      this.#head = 0
    }
  }

  /**
   * Consumes the next `n` bytes (`0 < n <= size`) as one message and points
   * the reader at them: directly into the head chunk when the message lies
   * within it (`owned` false), else in a freshly assembled buffer (`owned` true).
   */
  take(n: number, r: Reader): void {
    const first = this.#chunks[this.#head]!
    const off = this.#off
    if (first.length - off >= n) {
      r.reset(first, off, off + n, false)
      this.skip(n)
      return
    }
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const c = this.#chunks[this.#head]!
      const from = this.#off
      const k = Math.min(c.length - from, n - filled)
      out.set(c.subarray(from, from + k), filled)
      filled += k
      this.skip(k)
    }
    r.reset(out, 0, n, true)
  }

  /** Drops everything. */
  clear(): void {
    this.#chunks = []
    this.#head = 0
    this.#off = 0
    this.#size = 0
  }
}
