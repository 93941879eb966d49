export { remoteBridge, type RemoteBridgeOptions } from './remote-bridge.js'
export { RemoteError, isRemoteError, type RemoteErrorCode, type RemoteErrorOptions } from './errors.js'
export { EXPIRES_IN_HEADER } from './expires-in-header.js'
export {
  CREDENTIAL_ROUTES,
  ROUTE_KINDS,
  credentialRoute,
  KIND_OPERATIONS,
  KIND_ROUTE_PREFIX,
  kindRoutePath,
  type CredentialRoute,
  type RouteKind,
  type RouteOperation,
} from './routes.js'
export {
  signRequest,
  signWithKey,
  canonicalMac,
  canonicalMacV2,
  canonicalText,
  canonicalTextV2,
  SIGNATURE_HEADERS,
  SIGNATURE_VERSION,
  AUDIENCE_PATTERN,
  SIGNATURE_WINDOW_SECONDS,
  MIN_SECRET_LENGTH,
  NONCE_PATTERN,
  TIMESTAMP_PATTERN,
  SIGNATURE_PATTERN,
  type SignRequestInput,
  type SignatureHeaders,
} from './signing.js'
