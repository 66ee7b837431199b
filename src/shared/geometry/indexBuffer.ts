/**
 * A growable list of voxel indices backed by a Uint32Array: kernels collect footprints and regions
 * without a JS array element (or any allocation) per voxel.
 */
export class IndexBuffer {
  private data: Uint32Array
  private size = 0

  constructor(initialCapacity = 1024) {
    this.data = new Uint32Array(Math.max(16, initialCapacity))
  }

  get length(): number {
    return this.size
  }

  push(index: number): void {
    if (this.size === this.data.length) this.grow(this.size + 1)
    this.data[this.size++] = index
  }

  /** Removes and returns the last index; the caller checks `length` first. */
  pop(): number {
    return this.data[--this.size]
  }

  at(position: number): number {
    return this.data[position]
  }

  clear(): void {
    this.size = 0
  }

  /** A view of the current contents; valid until the next push. */
  view(): Uint32Array {
    return this.data.subarray(0, this.size)
  }

  /** A copy of the contents, exactly sized. */
  toArray(): Uint32Array {
    return this.data.slice(0, this.size)
  }

  private grow(minCapacity: number): void {
    let capacity = this.data.length * 2
    while (capacity < minCapacity) capacity *= 2
    const next = new Uint32Array(capacity)
    next.set(this.data.subarray(0, this.size))
    this.data = next
  }
}

/** Sorts in place and drops repeats; returns the deduplicated prefix as a view of `indices`. */
export function sortUnique(indices: Uint32Array): Uint32Array {
  if (indices.length < 2) return indices
  indices.sort()
  let write = 1
  for (let read = 1; read < indices.length; read++) {
    if (indices[read] !== indices[write - 1]) indices[write++] = indices[read]
  }
  return indices.subarray(0, write)
}
