// @open-bridge/remote: remoteBridge() and the request-signing rule shared with @open-bridge/server (work in progress).
export {}
