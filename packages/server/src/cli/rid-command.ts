import { getRidInfo } from '@open-bridge/wechat-fetchers'
import type { Command } from 'commander'
import { EXIT, type ExitCode } from './exit-codes.js'
import { openOperatorApp, operatorOptions, type OperatorApp, type OperatorOptions } from './operator-app.js'
import { Output } from './output.js'

/** `open-bridge rid <app> <rid>`: the platform's account of a request (openapi/rid/get), credentials masked. */
export function registerRidCommand(program: Command, done: (code: ExitCode) => void): void {
  operatorOptions(
    program
      .command('rid')
      .argument('<app>', 'the appid, or the dcloudAppid (with --platform if it names several apps)')
      .argument('<rid>', 'the rid at the end of a platform errmsg, e.g. 5fa26c60-1a0ebdd5-32fd1cd0')
      .description(
        "what a request id was: WeChat's account of the request (URL, body, answer, the IP it saw), secrets masked",
      ),
  ).action(async (appText: string, rid: string, options: OperatorOptions) => {
    done(await runRid(appText, rid, options))
  })
}

export async function runRid(appText: string, rid: string, options: OperatorOptions): Promise<ExitCode> {
  const output = new Output(options.json === true)
  let target: OperatorApp | undefined
  try {
    target = await openOperatorApp(appText, options)
    const info = await getRidInfo(target.bridge, target.key, rid)
    const invokedAt = new Date(info.invokeTime * 1000).toISOString()
    output.result({ command: 'rid', app: target.app, ...info, invokedAt }, [
      `rid ${info.rid} of ${target.label}`,
      `  invoked      ${invokedAt} (took ${info.costInMs} ms)`,
      `  client IP    ${info.clientIp} (the address the platform saw: the one its IP whitelist needs)`,
      `  request URL  ${info.requestUrl || '(no query)'}`,
      `  request body ${info.requestBody || '(none)'}`,
      `  answer       ${info.responseBody}`,
    ])
    return EXIT.ok
  } catch (error) {
    return output.fail(error)
  } finally {
    await target?.close().catch(() => undefined)
  }
}
