export type { AppOptions, AuthOptions, MetricsHooks, ReadinessReport } from './app-options.js'
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
export type { ErrorBody } from './http/error-reply.js'
