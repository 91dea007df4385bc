// What the client scripts share: their settings (from tests/api/clients.rs,
// in the environment), checks, plain calls to authql, and the clock.

export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through cargo test)`);
  return value;
};

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One GraphQL call over plain fetch, not through the client under test. */
export async function call(url, query, variables = {}, token) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

/** Opens a session for `device`; returns the login payload. */
export async function login(url, userName, password, device) {
  const answer = await call(
    url,
    `mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken expiresIn session { id } } }`,
    { input: { userName, password, deviceInfo: device } },
  );
  check(answer.data?.login, `login as ${device}: ${JSON.stringify(answer)}`);
  return answer.data.login;
}

/** Moves authql's clock forward by `secs` (a control route of the test). */
export async function advanceClock(secs) {
  const moved = await fetch(`${env("CONTROL_URL")}/advance?secs=${secs}`, { method: "POST" });
  check(moved.ok, "the clock moved");
}

/** Runs `main`, then exits (open sockets or timers of a failed run would
 *  keep Node alive): 0 when it passed, 1 with the error printed. */
export async function run(main) {
  try {
    await main();
    console.log("all steps passed");
    process.exit(0);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}
