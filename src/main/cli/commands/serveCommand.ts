import type { VoxloopApp } from '../../app/VoxloopApp'
import { runtimePaths } from '../../runtimePaths'
import { startServeServer } from '../../serve/ServeServer'

/** `voxloop serve [--port N]`: the app in a browser, on 127.0.0.1 only, until Ctrl+C. */
export async function serveCommand(app: VoxloopApp, port: number): Promise<void> {
  const server = await startServeServer({
    handlers: app.handlers,
    events: app.events,
    rendererDir: runtimePaths.rendererDir,
    port
  })
  process.stdout.write(`Voxloop is serving at ${server.url}\n`)
  process.stdout.write(
    'Open that URL in a browser on this machine: the token after # is the key (browsers never send that part to any server). Ctrl+C stops.\n'
  )
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      void server.close().then(resolve)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
