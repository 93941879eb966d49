import type { CredentialBridge } from '@open-bridge/core'
import {
  applyComponentPush,
  authorizerHome,
  authorizerRefreshToken,
  componentAccessToken,
  componentVerifyTicket,
  onOpenPlatformEvent,
  wechatSource,
  type AuthorizerHomeValue,
  type ComponentPushOutcome,
  type ComponentVerifyTicketValue,
} from '@open-bridge/wechat-fetchers'
import { describe, expectTypeOf, it } from 'vitest'

declare const bridge: CredentialBridge

describe('Open Platform types', () => {
  it('the kinds are typed by their keys and values', () => {
    expectTypeOf(
      bridge.credential(componentVerifyTicket).get({ componentAppid: 'wx' }),
    ).resolves.toEqualTypeOf<ComponentVerifyTicketValue | null>()
    expectTypeOf(bridge.credential(componentAccessToken).get({ componentAppid: 'wx' })).resolves.toEqualTypeOf<{
      component_access_token: string
    } | null>()
    expectTypeOf(
      bridge.credential(authorizerHome).get({ authorizerAppid: 'wx' }),
    ).resolves.toEqualTypeOf<AuthorizerHomeValue | null>()
    // @ts-expect-error: a refresh token's key names its component
    void bridge.credential(authorizerRefreshToken).get({ authorizerAppid: 'wx' })
  })

  it('options, pushes and events', () => {
    wechatSource({ openPlatform: { components: [{ componentAppid: 'wx', componentSecret: 's' }] } })
    // @ts-expect-error: the components are required
    wechatSource({ openPlatform: {} })
    expectTypeOf(applyComponentPush(bridge, { fields: {} })).resolves.toEqualTypeOf<ComponentPushOutcome>()
    onOpenPlatformEvent(bridge, (event) => {
      if (event.type === 'reauthorization-needed') expectTypeOf(event.errcode).toEqualTypeOf<number>()
    })
  })
})
