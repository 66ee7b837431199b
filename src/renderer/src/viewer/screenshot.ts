/**
 * Screenshots of the viewer: the views' WebGL canvases (drawn with preserveDrawingBuffer, so their
 * last frame can be read) composited at the screen's pixel size, with the HTML text over them
 * (orientation letters, slice captions) drawn in where it sits on screen. Without the letters a
 * saved slice would not say which side is the patient's right.
 */

/** The text elements a view lays over its canvas. */
const TEXT_SELECTOR = '.orientation-letter, .slice-label'

export function composeScreenshot(cells: readonly HTMLElement[]): HTMLCanvasElement {
  if (cells.length === 0) throw new Error('Nothing to capture: no view is shown')
  const rects = cells.map((cell) => cell.getBoundingClientRect())
  const left = Math.min(...rects.map((r) => r.left))
  const top = Math.min(...rects.map((r) => r.top))
  const right = Math.max(...rects.map((r) => r.right))
  const bottom = Math.max(...rects.map((r) => r.bottom))
  const scale = window.devicePixelRatio || 1
  const output = document.createElement('canvas')
  output.width = Math.round((right - left) * scale)
  output.height = Math.round((bottom - top) * scale)
  const context = output.getContext('2d')
  if (!context) throw new Error('This browser cannot draw a screenshot (no 2D canvas)')
  context.fillStyle = '#000'
  context.fillRect(0, 0, output.width, output.height)
  context.scale(scale, scale)
  cells.forEach((cell, n) => {
    const rect = rects[n] as DOMRect
    for (const canvas of cell.querySelectorAll('canvas')) {
      const box = canvas.getBoundingClientRect()
      if (box.width === 0 || box.height === 0) continue
      context.drawImage(canvas, box.left - left, box.top - top, box.width, box.height)
    }
    context.save()
    context.beginPath()
    context.rect(rect.left - left, rect.top - top, rect.width, rect.height)
    context.clip()
    for (const element of cell.querySelectorAll<HTMLElement>(TEXT_SELECTOR)) drawText(context, element, left, top)
    context.restore()
  })
  return output
}

/** An HTML text element drawn where it is, with its colour, font and backing. */
function drawText(context: CanvasRenderingContext2D, element: HTMLElement, left: number, top: number): void {
  const text = element.textContent ?? ''
  if (!text.trim()) return
  const box = element.getBoundingClientRect()
  const style = getComputedStyle(element)
  const x = box.left - left
  const y = box.top - top
  const background = style.backgroundColor
  if (background && background !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(background)) {
    context.fillStyle = background
    context.beginPath()
    context.roundRect(x, y, box.width, box.height, parseFloat(style.borderTopLeftRadius) || 0)
    context.fill()
  }
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`
  context.textBaseline = 'middle'
  context.textAlign = 'left'
  const textX = x + (parseFloat(style.paddingLeft) || 0)
  const textY = y + box.height / 2
  // The on-screen text-shadow, as a dark outline: the letters stay legible on bright tissue.
  context.lineWidth = 3
  context.strokeStyle = 'rgba(0, 0, 0, 0.8)'
  context.lineJoin = 'round'
  context.strokeText(text, textX, textY)
  context.fillStyle = style.color
  context.fillText(text, textX, textY)
}

/** voxloop-<what>-<date>T<time>.png, in local time, safe on every file system. */
export function screenshotFileName(what: string, at = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0')
  const stamp = `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}-${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`
  return `voxloop-${what.replace(/[^A-Za-z0-9_-]+/g, '_')}-${stamp}.png`
}

/**
 * Hands the PNG to the browser as a download: serve mode saves it to the downloads folder; the
 * Electron app, which sets no download handler, asks where to save it with the system dialog.
 */
export async function downloadCanvas(canvas: HTMLCanvasElement, fileName: string): Promise<void> {
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'))
  if (!blob) throw new Error(`Could not encode ${fileName} as PNG`)
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.style.display = 'none'
  document.body.appendChild(link)
  link.click()
  link.remove()
  // The download has its own copy once started; free the blob a little later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
