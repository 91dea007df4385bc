import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient } from "graphql-ws";

// `auth` is the app's: { accessToken, refresh() } where refresh() calls
// refreshToken and updates accessToken. `wsOptions` go to graphql-ws as
// they are (webSocketImpl: WebSocket from "ws" in Node).
export function authqlUrql(url, auth, wsOptions = {}) {
  let lastClose;
  const socket = createClient({
    url: url.replace(/^http/, "ws"),
    // Asked again at every reconnection: after 4403 TOKEN_EXPIRED, refresh first.
    connectionParams: async () => {
      if (lastClose?.code === 4403 && lastClose.reason === "TOKEN_EXPIRED") await auth.refresh();
      return { Authorization: `Bearer ${auth.accessToken}` };
    },
    // graphql-ws retries a 4403 close like any other: a revoked session
    // (SESSION_REVOKED) or a refused token would be sent again five times.
    shouldRetry: (close) => close?.code !== 4403 || close.reason === "TOKEN_EXPIRED",
    on: { closed: (close) => (lastClose = close) },
    ...wsOptions,
  });
  return new Client({
    url,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${auth.accessToken}` } }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: socket.subscribe({ ...request, query: request.query ?? "" }, sink) }),
        }),
      }),
    ],
  });
}
