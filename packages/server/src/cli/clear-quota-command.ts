import { createInterface } from 'node:readline'
import { CLEAR_QUOTA_MONTHLY_LIMIT, clearQuota } from '@open-bridge/wechat-fetchers'
import type { Command } from 'commander'
import { ServerError } from '../errors.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import { openOperatorApp, operatorOptions, type OperatorApp, type OperatorOptions } from './operator-app.js'
import { Output } from './output.js'

export const MONTHLY_LIMIT_TEXT = `WeChat allows ${CLEAR_QUOTA_MONTHLY_LIMIT} quota resets a month per account (clear_quota and clear_quota/v2 together); each reset spends one`

/**
 * `open-bridge clear-quota <app> [--yes]`: resets the app's daily API quotas with clear_quota/v2 (appid + appsecret,
 * so it works when no access_token can be had). Asks first unless `--yes`.
 */
export function registerClearQuotaCommand(program: Command, done: (code: ExitCode) => void): void {
  operatorOptions(
    program
      .command('clear-quota')
      .argument('<app>', 'the appid, or the dcloudAppid (with --platform if it names several apps)')
      .description(
        `reset the app's daily API quotas now (clear_quota/v2: appid + secret, no token needed); ${CLEAR_QUOTA_MONTHLY_LIMIT} resets a month`,
      ),
  )
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (appText: string, options: OperatorOptions & { yes?: boolean }) => {
      done(await runClearQuota(appText, options))
    })
}

export async function runClearQuota(
  appText: string,
  options: OperatorOptions & { yes?: boolean },
  input: NodeJS.ReadableStream = process.stdin,
  prompt: NodeJS.WritableStream = process.stderr,
): Promise<ExitCode> {
  const output = new Output(options.json === true)
  let target: OperatorApp | undefined
  try {
    target = await openOperatorApp(appText, options)
    if (options.yes !== true) {
      prompt.write(`${MONTHLY_LIMIT_TEXT}.\nReset the daily API quotas of ${target.label} now? Type yes to go on: `)
      const answer = await readAnswer(input)
      if (!/^y(es)?$/i.test(answer.trim())) {
        throw new ServerError('E_NOT_CONFIRMED', `not confirmed: the quotas of ${target.label} were not reset`)
      }
    }
    const { via } = await clearQuota(target.bridge, target.key)
    output.result(
      { command: 'clear-quota', app: target.app, done: true, via, monthlyLimit: CLEAR_QUOTA_MONTHLY_LIMIT },
      [
        `daily API quotas of ${target.label} reset (clear_quota/v2)`,
        `  ${MONTHLY_LIMIT_TEXT}; once they are spent WeChat answers 48006 until next month`,
        '  a running service keeps answering the remembered 45009 until its back-off window ends (failureBackoff.configuration, default 60 s)',
      ],
    )
    return EXIT.ok
  } catch (error) {
    return output.fail(error)
  } finally {
    await target?.close().catch(() => undefined)
  }
}

/** One line from `input`, or '' when it ends first. */
function readAnswer(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    const lines = createInterface({ input, terminal: false })
    let answered = false
    lines.once('line', (line) => {
      answered = true
      lines.close()
      resolve(line)
    })
    lines.once('close', () => {
      if (!answered) resolve('')
    })
  })
}
