/// <reference types="vite/client" />
import type { PreloadApi } from '../../shared/contract'

declare global {
  interface Window {
    /** Present only in the desktop app (exposed by the preload); absent in serve mode. */
    api?: PreloadApi
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
