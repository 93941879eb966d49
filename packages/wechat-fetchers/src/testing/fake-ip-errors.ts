/**
 * The platform's refusals of the caller's IP, with the errmsg each one carries as WeChat answers it (samples from
 * WeChat's developer community and SDK issue trackers): the IP the platform saw is in the text.
 */
export type FakeIpErrcode = 40164 | 61004 | 60020 | 89503 | 89501 | 89506 | 89507

export const FAKE_IP_ERRCODES: readonly FakeIpErrcode[] = [40164, 61004, 60020, 89503, 89501, 89506, 89507]

/** The errmsg of an IP refusal: `ip` is the address the platform saw, `rid` the request id. */
export function fakeIpErrmsg(errcode: FakeIpErrcode, ip: string, rid: string): string {
  switch (errcode) {
    case 40164: // official account / mini-program API IP whitelist
      return `invalid ip ${ip} ipv6 ::ffff:${ip}, not in whitelist rid: ${rid}`
    case 61004: // third-party platform (Open Platform) whitelist
      return `access clientip is not registered requestIP: ${ip} rid: ${rid}`
    case 60020: // WeCom trusted IPs
      return `not allow to access from your ip, hint: [${rid}], from ip: ${ip}, more info at https://open.work.weixin.qq.com/devtool/query?e=60020`
    // The IP-confirmation family: no errmsg sample is published; the fake says what the code means, with the IP.
    case 89503:
      return `this ip need admin confirm, please contact admin, ip: ${ip} rid: ${rid}`
    case 89501:
      return `this ip is waiting for admin confirm, please contact admin, ip: ${ip} rid: ${rid}`
    case 89506:
      return `this ip was rejected by admin twice within 24 hours, ip: ${ip} rid: ${rid}`
    default:
      return `this ip was rejected by admin within 1 hour, ip: ${ip} rid: ${rid}`
  }
}
