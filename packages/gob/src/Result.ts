/**
 * The outcome of a decode step.
 *
 * @since 0.1.0
 */
import type { GobError } from "./GobError.ts"

/**
 * A decoded value.
 *
 * @category decoding
 * @since 0.1.0
 */
export interface DecodeValue<A> {
  readonly _tag: "Value"
  readonly value: A
}

/**
 * The next value message has not fully arrived yet: push more bytes and call again.
 *
 * @category decoding
 * @since 0.1.0
 */
export interface DecodeNeedMore {
  readonly _tag: "NeedMore"
}

/**
 * Decoding failed; the stream is desynchronised and the decoder stays failed.
 *
 * @category decoding
 * @since 0.1.0
 */
export interface DecodeFailure {
  readonly _tag: "Failure"
  readonly error: GobError
}

/**
 * Result of {@link Decoder.decode}.
 *
 * @category decoding
 * @since 0.1.0
 */
export type DecodeResult<A> = DecodeValue<A> | DecodeNeedMore | DecodeFailure

/**
 * The shared `NeedMore` result.
 *
 * @internal
 */
export const needMore: DecodeNeedMore = Object.freeze({ _tag: "NeedMore" as const })
