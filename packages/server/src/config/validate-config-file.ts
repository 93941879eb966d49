import { Ajv, type ErrorObject } from 'ajv'
import { invalidConfig } from '../errors.js'
import { configFileSchema, type ConfigFile } from './config-file.js'

const validate = new Ajv({ allErrors: false, verbose: true, strict: true }).compile<ConfigFile>(configFileSchema)

/**
 * Checks a config object against the schema. The first fault becomes an `E_INVALID_CONFIG` whose `field` is
 * the path (`apps[1].secret`) and whose message says what the field must be — never the value found there.
 */
export function validateConfigFile(config: unknown, file: string): ConfigFile {
  if (validate(config)) return config
  // With allErrors off, an anyOf reports its branches' errors, then its own: the last error is the outermost.
  const error = validate.errors?.at(-1)
  const field = error ? fieldOf(error) : '(root)'
  throw invalidConfig(field, `${error ? describe(error) : 'is invalid'} (in ${file})`)
}

function fieldOf(error: ErrorObject): string {
  let path = error.instancePath
    .split('/')
    .slice(1)
    .map((step) => step.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((step) => (/^\d+$/.test(step) ? `[${step}]` : `.${step}`))
    .join('')
  const extra =
    error.keyword === 'additionalProperties'
      ? error.params.additionalProperty
      : error.keyword === 'required'
        ? error.params.missingProperty
        : undefined
  if (typeof extra === 'string') path += `.${extra}`
  path = path.replace(/^\./, '')
  return path === '' ? '(root)' : path
}

function describe(error: ErrorObject): string {
  const description = (error.parentSchema as { description?: unknown } | undefined)?.description
  switch (error.keyword) {
    case 'additionalProperties':
      return 'is not a known field'
    case 'required':
      return 'is required'
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).map(String).join(', ')}`
    case 'type':
      if (typeof description === 'string') return `must be ${description}`
      return `must be ${article(String(error.params.type))}`
    case 'minLength':
      return error.params.limit === 1
        ? 'must be a non-empty string'
        : `must be at least ${error.params.limit} characters long`
    default:
      if (typeof description === 'string') return `must be ${description}`
      return error.message ?? 'is invalid'
  }
}

function article(type: string): string {
  const a = /^[aeiou]/.test(type) ? 'an' : 'a'
  return type.includes(',') ? `one of: ${type}` : `${a} ${type}`
}
