import { createHash } from 'node:crypto'
import { credentialString } from '@open-bridge/core'
import { EXIT, exitCodeOf, type ExitCode } from './exit-codes.js'
import type { HeldCredential } from './target.js'

/** An error as the CLI shows it: a code, a message free of secrets, and what else is safe to say. */
export interface ShownError {
  code: string
  message: string
  platformErrcode?: number
  category?: string
  status?: number
  /** A refusal of this server's IP: the IP the platform saw, the whitelist it belongs on, the advice (no secret). */
  ipDiagnosis?: ShownIpDiagnosis
}

/** wechat-fetchers' `IpDiagnosis`, read structurally (the error may come from another copy of the package). */
export interface ShownIpDiagnosis {
  ip: string | null
  whitelist: string
  adminMustConfirm: boolean
  rid: string | null
  advice: string
}

/** The IP diagnosis of an error, its documented fields only. */
export function ipDiagnosisOf(error: unknown): ShownIpDiagnosis | undefined {
  const d = (error as { ipDiagnosis?: unknown } | null)?.ipDiagnosis as Record<string, unknown> | undefined
  if (typeof d !== 'object' || d === null || typeof d.advice !== 'string' || typeof d.whitelist !== 'string')
    return undefined
  return {
    ip: typeof d.ip === 'string' ? d.ip : null,
    whitelist: d.whitelist,
    adminMustConfirm: d.adminMustConfirm === true,
    rid: typeof d.rid === 'string' ? d.rid : null,
    advice: d.advice,
  }
}

/**
 * Our errors (and core's, wechat-fetchers', the service's answers) carry an `E_` code and a message that names
 * fields, never values: those are shown. Anything else is shown by its class and code only — a driver's message
 * may quote a URL with its password.
 */
export function showError(error: unknown): ShownError {
  const { code, message, name, errcode, platformErrcode, category, status } = (
    typeof error === 'object' && error !== null ? error : {}
  ) as Record<string, unknown>
  if (typeof code === 'string' && code.startsWith('E_') && typeof message === 'string') {
    const shown: ShownError = { code, message }
    const platformCode = typeof platformErrcode === 'number' ? platformErrcode : errcode
    if (typeof platformCode === 'number') shown.platformErrcode = platformCode
    if (typeof category === 'string') shown.category = category
    if (typeof status === 'number') shown.status = status
    const ipDiagnosis = ipDiagnosisOf(error)
    if (ipDiagnosis !== undefined) shown.ipDiagnosis = ipDiagnosis
    return shown
  }
  return {
    code: 'E_INTERNAL',
    message: `unexpected ${typeof name === 'string' ? name : 'error'}${typeof code === 'string' ? ` (${code})` : ''}`,
  }
}

/** Writes a command's result (human text, or one JSON document with `--json`) and its errors (always on stderr). */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** The result: `doc` as JSON with `--json`, else `lines`. */
  result(doc: Record<string, unknown>, lines: string[]): void {
    this.out.write(this.json ? `${JSON.stringify(doc)}\n` : lines.map((line) => `${line}\n`).join(''))
  }

  /** An error: `open-bridge: <code> <message>` on stderr, and with `--json` `{ "error": { … } }` on stdout. Returns the exit code. */
  fail(error: unknown, exitCode?: ExitCode): ExitCode {
    const shown = showError(error)
    const extra = [
      shown.platformErrcode !== undefined ? `platform errcode ${shown.platformErrcode}` : '',
      shown.category !== undefined ? `category ${shown.category}` : '',
    ].filter(Boolean)
    this.err.write(`open-bridge: ${shown.code} ${shown.message}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}\n`)
    const code = exitCode ?? exitCodeOf(shown.code)
    if (this.json) this.out.write(`${JSON.stringify({ error: shown, exitCode: code })}\n`)
    return code
  }
}

/**
 * What may be said of a credential without showing it: which fields it has, when it expires, and a fingerprint —
 * the first 12 hex digits of SHA-256 of the credential string (`printf %s "$token" | sha256sum` matches it), so two
 * reads can be compared without printing either.
 */
export function describeCredential(kind: string, held: HeldCredential, now = Date.now()): Record<string, unknown> {
  const secret = credentialString(kind, held.value)
  const facts: Record<string, unknown> = { fields: Object.keys(held.value) }
  if (typeof secret === 'string')
    facts.fingerprint = `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`
  if (held.expiresAt !== undefined) {
    facts.expiresAt = held.expiresAt === null ? null : new Date(held.expiresAt).toISOString()
    facts.expiresInSeconds = held.expiresAt === null ? null : Math.max(0, Math.round((held.expiresAt - now) / 1000))
  }
  return facts
}

/** The human lines of those facts. */
export function credentialLines(facts: Record<string, unknown>): string[] {
  const lines = [`  fields       ${(facts.fields as string[]).join(', ')}`]
  if (facts.fingerprint !== undefined) lines.push(`  fingerprint  ${String(facts.fingerprint)}`)
  if (!('expiresAt' in facts)) lines.push('  expires      not reported by the remote service')
  else if (facts.expiresAt === null) lines.push('  expires      never')
  else lines.push(`  expires      in ${String(facts.expiresInSeconds)} s (${String(facts.expiresAt)})`)
  return lines
}

export { EXIT }
