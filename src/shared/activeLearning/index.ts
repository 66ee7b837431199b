export * from './ranking'
export * from './effort'
export * from './efficiencyCurve'
