import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// Tier boundaries (docs/ARCHITECTURE.md): shared imports nothing outside itself, the renderer
// reaches the rest of the app only through its bridge, and nobody but main and preload touches electron.
const noElectron = { name: 'electron', message: 'Only src/main/electron and src/preload may import electron.' }

// The Node tier (src/node: file formats, durable writes) is shared by main and the engine, which
// never import each other: main reaches the engine only through its client (src/main/engine, a
// message channel), so the engine can run as its own process. Import paths are resolved against
// the importing file, since a relative specifier alone cannot tell src/main/engine from src/engine.
const TIER_IMPORTS = {
  shared: ['shared'],
  node: ['shared', 'node'],
  engine: ['shared', 'node', 'engine'],
  main: ['shared', 'node', 'main'],
  preload: ['shared', 'preload'],
  renderer: ['shared', 'renderer']
}
const srcRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), 'src')
const tierOf = (file) => {
  const relative = path.relative(srcRoot, file)
  if (relative.startsWith('..') || path.isAbsolute(relative)) return null
  const tier = relative.split(path.sep)[0]
  return tier in TIER_IMPORTS ? tier : null
}
const tierBoundaries = {
  meta: { type: 'problem', schema: [], messages: { crossed: 'src/{{from}} may not import src/{{to}} (allowed: {{allowed}}); see docs/ARCHITECTURE.md' } },
  create(context) {
    const from = tierOf(context.filename)
    if (!from) return {}
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return
      const to = tierOf(path.resolve(path.dirname(context.filename), source))
      if (to && !TIER_IMPORTS[from].includes(to)) context.report({ node, messageId: 'crossed', data: { from, to, allowed: TIER_IMPORTS[from].join(', ') } })
    }
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value)
    }
  }
}

export default tseslint.config(
  {
    ignores: ['out/**', 'dist/**', 'node_modules/**', 'bench/results/**', 'test-results/**', 'playwright-report/**', 'test/e2e/.artifacts/**', 'scratch/**', '**/scratch/**']
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: { parser: tseslint.parser, sourceType: 'module', extraFileExtensions: ['.vue'] }
    }
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'no-console': 'off'
    }
  },
  {
    files: ['src/**/*.{ts,vue}'],
    plugins: { voxloop: { rules: { 'tier-boundaries': tierBoundaries } } },
    rules: { 'voxloop/tier-boundaries': 'error' }
  },
  {
    // TypeScript checks names itself (and knows the DOM and Node globals); ESLint's rule does not.
    files: ['**/*.ts', '**/*.vue'],
    rules: { 'no-undef': 'off' }
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/main/**', '**/engine/**', '**/renderer/**', '**/preload/**'], message: 'src/shared imports nothing outside itself.' }
      ], paths: [noElectron, { name: 'fs', message: 'src/shared is pure.' }, { name: 'node:fs', message: 'src/shared is pure.' }] }]
    }
  },
  {
    files: ['src/renderer/**/*.{ts,vue}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/main/**', '**/engine/**', '**/preload/**'], message: 'The renderer reaches main only through bridge/.' }
      ], paths: [noElectron] }]
    }
  },
  {
    files: ['src/engine/**/*.ts', 'src/main/services/**/*.ts', 'src/main/serve/**/*.ts', 'src/main/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron] }] }
  },
  {
    files: ['**/*.cjs', 'bin/**', 'bench/**/*.mjs', '.ci/**', 'scripts/**'],
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  }
)
