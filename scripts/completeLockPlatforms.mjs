#!/usr/bin/env node
// npm 11's `npm ci` wants a lock entry for every package in a dependency's optionalDependencies,
// but `npm install` only writes the entries it could resolve, and the registry mirror reachable
// here does not carry rollup's native builds for other platforms (npm/cli#4828 is the same bug
// elsewhere). npm never downloads an optional package for another platform, so an entry with
// the version and the platform fields is all `npm ci` needs. Run after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs'

const PLATFORM = {
  android: { os: 'android' },
  darwin: { os: 'darwin' },
  freebsd: { os: 'freebsd' },
  linux: { os: 'linux' },
  openbsd: { os: 'openbsd' },
  openharmony: { os: 'openharmony' },
  win32: { os: 'win32' }
}
const CPU = { 'arm-eabi': 'arm', 'arm-gnueabihf': 'arm', 'arm-musleabihf': 'arm', arm64: 'arm64', x64: 'x64', ia32: 'ia32', loong64: 'loong64', ppc64: 'ppc64', riscv64: 'riscv64', s390x: 's390x' }

function platformOf(name) {
  // e.g. @rollup/rollup-linux-arm64-musl → os linux, cpu arm64, libc musl
  const parts = name.replace(/^@rollup\/rollup-/, '').split('-')
  const os = PLATFORM[parts[0]]?.os
  const rest = parts.slice(1)
  const libcTag = rest.at(-1)
  const libc = libcTag === 'musl' || libcTag === 'musleabihf' ? 'musl' : libcTag === 'gnu' || libcTag === 'gnueabihf' ? 'glibc' : null
  const cpuKey = rest.join('-') in CPU ? rest.join('-') : rest[0]
  const cpu = CPU[cpuKey]
  if (!os || !cpu) throw new Error(`cannot tell the platform of ${name}`)
  return { os, cpu, libc: os === 'linux' ? libc : null }
}

const lockPath = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
let added = 0
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!path.endsWith('node_modules/rollup') || !entry.optionalDependencies) continue
  for (const [name, version] of Object.entries(entry.optionalDependencies)) {
    const key = `node_modules/${name}`
    if (lock.packages[key] || !name.startsWith('@rollup/rollup-')) continue
    const { os, cpu, libc } = platformOf(name)
    lock.packages[key] = { version, cpu: [cpu], dev: entry.dev === true, ...(libc ? { libc: [libc] } : {}), license: 'MIT', optional: true, os: [os] }
    added++
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))))
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`completeLockPlatforms: added ${added} lock entries`)
