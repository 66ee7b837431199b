/**
 * Runs a real serve-mode server (real app, engine from source) in a process of its own, for tests
 * that must see whether something kills the process: an error thrown out of a socket handler ends
 * this process, where inside the test runner's worker it would only be reported afterwards.
 *
 * Usage: node --import tsx serveProcess.ts <home dir> <renderer dir>. Prints one JSON line
 * `{ "port": …, "token": … }` once it listens; stops on SIGTERM.
 */
import { VoxloopApp } from '../../../../src/main/app/VoxloopApp'
import { forkEngine } from '../../../../src/main/engine/forkEngine'
import { startServeServer } from '../../../../src/main/serve/ServeServer'
import { engineSpecFromSource } from '../../../helpers/engineUnderTsx'

async function main(): Promise<void> {
  const [home, rendererDir] = process.argv.slice(2)
  if (!home || !rendererDir) throw new Error('usage: serveProcess.ts <home dir> <renderer dir>')
  const app = await VoxloopApp.create({
    appVersion: '0.0.0-test',
    appDataDir: home,
    host: { mode: 'serve' },
    engine: { launcher: forkEngine, spec: engineSpecFromSource() },
    backendOverride: 'cpu'
  })
  const server = await startServeServer({ handlers: app.handlers, events: app.events, rendererDir, port: 0 })
  process.stdout.write(`${JSON.stringify({ port: server.port, token: server.token })}\n`)
  process.once('SIGTERM', () => {
    void server
      .close()
      .then(() => app.dispose())
      .then(() => process.exit(0))
  })
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
