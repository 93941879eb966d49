export type { AppOptions, AuthOptions, MetricsHooks, ReadinessReport } from './app-options.js'
