/**
 * The result of pulling the next message out of an incremental decoder:
 * a value, a request for more bytes, or a typed failure (after which the
 * stream is unusable).
 *
 * @since 0.1.0
 * @module
 */

/**
 * @category models
 * @since 0.1.0
 */
export interface Value<A> {
  readonly _tag: "Value"
  readonly value: A
}

/**
 * @category models
 * @since 0.1.0
 */
export interface NeedMore {
  readonly _tag: "NeedMore"
}

/**
 * @category models
 * @since 0.1.0
 */
export interface Failure<E> {
  readonly _tag: "Failure"
  readonly error: E
}

/**
 * @category models
 * @since 0.1.0
 */
export type Decoded<A, E> = Value<A> | NeedMore | Failure<E>

/**
 * @category constructors
 * @since 0.1.0
 */
export const needMore: NeedMore = { _tag: "NeedMore" }

/**
 * @category constructors
 * @since 0.1.0
 */
export const value = <A>(value: A): Value<A> => ({ _tag: "Value", value })

/**
 * @category constructors
 * @since 0.1.0
 */
export const failure = <E>(error: E): Failure<E> => ({ _tag: "Failure", error })
