/**
 * Runs grow-from-seeds jobs off the page's thread: a 256×256×200 competition takes seconds, and the
 * viewer must keep drawing (and the user scrolling) meanwhile. The page runs two of these for a big
 * box, each on one slab of it (protocol.ts); each keeps its slab between a job's messages.
 */
import { createGrowWorkerHandler, type GrowMessage, type GrowReply } from './protocol'

interface WorkerScope {
  onmessage: ((event: MessageEvent<GrowMessage>) => void) | null
  postMessage(message: GrowReply, transfer: Transferable[]): void
}
const scope = self as unknown as WorkerScope
const handle = createGrowWorkerHandler()

scope.onmessage = (event: MessageEvent<GrowMessage>): void => {
  const { reply, transfer } = handle(event.data)
  scope.postMessage(reply, transfer)
}
