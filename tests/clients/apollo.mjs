// Apollo Client 4 in Node, built by the README's recipe (recipes/apollo.mjs),
// against two replicas of one authql (and a third whose access tokens last
// 2 s); run by tests/api/clients.rs. Requests go through a fetch that picks
// the replica and records what was sent and answered.
import { gql } from "@apollo/client";
import { authqlClient } from "./recipes/apollo.mjs";
import { advanceClock, check, env, login, run, sleep } from "./lib.mjs";

const REPLICAS = { A: env("REPLICA_A_URL"), B: env("REPLICA_B_URL"), SHORT: env("SHORT_TTL_URL") };
const USER = env("USER_NAME");
const PASSWORD = env("PASSWORD");

const ME = gql`query Me { me { id userName } }`;
const SESSIONS = gql`query MySessions { mySessions { id current deviceInfo } }`;
const NODE = gql`query Node($id: ID!) { node(id: $id) { id ... on User { userName } ... on Session { current } } }`;
const NODE_AGAIN = gql`query NodeAgain($id: ID!) { node(id: $id) { id } }`;
const LOGOUT_SESSION = gql`mutation LogoutSession($id: ID!) { logoutSession(sessionId: $id) }`;

/** "A", "B" or "SHORT": where requests go; "alternate": A, B, A... */
let route = "A";
let turn = 0;
/** Every request: { replica, method, operationName, hashOnly, codes, data }. */
const sent = [];

async function recordingFetch(uri, init = {}) {
  const replica = route === "alternate" ? ["A", "B"][turn++ % 2] : route;
  const asked = new URL(uri);
  const target = new URL(REPLICAS[replica]);
  target.search = asked.search;
  const method = init.method ?? "GET";
  const params = method === "GET" ? Object.fromEntries(asked.searchParams) : JSON.parse(init.body);
  const response = await fetch(target, init);
  const answer = await response.clone().json().catch(() => null);
  sent.push({
    replica,
    method,
    operationName: params.operationName,
    hashOnly: !params.query,
    codes: (answer?.errors ?? []).map((error) => error.extensions?.code),
    data: Boolean(answer?.data && Object.values(answer.data).some((value) => value !== null)),
  });
  return response;
}

const since = (mark) => sent.slice(mark);
const describe = (requests) =>
  requests.map((r) => `${r.replica} ${r.method} ${r.operationName}${r.hashOnly ? " (hash)" : ""}:${r.codes}`).join("; ");
const fresh = (client, query, variables) => client.query({ query, variables, fetchPolicy: "network-only" });

run(async () => {
  const { client, signIn, endSession, stop } = authqlClient(REPLICAS.A, recordingFetch);
  try {
    // Persisted queries: A learns the hash, then answers it alone; B does
    // not know it and gets the query on the retry.
    const tokens = await signIn(USER, PASSWORD);
    let mark = sent.length;
    const me = (await fresh(client, ME)).data.me;
    check(me.userName === USER, `me on A: ${JSON.stringify(me)}`);
    const first = since(mark);
    check(
      first.length === 2 && first[0].hashOnly && first[0].method === "GET" && first[0].codes[0] === "PERSISTED_QUERY_NOT_FOUND" && !first[1].hashOnly && first[1].data,
      `A: hash-only GET refused as unknown, then the query sent with it: ${describe(first)}`,
    );
    mark = sent.length;
    await fresh(client, ME);
    const again = since(mark);
    check(again.length === 1 && again[0].hashOnly && again[0].method === "GET" && again[0].data, `A: the hash alone answered: ${describe(again)}`);
    route = "B";
    mark = sent.length;
    check((await fresh(client, ME)).data.me.id === me.id, "me on B");
    const onB = since(mark);
    check(
      onB.length === 2 && onB[0].codes[0] === "PERSISTED_QUERY_NOT_FOUND" && !onB[1].hashOnly && onB[1].data,
      `B did not know A's hash, and the retry with the query worked: ${describe(onB)}`,
    );
    console.log(`ok persisted queries: ${describe([...first, ...again, ...onB])}`);

    // Several calls with an expired token (past exp and the 60 s of clock
    // skew), alternating between the replicas: one refresh, every call answered.
    route = "alternate";
    await advanceClock(tokens.expiresIn + 61);
    mark = sent.length;
    const answers = await Promise.all([
      fresh(client, ME),
      fresh(client, SESSIONS),
      fresh(client, NODE, { id: me.id }),
      fresh(client, NODE_AGAIN, { id: tokens.session.id }),
    ]);
    const expiry = since(mark);
    check(answers[0].data.me.id === me.id, "me after the refresh");
    check(answers[1].data.mySessions.length === 1, "mySessions after the refresh");
    check(answers[2].data.node?.userName === USER, `node(id:) of the user: ${JSON.stringify(answers[2].data)}`);
    check(answers[3].data.node?.id === tokens.session.id, `node(id:) of the session: ${JSON.stringify(answers[3].data)}`);
    const expired = expiry.filter((r) => r.codes.includes("TOKEN_EXPIRED")).length;
    const refreshes = expiry.filter((r) => r.operationName === "Refresh" && r.data).length;
    check(expired >= 2, `several calls were refused TOKEN_EXPIRED: ${describe(expiry)}`);
    check(refreshes === 1, `one refreshToken call for all of them: ${describe(expiry)}`);
    console.log(`ok refresh: ${expired} calls answered TOKEN_EXPIRED, ${refreshes} refresh, all four retried and answered`);

    // An ended session leaves the cache only when evicted.
    route = "A";
    const phone = await login(REPLICAS.A, USER, PASSWORD, "Phone");
    const tablet = await login(REPLICAS.A, USER, PASSWORD, "Tablet");
    const listed = (await fresh(client, SESSIONS)).data.mySessions;
    check(listed.length === 3, `three sessions listed: ${JSON.stringify(listed)}`);
    const cached = (id) => `Session:${id}` in client.cache.extract();
    check(cached(phone.session.id) && cached(tablet.session.id), "both sessions are in the cache");
    await client.mutate({ mutation: LOGOUT_SESSION, variables: { id: tablet.session.id } });
    check(cached(tablet.session.id), "without eviction, Apollo keeps the ended session in its cache");
    await endSession(phone.session.id);
    check(!cached(phone.session.id), "the recipe's endSession evicted the ended session");
    const left = client.readQuery({ query: SESSIONS }).mySessions.map((s) => s.id);
    check(!left.includes(phone.session.id), `mySessions read from the cache no longer lists it: ${left}`);
    console.log("ok eviction: the ended session is gone from the cache (and stays without the recipe's evict)");
  } finally {
    stop();
  }

  // Refreshing ahead of time: tokens of 2 s, refreshed at 90% of their life
  // with no call refused.
  route = "SHORT";
  const short = authqlClient(REPLICAS.SHORT, recordingFetch);
  try {
    const mark = sent.length;
    const tokens = await short.signIn(USER, PASSWORD);
    check(tokens.expiresIn === 2, `2 s tokens: ${tokens.expiresIn}`);
    await sleep(2_500);
    check((await fresh(short.client, ME)).data.me.userName === USER, "me with the refreshed token");
    const scheduled = since(mark);
    check(scheduled.some((r) => r.operationName === "Refresh" && r.data), `refreshed by the timer: ${describe(scheduled)}`);
    check(!scheduled.some((r) => r.codes.includes("TOKEN_EXPIRED")), `no call was refused: ${describe(scheduled)}`);
    console.log("ok scheduled refresh: refreshed from expiresIn before any call was refused");
  } finally {
    short.stop();
  }
});
