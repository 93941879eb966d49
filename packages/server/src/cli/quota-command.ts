import { getApiQuota, type ApiQuota } from '@open-bridge/wechat-fetchers'
import type { Command } from 'commander'
import { EXIT, type ExitCode } from './exit-codes.js'
import { openOperatorApp, operatorOptions, type OperatorApp, type OperatorOptions } from './operator-app.js'
import { Output } from './output.js'

/** The APIs `quota` reports without `--api`: the token endpoints the bridge calls, and the ticket for weixin-h5. */
export function defaultApis(platform: string): string[] {
  return ['/cgi-bin/stable_token', '/cgi-bin/token', ...(platform === 'weixin-h5' ? ['/cgi-bin/ticket/getticket'] : [])]
}

/** `open-bridge quota <app> [--api /cgi-bin/…]…`: each API's daily limit, calls used and left (openapi/quota/get). */
export function registerQuotaCommand(program: Command, done: (code: ExitCode) => void): void {
  operatorOptions(
    program
      .command('quota')
      .argument('<app>', 'the appid, or the dcloudAppid (with --platform if it names several apps)')
      .description("an API's daily quota for the app: limit, used, left (WeChat's openapi/quota/get)"),
  )
    .option(
      '--api <path>',
      'an API path such as /cgi-bin/stable_token (repeat for more; default: the token and ticket endpoints)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (appText: string, options: OperatorOptions & { api?: string[] }) => {
      done(await runQuota(appText, options))
    })
}

export async function runQuota(appText: string, options: OperatorOptions & { api?: string[] }): Promise<ExitCode> {
  const output = new Output(options.json === true)
  let target: OperatorApp | undefined
  try {
    target = await openOperatorApp(appText, options)
    const apis = options.api ?? defaultApis(target.app.platform)
    const quotas: ApiQuota[] = []
    for (const api of apis) quotas.push(await getApiQuota(target.bridge, target.key, api))
    const width = Math.max(...quotas.map((q) => q.cgiPath.length))
    output.result({ command: 'quota', app: target.app, quotas }, [
      `daily API quota of ${target.label} (resets at midnight Beijing time; open-bridge clear-quota resets it now)`,
      ...quotas.map(
        (q) =>
          `  ${q.cgiPath.padEnd(width)}  used ${q.used} of ${q.dailyLimit}, ${q.remain} left${q.remain === 0 ? '  ← used up (45009)' : ''}`,
      ),
    ])
    return EXIT.ok
  } catch (error) {
    return output.fail(error)
  } finally {
    await target?.close().catch(() => undefined)
  }
}
