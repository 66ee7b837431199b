/**
 * `npm run bench [-- <name>...]`: runs every bench in bench/benches (or the named ones), prints a
 * table and writes bench/results/<name>.json. Benchmarks never decide pass/fail of `npm test`.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import os from 'node:os'
import { type Bench, formatReport, withRatios } from './report'

const benchDir = join(__dirname, 'benches')
const resultsDir = join(__dirname, 'results')

async function loadBenches(): Promise<Bench[]> {
  const files = readdirSync(benchDir).filter((f) => f.endsWith('.bench.ts')).sort()
  const benches: Bench[] = []
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(benchDir, file)).href)) as { default?: Bench; bench?: Bench }
    const bench = mod.bench ?? mod.default
    if (bench) benches.push(bench)
  }
  return benches
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
  const all = await loadBenches()
  const chosen = wanted.length ? all.filter((b) => wanted.includes(b.name)) : all
  if (wanted.length && chosen.length !== wanted.length) {
    const known = all.map((b) => b.name).join(', ')
    console.error(`Unknown bench in ${wanted.join(', ')}. Known: ${known}`)
    process.exit(2)
  }
  mkdirSync(resultsDir, { recursive: true })
  for (const bench of chosen) {
    console.log(`\nrunning ${bench.name}: ${bench.description}`)
    const report = withRatios(await bench.run())
    report.environment = {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      date: new Date().toISOString(),
      ...report.environment
    }
    console.log(formatReport(report))
    writeFileSync(join(resultsDir, `${bench.name}.json`), JSON.stringify(report, null, 2))
  }
}

// Exit explicitly: the threaded wasm build's pthread pool holds a MessagePort that keeps Node alive.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
