// graphql-request, by the README's recipe (recipes/graphql-request.mjs):
// login, then me. Run by tests/api/clients.rs.
import { whoAmI } from "./recipes/graphql-request.mjs";
import { check, env, run } from "./lib.mjs";

run(async () => {
  const me = await whoAmI(env("GRAPHQL_URL"), env("USER_NAME"), env("PASSWORD"));
  check(me.userName === env("USER_NAME") && me.id, `me: ${JSON.stringify(me)}`);
  console.log(`ok graphql-request: signed in and asked me (${me.userName})`);
});
