// urql with graphql-ws, built by the README's recipe (recipes/urql.mjs),
// against authql's live events; run by tests/api/clients.rs. Sockets are
// counted by the WebSocket class handed to graphql-ws, and reconnections
// wait 50 ms instead of graphql-ws's seconds of backoff.
import { gql } from "@urql/core";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { authqlUrql } from "./recipes/urql.mjs";
import { advanceClock, call, check, env, login, run, sleep } from "./lib.mjs";

const URL_ = env("GRAPHQL_URL");
const USER = env("USER_NAME");
const PASSWORD = env("PASSWORD");
const EVENTS = gql`subscription Events { sessionEvents { kind current reason session { deviceInfo } } }`;
const ME = gql`query Me { me { userName } }`;
const REFRESH = `mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken } }`;
const TIMEOUT = 10_000;

let sockets = 0;
class CountedWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    sockets += 1;
  }
}
const wsOptions = { webSocketImpl: CountedWebSocket, retryWait: () => sleep(50) };

/** The app's side of the recipe: its tokens and its refresh. */
function appAuth(tokens) {
  const auth = {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    refreshes: 0,
    async refresh() {
      auth.refreshes += 1;
      const answer = await call(URL_, REFRESH, { token: auth.refreshToken });
      check(answer.data, `refreshToken: ${JSON.stringify(answer)}`);
      Object.assign(auth, answer.data.refreshToken);
    },
  };
  return auth;
}

/** Every result of a subscription, and a way to wait for one. */
function watch(source) {
  const results = [];
  const waiters = [];
  const subscription = source.subscribe((result) => {
    results.push(result);
    for (const waiter of waiters) waiter();
  });
  const until = (what, test) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${TIMEOUT} ms: ${JSON.stringify(results)}`)), TIMEOUT);
      const look = () => {
        const found = results.find(test);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      waiters.push(look);
      look();
    });
  return { results, until, stop: () => subscription.unsubscribe() };
}

const opened = (device) => (r) => r.data?.sessionEvents.kind === "OPENED" && r.data.sessionEvents.session.deviceInfo === device;

run(async () => {
  // SESSION_REVOKED: the session ended elsewhere; the socket is not opened again.
  const laptop = await login(URL_, USER, PASSWORD, "Laptop");
  const client = authqlUrql(URL_, appAuth(laptop), wsOptions);
  check((await client.query(ME, {}).toPromise()).data?.me.userName === USER, "a query over HTTP with the bearer token");
  const events = watch(client.subscription(EVENTS, {}));
  const phone = await login(URL_, USER, PASSWORD, "Phone");
  await events.until("OPENED for the phone", opened("Phone"));
  const ended = await call(URL_, `mutation($id: ID!) { logoutSession(sessionId: $id) }`, { id: laptop.session.id }, phone.accessToken);
  check(ended.data?.logoutSession === true, `the phone ended the laptop's session: ${JSON.stringify(ended)}`);
  const closed = await events.until("the 4403 close", (r) => r.error);
  check(
    closed.error.networkError?.code === 4403 && closed.error.networkError.reason === "SESSION_REVOKED",
    `closed 4403 SESSION_REVOKED: ${closed.error}`,
  );
  check(events.results.some((r) => r.data?.sessionEvents.kind === "ENDED" && r.data.sessionEvents.current), "ENDED (current) came first");
  await sleep(500);
  check(sockets === 1, `the recipe did not reconnect after SESSION_REVOKED: ${sockets} sockets`);
  console.log("ok revoked: ENDED, then 4403 SESSION_REVOKED, and no reconnection");

  // What the recipe's shouldRetry is for: graphql-ws's default sends the
  // revoked token five more times.
  sockets = 0;
  const plain = createClient({ url: URL_.replace(/^http/, "ws"), connectionParams: { Authorization: `Bearer ${laptop.accessToken}` }, ...wsOptions });
  const refused = await new Promise((resolve) => {
    plain.subscribe({ query: "subscription { sessionEvents { kind } }" }, { next: () => {}, error: resolve, complete: () => resolve(null) });
  });
  check(refused?.code === 4403 && refused.reason === "SESSION_REVOKED", `plain graphql-ws: ${refused?.code} ${refused?.reason}`);
  check(sockets === 6, `plain graphql-ws retried the revoked token: ${sockets} sockets`);
  await plain.dispose();
  console.log(`ok gotcha: without the recipe, graphql-ws opened ${sockets} sockets with the revoked token`);

  // TOKEN_EXPIRED: the first socket's token is past exp and the skew; the
  // recipe refreshes in connectionParams and the second socket is live.
  sockets = 0;
  const tablet = await login(URL_, USER, PASSWORD, "Tablet");
  await advanceClock(tablet.expiresIn + 61);
  const auth = appAuth(tablet);
  const live = watch(authqlUrql(URL_, auth, wsOptions).subscription(EVENTS, {}));
  await sleep(300);
  await login(URL_, USER, PASSWORD, "Desktop");
  await live.until("OPENED for the desktop", opened("Desktop"));
  check(!live.results.some((r) => r.error), `no error reached the subscription: ${JSON.stringify(live.results)}`);
  check(auth.refreshes === 1 && auth.accessToken !== tablet.accessToken, `refreshed once: ${auth.refreshes}`);
  check(sockets === 2, `reconnected once, with the fresh token: ${sockets} sockets`);
  live.stop();
  console.log("ok expired: 4403 TOKEN_EXPIRED, one refresh in connectionParams, and the second socket delivers events");
});
