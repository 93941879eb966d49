export type { AppOptions, AuthOptions, ExpiryLookup, MetricsHooks, ReadinessReport } from './app-options.js'
export { buildApp } from './app.js'
export { ServerError, isServerError, type ServerErrorCode, type ServerErrorOptions } from './errors.js'
export {
  signRequest,
  SIGNATURE_HEADERS,
  SIGNATURE_WINDOW_SECONDS,
  MIN_SECRET_LENGTH,
  type SignRequestInput,
  type SignatureHeaders,
} from './auth/signature.js'
export { assertSafeExposure, isLoopbackHost } from './auth/exposure.js'
export { CREDENTIAL_ROUTES, type CredentialRoute, type CredentialOperation } from './http/credential-routes.js'
export { EXPIRES_IN_HEADER } from './http/expires-in.js'
export type { ErrorBody } from './http/error-reply.js'
export { startServer, type StartServerOptions, type RunningServer } from './serve.js'
export { openConfiguredBridge } from './configured-bridge.js'
export { loadConfig, CONFIG_FILE_NAMES, type LoadConfigOptions } from './config/load-config.js'
export type { ConfigFile, ConfigFileApp, SecretRef, LogLevel } from './config/config-file.js'
export type { ServiceConfig, ServiceApp } from './config/service-config.js'
export { SCHEDULE_TASKS, type ScheduleTask } from './scheduler/tasks.js'
