export type { AppOptions, AuthOptions, ExpiryLookup, MetricsHooks, ReadinessReport } from './app-options.js'
export { buildApp } from './app.js'
export { ServerError, isServerError, type ServerErrorCode, type ServerErrorOptions } from './errors.js'
export type { SignRequestInput, SignatureHeaders } from './auth/signature.js'
export { signRequest } from './sign-request.js'
export { assertSafeExposure } from './auth/exposure.js'
export type { ErrorBody } from './http/error-reply.js'
export type { ConnectionLimits } from './http/connection-limits.js'
export type { SharedNonces } from './auth/signature.js'
export { startServer, type StartServerOptions, type RunningServer } from './serve.js'
export { openConfiguredBridge } from './configured-bridge.js'
export { loadConfig, CONFIG_FILE_NAMES, type LoadConfigOptions } from './config/load-config.js'
export {
  LOG_LEVELS,
  type ConfigFile,
  type ConfigFileApp,
  type ConfigFileComponent,
  type SecretRef,
  type LogLevel,
} from './config/config-file.js'
export type { ServiceComponent } from './config/component-config.js'
export type { OpenPlatformHooks, OpenPlatformRouteComponent, PushOutcome } from './open-platform/open-platform-hooks.js'
export { openPlatformHooks } from './open-platform/open-platform-service.js'
export type { ServiceConfig, ServiceApp } from './config/service-config.js'
export type { StoreScheme, StoreSpec } from './config/store-url.js'
export { SCHEDULE_TASKS, type ScheduleTask } from './scheduler/tasks.js'
export { uniCalls, type UniCalls, type UniMethod, type UniEncryptKeyKey } from './compat/uni-calls.js'
export { LEGACY_PLATFORMS } from './compat/legacy-key.js'
export { registerWecomRoutes, suiteCallbackPath, type WecomRoutesOptions } from './wecom/wecom-routes.js'
export {
  resolveWecomConfig,
  wecomConfigSchema,
  type ResolvedWecomConfig,
  type WecomConfigFile,
  type WecomSuiteRoute,
} from './wecom/wecom-config.js'
