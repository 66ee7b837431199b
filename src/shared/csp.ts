/**
 * The renderer's Content-Security-Policy. No remote content at all: everything comes from the app
 * itself. `connectSources` adds the serve-mode WebSocket origin; dev adds what Vite's HMR needs.
 */
export function contentSecurityPolicy(options: { dev?: boolean; connectSources?: string[]; meta?: boolean } = {}): string {
  const connect = ["'self'", ...(options.connectSources ?? [])]
  if (options.dev) connect.push('ws:', 'http://localhost:*', 'http://127.0.0.1:*')
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': ["'self'", ...(options.dev ? ["'unsafe-inline'"] : [])],
    // Vue's style bindings go through CSSOM, which CSP allows; only dev injects <style> tags.
    'style-src': ["'self'", ...(options.dev ? ["'unsafe-inline'"] : [])],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'"],
    'connect-src': connect,
    'worker-src': ["'self'", 'blob:'],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
    'frame-src': ["'none'"]
  }
  // Browsers ignore (and warn about) frame-ancestors in a <meta> policy; headers carry it.
  if (options.meta) delete directives['frame-ancestors']
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ')
}
