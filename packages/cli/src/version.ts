/**
 * The version of the `catp2p` command (kept equal to package.json by a test).
 *
 * @since 0.1.0
 */
export const version = "0.0.0"
