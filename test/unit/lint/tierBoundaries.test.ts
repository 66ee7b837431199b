import path from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

/**
 * The tier rule of eslint.config.mjs, run through ESLint itself on imaginary files: main and the
 * engine share the Node tier and never import each other (issue #14 item 5).
 */
const root = path.resolve(__dirname, '../../..')
const eslint = new ESLint({ cwd: root })

async function tierErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = value\n`, { filePath: path.join(root, file) })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'voxloop/tier-boundaries').map((m) => m.message)
}

describe('tier boundaries', () => {
  it('refuses the engine importing main, naming both tiers', async () => {
    expect(await tierErrors('src/engine/train/x.ts', "import { value } from '../../main/services/volumes/nifti'")).toEqual([
      'src/engine may not import src/main (allowed: shared, node, engine); see docs/ARCHITECTURE.md'
    ])
  })

  it('refuses main importing the engine directly, but allows its client in src/main/engine', async () => {
    expect(await tierErrors('src/main/services/training/x.ts', "import { value } from '../../../engine/model'")).toHaveLength(1)
    expect(await tierErrors('src/main/services/training/x.ts', "import { value } from '../../engine/EngineClient'")).toEqual([])
    expect(await tierErrors('src/main/app/x.ts', "export { value } from '../../engine/model'")).toHaveLength(1)
  })

  it('lets main and the engine import the Node tier, and keeps the Node tier off both', async () => {
    expect(await tierErrors('src/engine/train/x.ts', "import { value } from '../../node/storage/durableWrite'")).toEqual([])
    expect(await tierErrors('src/main/cli/x.ts', "import { value } from '../../node/storage/durableWrite'")).toEqual([])
    expect(await tierErrors('src/node/formats/x.ts', "import { value } from '../../main/cli'")).toHaveLength(1)
    expect(await tierErrors('src/node/formats/x.ts', "import { value } from '../../engine/model'")).toHaveLength(1)
  })

  it('checks dynamic imports too', async () => {
    expect(await tierErrors('src/engine/x.ts', "const value = await import('../main/cli')")).toHaveLength(1)
  })
})
