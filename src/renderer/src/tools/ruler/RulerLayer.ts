import type { Vec3 } from '../../../../shared/volume'
import type { ViewName } from '../../viewer/viewOrientation'
import type { ToolScreen } from '../voxelTool'
import { distanceMm, formatLength } from './ruler'

export interface Measurement {
  view: ViewName
  /** Continuous voxel coordinates of the two ends; `b` null while the second click is awaited. */
  a: Vec3
  b: Vec3 | null
}

const SVG = 'http://www.w3.org/2000/svg'

/**
 * Draws a measurement over its slice view: an SVG line (dark under light, visible on bright and
 * dark tissue) with end ticks and its length on a dark backing. The view can pan, zoom, resize or
 * change slice at any time, so while a measurement exists the layer re-projects its ends once per
 * animation frame (two points; the DOM is touched only when they moved) and hides it on other slices.
 */
export class RulerLayer {
  private svg: SVGSVGElement | null = null
  private measurement: Measurement | null = null
  private frame = 0
  private drawnKey = ''

  constructor(
    private readonly screen: ToolScreen,
    private readonly spacingMm: Readonly<Vec3>
  ) {}

  show(measurement: Measurement | null): void {
    this.measurement = measurement
    if (!measurement) {
      this.remove()
      return
    }
    this.drawnKey = ''
    this.draw()
    if (!this.frame) this.frame = requestAnimationFrame(this.tick)
  }

  dispose(): void {
    this.measurement = null
    this.remove()
  }

  private readonly tick = (): void => {
    this.frame = 0
    if (!this.measurement) return
    this.draw()
    this.frame = requestAnimationFrame(this.tick)
  }

  private remove(): void {
    if (this.frame) cancelAnimationFrame(this.frame)
    this.frame = 0
    this.svg?.remove()
    this.svg = null
    this.drawnKey = ''
  }

  private draw(): void {
    const m = this.measurement
    if (!m) return
    const cell = this.screen.viewElement(m.view)
    // The viewer went (the workspace closed): nothing to draw on, and no frame loop to keep.
    if (!cell.isConnected) {
      this.dispose()
      return
    }
    const svg = this.layerIn(cell, m.view)
    const axis = this.screen.sliceAxis(m.view)
    const onSlice = Math.round(m.a[axis]) === Math.round(this.screen.shownSlice(m.view))
    const a = onSlice ? this.screen.pointOnScreen(m.view, m.a) : null
    const b = onSlice && m.b ? this.screen.pointOnScreen(m.view, m.b) : null
    const key = `${a?.x},${a?.y},${b?.x},${b?.y}`
    if (key === this.drawnKey) return
    this.drawnKey = key
    svg.style.display = a ? '' : 'none'
    if (!a) return
    const end = b ?? a
    const mm = m.b ? distanceMm(m.a, m.b, this.spacingMm) : 0
    svg.dataset.lengthMm = m.b ? mm.toFixed(3) : ''
    for (const line of svg.querySelectorAll('line.ruler-line')) setLine(line, a, end)
    const [tickA, tickB] = svg.querySelectorAll('circle')
    setCircle(tickA, a)
    setCircle(tickB, end)
    const label = svg.querySelector('g.ruler-label')
    const text = svg.querySelector('text')
    const backing = svg.querySelector('g.ruler-label rect')
    if (!label || !text || !backing) return
    label.setAttribute('visibility', m.b ? 'visible' : 'hidden')
    text.textContent = m.b ? formatLength(mm) : ''
    // The label sits beside the far end, away from the line's direction, so it never covers the line.
    const dx = end.x - a.x
    const x = end.x + (dx >= 0 ? 8 : -8)
    const y = end.y - 8
    text.setAttribute('x', String(x))
    text.setAttribute('y', String(y))
    text.setAttribute('text-anchor', dx >= 0 ? 'start' : 'end')
    const box = text.getBBox()
    backing.setAttribute('x', String(box.x - 4))
    backing.setAttribute('y', String(box.y - 2))
    backing.setAttribute('width', String(box.width + 8))
    backing.setAttribute('height', String(box.height + 4))
  }

  /** The SVG over the measurement's view, made on first use (and moved if the view changed). */
  private layerIn(cell: HTMLElement, view: ViewName): SVGSVGElement {
    if (this.svg && this.svg.parentElement === cell) return this.svg
    this.svg?.remove()
    const svg = document.createElementNS(SVG, 'svg')
    svg.classList.add('ruler-layer')
    svg.dataset.testid = 'ruler'
    svg.dataset.view = view
    // Through the CSSOM: the app's content security policy refuses inline style attributes.
    Object.assign(svg.style, { position: 'absolute', inset: '0', width: '100%', height: '100%', pointerEvents: 'none', overflow: 'visible', zIndex: '2' })
    const line = (stroke: string, width: number): void => {
      const element = document.createElementNS(SVG, 'line')
      element.classList.add('ruler-line')
      element.setAttribute('stroke', stroke)
      element.setAttribute('stroke-width', String(width))
      element.setAttribute('stroke-linecap', 'round')
      svg.appendChild(element)
    }
    line('rgba(0,0,0,0.85)', 4)
    line('#ffd54f', 2)
    for (let n = 0; n < 2; n++) {
      const tick = document.createElementNS(SVG, 'circle')
      tick.setAttribute('r', '3.5')
      tick.setAttribute('fill', '#ffd54f')
      tick.setAttribute('stroke', 'rgba(0,0,0,0.85)')
      tick.setAttribute('stroke-width', '1.5')
      svg.appendChild(tick)
    }
    const label = document.createElementNS(SVG, 'g')
    label.classList.add('ruler-label')
    const backing = document.createElementNS(SVG, 'rect')
    backing.setAttribute('rx', '3')
    backing.setAttribute('fill', 'rgba(0,0,0,0.75)')
    const text = document.createElementNS(SVG, 'text')
    text.setAttribute('fill', '#ffd54f')
    text.setAttribute('font-size', '13')
    text.setAttribute('font-family', 'system-ui, sans-serif')
    text.dataset.testid = 'ruler-length'
    label.append(backing, text)
    svg.appendChild(label)
    cell.appendChild(svg)
    this.svg = svg
    return svg
  }
}

function setLine(line: Element, a: { x: number; y: number }, b: { x: number; y: number }): void {
  line.setAttribute('x1', String(a.x))
  line.setAttribute('y1', String(a.y))
  line.setAttribute('x2', String(b.x))
  line.setAttribute('y2', String(b.y))
}

function setCircle(circle: Element | undefined, at: { x: number; y: number }): void {
  circle?.setAttribute('cx', String(at.x))
  circle?.setAttribute('cy', String(at.y))
}
