/**
 * `catp2p node --chat`: each line typed on stdin is broadcast as an
 * application parcel (`Parcel.Broadcast`: `fanout` random peers and every
 * special peer; there is no re-broadcast), and every application parcel
 * received is printed as `<sender peer hash> text`.
 *
 * @since 0.1.0
 */
import { type Network, Parcel } from "@catp2p/p2p"
import { Effect, Stream } from "effect"

/**
 * What a chat session needs: the node, the typed lines, and where to print.
 *
 * @since 0.1.0
 */
export interface ChatOptions {
  readonly network: Network.NetworkService
  readonly lines: Stream.Stream<string>
  readonly print: (line: string) => Effect.Effect<void>
}

const decoder = new TextDecoder()
const encoder = new TextEncoder()

/**
 * A received payload as one printable line: UTF-8 (invalid bytes replaced),
 * control characters shown as `?` so a peer cannot drive the terminal.
 *
 * @since 0.1.0
 */
export const printable = (payload: Uint8Array): string => decoder.decode(payload).replace(/\p{Cc}/gu, "?")

/**
 * How a received parcel is printed: `<sender peer hash> text`.
 *
 * @since 0.1.0
 */
export const format = (parcel: Parcel.Parcel): string => `<${parcel.address}> ${printable(parcel.payload)}`

/**
 * Runs a chat session until the lines end (Ctrl-D).
 *
 * @since 0.1.0
 */
export const session = Effect.fnUntraced(function* (options: ChatOptions) {
  const { network, print } = options
  yield* Stream.runForEach(network.messages, (parcel) => print(format(parcel))).pipe(Effect.forkScoped)
  yield* Stream.runForEach(options.lines, (line) => {
    const text = line.trim()
    if (text === "") return Effect.void
    return Effect.flatMap(network.send(Parcel.make(Parcel.Broadcast, encoder.encode(text))), (peers) =>
      peers === 0 ? print("(not sent: no peers connected)") : Effect.void
    ).pipe(Effect.catchTag("NodeClosed", () => print("(not sent: the node is stopping)")))
  })
})
