// electron-vite replaces import.meta.env.DEV in the main bundle at build time: true in what
// `electron-vite dev` builds, false in `electron-vite build` (and so in every installer).
interface ImportMetaEnv {
  readonly DEV: boolean
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
