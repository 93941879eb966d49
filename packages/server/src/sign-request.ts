import {
  isRemoteError,
  signRequest as signWithRemote,
  type SignRequestInput,
  type SignatureHeaders,
} from '@open-bridge/remote'
import { ServerError } from './errors.js'

/**
 * `signRequest` of @open-bridge/remote, kept in this package's API: malformed input is this package's
 * `E_INVALID_CONFIG` (a `ServerError`, `field` naming the input), as it always was. In a file of its own (not
 * beside the verifier): the CLI bundle takes the verifier and not this, and its build then imports nothing unused.
 */
export function signRequest(input: SignRequestInput): SignatureHeaders {
  try {
    return signWithRemote(input)
  } catch (error) {
    if (!isRemoteError(error, 'E_INVALID_ARGUMENT')) throw error
    throw new ServerError(
      'E_INVALID_CONFIG',
      `signRequest: ${error.message}`,
      error.field === undefined ? {} : { field: error.field },
    )
  }
}
