export { createBridge, CredentialBridge, type BridgeOptions, type RefreshOptions } from './bridge.js'
export type { CredentialRecord } from './credential-record.js'
export type { CredentialHandle } from './credential-handle.js'
export { BUILT_IN_KINDS, kindDefinition, type BuiltInKindDefinitions, type BuiltInKindKey } from './built-in-kinds.js'
export {
  keyField,
  registerKind,
  registeredKind,
  registeredKinds,
  resolveKindKey,
  type CredentialKindDefinition,
  type RegisteredKind,
  type KeyFieldCheck,
  type KindFetchResult,
  type ResolvedKindKey,
} from './kind-registry.js'
export { DEFAULT_LOCK_TTL, DEFAULT_REFRESH_AHEAD, type CoordinationOptions } from './coordination-options.js'
export { memoryStore, MEMORY_STORE_MAX_LIMIT, type MemoryStoreOptions } from './memory-store.js'
export { withAccessToken, withCredential } from './with-credential.js'
export type { EncryptionOptions } from './encryption-options.js'
export {
  createKeyring,
  ENCRYPTION_KEY_BYTES,
  type EncryptionKey,
  type EncryptionKeyProvider,
  type Keyring,
  type LoadedKeys,
} from './keyring.js'
export { DEFAULT_OPEN_CACHE_SIZE, sealedStore, type SealedStoreOptions } from './sealed-store.js'
export { envelopeKeyId, ENVELOPE_VERSION, type SealedEnvelope } from './sealed-envelope.js'
export { keyLayout, type KeyLayout } from './key-layout.js'
export {
  isNotFetchable,
  kindNameOfStorageKey,
  kindOfStorageKey,
  NOT_FETCHABLE_KINDS,
  registeredKindOfStorageKey,
} from './storage-key-kind.js'
export { isInProcessStore } from './in-process-store.js'
export {
  BridgeError,
  errorBrand,
  SealOpenError,
  type SealOpenReason,
  isBridgeError,
  isSharedFailureError,
  sanitizeCause,
  SharedFailureError,
  type BridgeErrorOptions,
  type CoreErrorCode,
  type ErrorBrand,
} from './errors.js'
export { redactSecrets, redactUrl, SECRET_QUERY_NAMES, type RedactSecretsOptions } from './redact-secrets.js'
export { escapeUnsafe, quoteValue, QUOTE_MAX_LENGTH } from './quote-value.js'
export {
  DEFAULT_MAX_BODY_BYTES,
  isByteLimit,
  readBoundedText,
  type BodyStream,
  type BoundedText,
} from './bounded-body.js'
export { LISTENER_WARNING_CODE } from './events.js'
export type { AppConfig } from './apps.js'
export type { BridgeEventName, BridgeEvents, BridgeListener, RefreshReason } from './events.js'
export type { CredentialStore, StoredRecord, StoreLock, StorePersistence } from './store.js'
export { isLive } from './expiry.js'
export {
  asStoredRecord,
  isExpiresAt,
  isPlainObject,
  parseJsonObject,
  secretStringsOf,
  ttlMsOf,
} from './record-codec.js'
export type {
  CredentialSource,
  Fallback,
  FallbackContext,
  FallbackResult,
  FetchResult,
  SourceContext,
} from './source.js'
export {
  CREDENTIAL_FIELDS,
  CREDENTIAL_KINDS,
  PLATFORMS,
  TICKET_TYPES,
  credentialString,
  type AccessTokenValue,
  type AppKey,
  type AppRef,
  type CredentialKey,
  type CredentialKeys,
  type CredentialKind,
  type CredentialValue,
  type CredentialValues,
  type EncryptKeyKey,
  type EncryptKeyValue,
  type Platform,
  type ResolvedKey,
  type SessionKeyValue,
  type TicketKey,
  type TicketType,
  type TicketValue,
  type UserAccessTokenValue,
  type UserCredentialKind,
  type UserRefreshTokenValue,
  type UserKey,
} from './credentials.js'
export { combineSources, sourcesOf } from './combined-source.js'
