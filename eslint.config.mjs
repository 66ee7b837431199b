import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'

// Tier boundaries (docs/ARCHITECTURE.md): shared imports nothing outside itself, the renderer
// reaches the rest of the app only through its bridge, and nobody but main and preload touches electron.
const noElectron = { name: 'electron', message: 'Only src/main/electron and src/preload may import electron.' }

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
