import { isIP } from 'node:net'

/** Which list the refused IP belongs on, or `admin-confirm`: an administrator must confirm it in WeChat. */
export type IpWhitelist =
  /** The app's API IP whitelist (official account / mini program on mp.weixin.qq.com; mobile or website app on open.weixin.qq.com). */
  | 'app'
  /** The third-party platform's whitelist (open.weixin.qq.com → the platform → development settings). */
  | 'open-platform'
  /** WeCom's trusted IPs of the app (work.weixin.qq.com admin console → the app → trusted IPs). */
  | 'wecom'
  /** Not a whitelist: the platform asks an administrator of the app to confirm the IP in WeChat. */
  | 'admin-confirm'

/** What a refusal of the caller's IP means: the IP the platform saw, where it belongs, what to do. No secret in it. */
export interface IpDiagnosis {
  /** The address the platform saw this server call from, read from the errmsg; `undefined` if it gave none. */
  ip: string | undefined
  whitelist: IpWhitelist
  /** 89503 / 89501 / 89506 / 89507: an administrator must confirm the IP in WeChat (no config change helps). */
  adminMustConfirm: boolean
  /** The refused request's rid, for `getRidInfo` / `open-bridge rid` (its `clientIp` is the IP, when the errmsg has none). */
  rid: string | undefined
  /** One sentence for an operator: the IP and what to do with it. */
  advice: string
}

const WHERE: Record<Exclude<IpWhitelist, 'admin-confirm'>, string> = {
  app: "the app's API IP whitelist (mp.weixin.qq.com — official account: Settings and Development → Basic Configuration → IP whitelist; mini program: Development → Development Management → Development Settings → IP whitelist; mobile / website app: open.weixin.qq.com)",
  'open-platform':
    "the third-party platform's whitelist (open.weixin.qq.com → the third-party platform → Development Settings → IP whitelist), not the authorised app's",
  wecom: "the WeCom app's trusted IPs (work.weixin.qq.com admin console → the app → trusted IPs)",
}

/** The codes by which the platform refuses the caller's IP. */
const BY_CODE: ReadonlyMap<number, IpWhitelist> = new Map<number, IpWhitelist>([
  [40164, 'app'],
  [61004, 'open-platform'],
  [60020, 'wecom'],
  [89503, 'admin-confirm'],
  [89501, 'admin-confirm'],
  [89506, 'admin-confirm'],
  [89507, 'admin-confirm'],
])

// The shapes WeChat writes the IP in, most specific first: `invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4` (40164),
// `requestIP: 1.2.3.4` (61004), `from ip: 1.2.3.4` (60020), `ip: 1.2.3.4`; then any IPv4 in the text.
const IP_SHAPES = [/invalid ip ([0-9a-fA-F.:]+)/, /requestIP:\s*([0-9a-fA-F.:]+)/i, /\bip:\s*([0-9a-fA-F.:]+)/i]
const ANY_IPV4 = /(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])/
const RID = /\brid:\s*([\w-]+)/

/** The address in `errmsg`, if one of the shapes holds a valid IP (a trailing `,` or `.` is not part of it). */
function ipIn(errmsg: string): string | undefined {
  for (const shape of [...IP_SHAPES, ANY_IPV4]) {
    const found = shape.exec(errmsg)?.[1]?.replace(/[.:]+$/, '')
    if (found !== undefined && isIP(found) !== 0) return found
  }
  return undefined
}

/**
 * What an IP refusal (`errcode` 40164, 61004, 60020, 89503, 89501, 89506, 89507) means, from its errmsg; `undefined`
 * for any other code. The errmsg should already be redacted (it is, in a `PlatformApiError`).
 */
export function diagnoseIp(errcode: number, errmsg: string): IpDiagnosis | undefined {
  const whitelist = BY_CODE.get(errcode)
  if (whitelist === undefined) return undefined
  const ip = ipIn(errmsg)
  const rid = RID.exec(errmsg)?.[1]
  const seen = ip === undefined ? 'this server’s IP' : ip
  const unknown =
    ip === undefined
      ? ` The platform did not say which IP it saw${rid !== undefined ? `: open-bridge rid <app> ${rid} (getRidInfo) shows it as client IP` : ''}.`
      : ''
  let advice: string
  if (whitelist !== 'admin-confirm') {
    advice = `the platform refused calls from ${ip ?? 'this server’s IP'}: add ${seen} to ${WHERE[whitelist]}.${unknown}`
  } else if (errcode === 89503) {
    advice = `the platform saw a call from ${seen}: an administrator of the app must confirm ${seen} in WeChat (WeChat sent them a confirmation request); nothing in the config fixes it.${unknown}`
  } else if (errcode === 89501) {
    advice = `${seen} is waiting for an administrator of the app to confirm it in WeChat: ask them to confirm it.${unknown}`
  } else {
    const ban =
      errcode === 89506
        ? 'twice in 24 hours: calls from it are refused for 24 hours'
        : 'within the hour: calls from it are refused for 1 hour'
    advice = `an administrator of the app rejected ${seen} ${ban}; ask them to confirm it next time (or add it to ${WHERE.app}).${unknown}`
  }
  return { ip, whitelist, adminMustConfirm: whitelist === 'admin-confirm', rid, advice }
}
