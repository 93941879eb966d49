/**
 * Test helpers for the HTTP layer: a real fastify listening on loopback, real HTTP through fetch, signed
 * requests, and a log stream that keeps every line.
 */
import { Writable } from 'node:stream'
import { createBridge, memoryStore, type CredentialBridge, type CredentialStore } from '@open-bridge/core'
import type { FastifyInstance } from 'fastify'
import { buildApp, signRequest, type AppOptions, type SignRequestInput, type SignatureHeaders } from '../src/index.js'

export const SECRET = 'test-signing-secret-0123456789'
/**
 * The audience the test apps are configured with (`auth.audience`) when they sign, so a request can be signed
 * before the app's port is known. Tests of the Host binding configure none.
 */
export const AUDIENCE = 'test-centre'

/** `signRequest` for the test apps: rule v2, for `AUDIENCE` unless told otherwise. */
export function sign(input: Omit<SignRequestInput, 'audience'> & { audience?: string }): SignatureHeaders {
  return signRequest({ audience: AUDIENCE, ...input })
}
export const APPS = [
  { dcloudAppid: '__UNI__A', platform: 'weixin-mp' as const, appid: 'wxapp1', secret: 'APPSECRET-mp-do-not-leak' },
  { dcloudAppid: '__UNI__A', platform: 'weixin-h5' as const, appid: 'wxh5app', secret: 'APPSECRET-h5-do-not-leak' },
]

export function memoryBridge(stores: CredentialStore[] = [memoryStore()]): CredentialBridge {
  return createBridge({ stores, apps: APPS })
}

/** Every log line the app wrote, as text. */
export class LogLines extends Writable {
  readonly lines: string[] = []
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line.length > 0),
    )
    done()
  }
  get text(): string {
    return this.lines.join('\n')
  }
}

export interface Running {
  app: FastifyInstance
  base: string
  close(): Promise<void>
  /** POST a JSON body (a string is sent as is), signed with `SECRET` unless `sign: false`. */
  post(
    path: string,
    body: unknown,
    options?: { sign?: boolean; secret?: string; headers?: Record<string, string> },
  ): Promise<Answer>
  get(path: string, headers?: Record<string, string>): Promise<Answer>
}

export interface Answer {
  status: number
  headers: Headers
  text: string
  json: unknown
}

export async function startApp(
  options: Partial<AppOptions> & { bridge: CredentialBridge },
  host = '127.0.0.1',
): Promise<Running> {
  const auth = options.auth ?? {}
  const signed = auth.signingSecret !== undefined && !('audience' in auth)
  const app = buildApp({ logger: false, ...options, auth: signed ? { ...auth, audience: AUDIENCE } : auth })
  await app.listen({ host, port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
  return {
    app,
    base,
    close: () => app.close(),
    async post(path, body, { sign = true, secret = SECRET, headers = {} } = {}) {
      const payload = typeof body === 'string' ? body : JSON.stringify(body)
      const signed = sign ? signWith({ secret, method: 'POST', path, body: payload }) : {}
      return answer(
        await fetch(`${base}${path}`, {
          method: 'POST',
          body: payload,
          headers: { 'content-type': 'application/json', ...signed, ...headers },
        }),
      )
    },
    async get(path, headers = {}) {
      return answer(await fetch(`${base}${path}`, { headers }))
    },
  }
}

const signWith = sign

export async function answer(response: Response): Promise<Answer> {
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}
