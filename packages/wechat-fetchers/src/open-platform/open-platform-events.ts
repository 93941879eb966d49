/**
 * What the Open Platform family reports (`onOpenPlatformEvent`): for metrics and alerts. Appids and errcodes only;
 * never a ticket, token, refresh token or authorisation code.
 */
export type OpenPlatformEvent =
  /** A pushed verify ticket was stored (`duplicate`: the same ticket again, nothing written). */
  | { type: 'ticket-stored'; componentAppid: string; createTime: number; duplicate: boolean }
  /** The newest ticket was refused (61005 / 61006) and the previous one, still within 12 h, was used. */
  | { type: 'ticket-fallback'; componentAppid: string; errcode: number }
  /** An account authorised (or updated its authorisation): its tokens are stored. */
  | { type: 'authorized'; componentAppid: string; authorizerAppid: string }
  /** An account withdrew its authorisation: its credentials are removed. */
  | { type: 'unauthorized'; componentAppid: string; authorizerAppid: string }
  /** 61023 and no other refresh token listed: the account must authorise again (no further call is made for it). */
  | { type: 'reauthorization-needed'; componentAppid: string; authorizerAppid: string; errcode: number }
  /** A refresh token missing from the tiers (or refused) was recovered from `api_get_authorizer_list`. */
  | { type: 'refresh-token-recovered'; componentAppid: string; authorizerAppid: string }
  /** `api_authorizer_token` gave the account a new token. */
  | { type: 'authorizer-refreshed'; componentAppid: string; authorizerAppid: string }
  /** `api_authorizer_token` failed (`errcode` when the platform answered one). */
  | {
      type: 'authorizer-refresh-failed'
      componentAppid: string
      authorizerAppid: string
      code: string
      errcode?: number
    }

export type OpenPlatformEventType = OpenPlatformEvent['type']
export type OpenPlatformListener = (event: OpenPlatformEvent) => void

/** The listeners of one source's Open Platform family. A throwing listener never breaks the flow that reported. */
export class OpenPlatformEvents {
  readonly #listeners = new Set<OpenPlatformListener>()

  on(listener: OpenPlatformListener): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  emit(event: OpenPlatformEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(Object.freeze({ ...event }) as OpenPlatformEvent)
      } catch {
        // A listener's mistake is its own: the credential flow goes on.
      }
    }
  }
}
