import { inspect } from 'node:util'
import { diagnoseIp, type PlatformApiError } from '@open-bridge/wechat-fetchers'
import { FAKE_IP_ERRCODES } from '@open-bridge/wechat-fetchers/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { H5, MP, startWorld, type World, h5Key, mpKey } from './support.js'

let world: World | undefined
afterEach(async () => {
  await world?.close()
  world = undefined
})

const refusal = async (key: typeof mpKey | typeof h5Key): Promise<PlatformApiError> =>
  (await world!.bridge.getAccessToken(key).catch((e: unknown) => e)) as PlatformApiError

describe('IP diagnosis: the error says which IP the platform saw and what to do, never the secret', () => {
  it.each([
    [40164, 'config', 'app', false, /add 203\.0\.113\.9 to the app's API IP whitelist/],
    [61004, 'config', 'open-platform', false, /third-party platform's whitelist/],
    [60020, 'config', 'wecom', false, /WeCom/],
    [89503, 'ip-confirm', 'admin-confirm', true, /an administrator of the app must confirm 203\.0\.113\.9 in WeChat/],
    [89501, 'ip-confirm', 'admin-confirm', true, /waiting for an administrator/],
    [89506, 'ip-confirm', 'admin-confirm', true, /rejected/],
    [89507, 'ip-confirm', 'admin-confirm', true, /rejected/],
  ] as const)(
    '%i (fake WeChat, its errmsg): category %s, whitelist %s',
    async (errcode, category, whitelist, admin, advice) => {
      world = await startWorld({ fake: { clientIp: '203.0.113.9' } })
      world.fake.refuseIp(errcode)
      const error = await refusal(mpKey)
      expect(error).toMatchObject({ code: 'E_PLATFORM_API', errcode, category })
      expect(error.ipDiagnosis).toMatchObject({
        ip: '203.0.113.9',
        whitelist,
        adminMustConfirm: admin,
        // WeCom's 60020 carries a `hint`, no WeChat rid.
        rid: errcode === 60020 ? undefined : expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/),
      })
      expect(error.ipDiagnosis!.advice).toMatch(advice)
      expect(error.message).toContain(error.ipDiagnosis!.advice)
      expect(JSON.parse(JSON.stringify(error))).toMatchObject({ ipDiagnosis: { ip: '203.0.113.9', whitelist } })
      const everything = `${inspect(error, { depth: 20, showHidden: true })}${JSON.stringify(error)}${error.stack}`
      expect(everything).not.toContain(MP.secret)
    },
  )

  it('covers every IP refusal the fake sends', () => {
    for (const errcode of FAKE_IP_ERRCODES) expect(diagnoseIp(errcode, 'x ip: 192.0.2.1')).toBeDefined()
  })

  it("WeChat's published errmsg samples: the IP is read from each shape", () => {
    const samples: Array<[number, string, string]> = [
      [40164, 'invalid ip 101.45.43.1 ipv6 ::ffff:101.45.43.1, not in whitelist hint: [jotvMa01143580]', '101.45.43.1'],
      [
        40164,
        'invalid ip 120.244.112.8 ipv6 ::ffff:120.244.112.8, not in whitelist rid: 5fa26c60-1a0ebdd5-32fd1cd0',
        '120.244.112.8',
      ],
      [
        61004,
        'access clientip is not registered requestIP: 106.12.12.30 rid: 5f9b8f0d-25dabd3d-23cb1a46',
        '106.12.12.30',
      ],
      [61004, 'access clientip is not registered hint: [.mL09541512] requestIP: 120.55.36.117', '120.55.36.117'],
      [
        60020,
        'not allow to access from your ip, hint: [1662317178339603627481038], from ip: 114.132.235.244, more info at https://open.work.weixin.qq.com/devtool/query?e=60020',
        '114.132.235.244',
      ],
    ]
    for (const [errcode, errmsg, ip] of samples) expect(diagnoseIp(errcode, errmsg)).toMatchObject({ ip })
    expect(diagnoseIp(40164, samples[1]![1])!.rid).toBe('5fa26c60-1a0ebdd5-32fd1cd0')
  })

  it('no IP in the errmsg: the diagnosis says so and points at `open-bridge rid`; other codes get none', () => {
    const diagnosis = diagnoseIp(89503, 'this ip need admin confirm rid: 5fa26c60-1a0ebdd5-32fd1cd0')!
    expect(diagnosis).toMatchObject({ ip: undefined, adminMustConfirm: true, rid: '5fa26c60-1a0ebdd5-32fd1cd0' })
    expect(diagnosis.advice).toContain('open-bridge rid <app> 5fa26c60-1a0ebdd5-32fd1cd0')
    expect(diagnoseIp(40125, 'invalid appsecret ip: 1.2.3.4')).toBeUndefined()
    expect(diagnoseIp(40164, 'invalid ip 999.1.1.1, not in whitelist')!.ip).toBeUndefined()
  })

  it('a classic-token app (weixin-h5) and a platform error without an IP problem carry no diagnosis', async () => {
    world = await startWorld({ fake: { clientIp: '2001:db8::7' } })
    world.fake.refuseIp(40164, { endpoints: ['token'] })
    const refused = await refusal(h5Key)
    expect(refused.ipDiagnosis).toMatchObject({ ip: '2001:db8::7', whitelist: 'app' })
    expect(refused.message).not.toContain(H5.secret)
    world.fake.allowIp()
    world.fake.inject('stable_token', { errcode: 40125, errmsg: 'invalid appsecret' })
    const wrong = await refusal(mpKey)
    expect(wrong.ipDiagnosis).toBeUndefined()
    expect(JSON.stringify(wrong)).not.toContain('ipDiagnosis')
  })
})
