import { createHash } from "node:crypto";
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { ErrorLink } from "@apollo/client/link/error";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { from, switchMap } from "rxjs";

const TOKENS = gql`fragment Tokens on AuthPayload { accessToken refreshToken expiresIn session { id } }`;
const LOGIN = gql`mutation Login($input: LoginInput!) { login(input: $input) { ...Tokens } } ${TOKENS}`;
const REFRESH = gql`mutation Refresh($token: String!) { refreshToken(refreshToken: $token) { ...Tokens } } ${TOKENS}`;
const LOGOUT_SESSION = gql`mutation LogoutSession($id: ID!) { logoutSession(sessionId: $id) }`;

export function authqlClient(uri, fetch = globalThis.fetch) {
  let tokens = null;
  let refreshing = null;
  let timer;
  const keep = (payload) => {
    tokens = payload;
    // TOKEN_EXPIRED comes up to 60 s after exp (the clock-skew allowance):
    // refresh ahead of it, at 90% of the token's life.
    clearTimeout(timer);
    // A failed early refresh shows at the next call, as TOKEN_EXPIRED then
    // INVALID_REFRESH_TOKEN.
    timer = setTimeout(() => refresh().catch(() => {}), payload.expiresIn * 900);
    return payload;
  };
  // One refreshToken call, shared by every operation that waits on it.
  const refresh = () =>
    (refreshing ??= client
      .mutate({ mutation: REFRESH, variables: { token: tokens.refreshToken } })
      .then(({ data }) => keep(data.refreshToken))
      .finally(() => (refreshing = null)));

  const auth = new SetContextLink(({ headers }) => ({
    sentWith: tokens?.accessToken,
    headers: { ...headers, ...(tokens && { authorization: `Bearer ${tokens.accessToken}` }) },
  }));
  const retryExpired = new ErrorLink(({ error, operation, forward }) => {
    const expired = CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === "TOKEN_EXPIRED");
    if (!expired) return;
    // Sent before the latest refresh: the new token is there already.
    const fresh = operation.getContext().sentWith === tokens.accessToken ? refresh() : Promise.resolve();
    return from(fresh).pipe(switchMap(() => forward(operation)));
  });
  const persisted = new PersistedQueryLink({
    sha256: (query) => createHash("sha256").update(query).digest("hex"),
    useGETForHashedQueries: true,
  });
  const client = new ApolloClient({
    link: ApolloLink.from([retryExpired, auth, persisted, new HttpLink({ uri, fetch })]),
    cache: new InMemoryCache({ possibleTypes: { Node: ["User", "Session"] } }),
  });

  return {
    client,
    signIn: async (userName, password) =>
      keep((await client.mutate({ mutation: LOGIN, variables: { input: { userName, password } } })).data.login),
    // Apollo keeps an ended session in its cache until it is evicted.
    endSession: (id) =>
      client.mutate({
        mutation: LOGOUT_SESSION,
        variables: { id },
        update: (cache) => {
          cache.evict({ id: cache.identify({ __typename: "Session", id }) });
          cache.gc();
        },
      }),
    stop: () => clearTimeout(timer),
  };
}
