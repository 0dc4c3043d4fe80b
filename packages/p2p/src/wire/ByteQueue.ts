/**
 * An input buffer for length-prefixed framing: received chunks are kept as
 * they arrive (no copy), and a frame is assembled only once all of its bytes
 * are here, or moved into a frame buffer that its owner allocated once the
 * input budget granted it ({@link ByteQueue.moveTo}). Memory therefore
 * follows what a peer actually sent, never what a length prefix claims.
 *
 * @since 0.1.0
 * @module
 */

const EMPTY = new Uint8Array(0)

/**
 * @category models
 * @since 0.1.0
 */
export class ByteQueue {
  private chunks: Array<Uint8Array> = []
  private head = 0
  /** offset into chunks[head] */
  private offset = 0
  private size = 0

  /** Bytes received and not consumed yet. */
  get length(): number {
    return this.size
  }

  /** Appends a chunk. The caller must not modify it afterwards. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.size += chunk.length
  }

  /** The byte at `index` from the read position (index < length). */
  peek(index: number): number {
    let i = this.head
    let at = this.offset + index
    while (at >= this.chunks[i]!.length) {
      at -= this.chunks[i]!.length
      i++
    }
    return this.chunks[i]![at]!
  }

  /** A big-endian uint32 at `index` from the read position (index + 4 <= length). */
  peekUint32BE(index: number): number {
    const first = this.chunks[this.head]!
    const at = this.offset + index
    if (at + 4 <= first.length) {
      return ((first[at]! << 24) | (first[at + 1]! << 16) | (first[at + 2]! << 8) | first[at + 3]!) >>> 0
    }
    return (
      ((this.peek(index) << 24) | (this.peek(index + 1) << 16) | (this.peek(index + 2) << 8) | this.peek(index + 3)) >>>
      0
    )
  }

  /** Drops `n` bytes (n <= length). */
  skip(n: number): void {
    this.size -= n
    while (n > 0) {
      const chunk = this.chunks[this.head]!
      const left = chunk.length - this.offset
      if (n < left) {
        this.offset += n
        return
      }
      n -= left
      this.advanceChunk()
    }
  }

  /**
   * Removes and returns the next `n` bytes (n <= length) as one contiguous
   * array: a view into the received chunk when the bytes lie in one chunk,
   * else a single copy.
   */
  take(n: number): Uint8Array {
    if (n === 0) return EMPTY
    const first = this.chunks[this.head]!
    if (this.offset + n <= first.length) {
      const out = first.subarray(this.offset, this.offset + n)
      this.skip(n)
      return out
    }
    const out = new Uint8Array(n)
    let written = 0
    while (written < n) {
      const chunk = this.chunks[this.head]!
      const part = Math.min(chunk.length - this.offset, n - written)
      out.set(chunk.subarray(this.offset, this.offset + part), written)
      written += part
      this.offset += part
      if (this.offset === chunk.length) this.advanceChunk()
    }
    this.size -= n
    return out
  }

  /**
   * Removes the next `n` bytes (n <= length), copying them into `out` at
   * `at`: the chunks they came from are released as they are consumed.
   */
  moveTo(out: Uint8Array, at: number, n: number): void {
    this.size -= n
    while (n > 0) {
      const chunk = this.chunks[this.head]!
      const part = Math.min(chunk.length - this.offset, n)
      out.set(chunk.subarray(this.offset, this.offset + part), at)
      at += part
      n -= part
      this.offset += part
      if (this.offset === chunk.length) this.advanceChunk()
    }
  }

  /** Removes and returns everything buffered, as chunks. */
  drain(): Array<Uint8Array> {
    const out: Array<Uint8Array> = []
    for (let i = this.head; i < this.chunks.length; i++) {
      const c = this.chunks[i]!
      out.push(i === this.head ? c.subarray(this.offset) : c)
    }
    this.chunks = []
    this.head = 0
    this.offset = 0
    this.size = 0
    return out
  }

  private advanceChunk(): void {
    this.chunks[this.head] = EMPTY // release the consumed chunk now
    this.head++
    this.offset = 0
    if (this.head === this.chunks.length) {
      this.chunks = []
      this.head = 0
    } else if (this.head > 64) {
      this.chunks = this.chunks.slice(this.head)
      this.head = 0
    }
  }
}
