/** What the Open Platform tests and their bridge worker processes say to each other over IPC (plain JSON). */
export type OpTier = { type: 'memory' } | { type: 'redis'; url: string } | { type: 'sqlite'; path: string }

export type OpCommand =
  | {
      type: 'init'
      fakeUrl: string
      stores: OpTier[]
      components: { componentAppid: string; componentSecret: string }[]
      refreshAhead?: number
      expiryMarginSeconds?: number
    }
  /** `callers` concurrent `getAccessToken` calls at `startAt` (ms since the epoch). */
  | { type: 'herd'; appid: string; platform: 'weixin-h5' | 'weixin-mp'; callers: number; startAt: number }
  /** `callers` loops of getAccessToken + a business call until `durationMs` has passed. */
  | {
      type: 'soak'
      appids: string[]
      platform: 'weixin-h5' | 'weixin-mp'
      callers: number
      durationMs: number
      pauseMs: number
      startAt: number
    }
  | { type: 'close' }

export type OpReply = { type: 'done'; result: unknown } | { type: 'failed'; message: string }

export interface HerdResult {
  tokens: string[]
  errors: string[]
  failed: number
}

export interface SoakResult {
  calls: number
  rejected: number
  errors: string[]
  tokens: number
}
