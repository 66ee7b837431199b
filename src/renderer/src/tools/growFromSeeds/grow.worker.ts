/**
 * Runs grow-from-seeds jobs off the page's thread: a 256×256×200 competition takes seconds, and the
 * viewer must keep drawing (and the user scrolling) meanwhile.
 */
import { runGrowJob, type GrowJob, type GrowReply } from './protocol'

interface WorkerScope {
  onmessage: ((event: MessageEvent<GrowJob>) => void) | null
  postMessage(message: GrowReply, transfer: Transferable[]): void
}
const scope = self as unknown as WorkerScope

scope.onmessage = (event: MessageEvent<GrowJob>): void => {
  const { reply, transfer } = runGrowJob(event.data)
  scope.postMessage(reply, transfer)
}
