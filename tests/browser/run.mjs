// The browser test, run by tests/api/browser.rs (which starts every server
// and passes their addresses in the environment). Each step prints one
// line; the first failed check ends the run with a non-zero exit.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "@otplib/uri";
import jsQR from "jsqr";
import { generate } from "otplib";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through cargo test)`);
  return value;
};
const API = env("API_URL");
const LOCAL_API = env("LOCAL_API_URL");
const APP = env("APP_URL");
const OTHER_ORIGIN = env("OTHER_ORIGIN_URL");
const OTHER_SITE = env("OTHER_SITE_URL");
const USER = env("USER_NAME");
const PASSWORD = env("PASSWORD");
// The factors step's user (browser.rs adds it), who turns TOTP on.
const FACTORS_USER = env("FACTORS_USER_NAME");
const FACTORS_PASSWORD = env("FACTORS_PASSWORD");
// The passkeys step: the app and authql on `localhost` (the relying-party
// id; an IP address cannot be one), and its user, who adds a passkey.
const PASSKEY_APP = env("PASSKEY_APP_URL");
const PASSKEY_API = env("PASSKEY_API_URL");
const PASSKEY_LOCAL_API = env("PASSKEY_LOCAL_API_URL");
const PASSKEY_USER = env("PASSKEY_USER_NAME");
const PASSKEY_PASSWORD = env("PASSKEY_PASSWORD");
// The devices step's user, with a verified address for the alert.
const DEVICES_USER = env("DEVICES_USER_NAME");
const DEVICES_PASSWORD = env("DEVICES_PASSWORD");
const DEVICES_EMAIL = env("DEVICES_EMAIL");
// The admin step: the only admin, and the user the admin acts on (with a
// verified address for the reset mail).
const ADMIN_USER = env("ADMIN_USER_NAME");
const ADMIN_PASSWORD = env("ADMIN_PASSWORD");
const MANAGED_USER = env("MANAGED_USER_NAME");
const MANAGED_PASSWORD = env("MANAGED_PASSWORD");
const MANAGED_EMAIL = env("MANAGED_EMAIL");
const SCREENSHOTS = env("SCREENSHOTS");
const SUFFIX = env("SCREENSHOT_SUFFIX");
// "all", or the names of the steps to run, such as "sessions accounts".
const STEPS = env("STEPS");
const TIMEOUT = 15_000;
const wanted = (step) => STEPS === "all" || STEPS.split(" ").includes(step);

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  args: ["--no-sandbox", `--host-resolver-rules=MAP evil.test 127.0.0.1`],
});

/** A browser context with the app open (at `app`, calling authql at
 *  `api`), its API traffic recorded; `beforeLoad` runs first (it may add a
 *  script to the page). */
async function openApp(app = APP, api = API, beforeLoad = async () => {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await beforeLoad(context, page);
  // Bearer tokens sent, error codes and operations answered (`log`: each
  // answer as "Operation:CODES", for failure messages), page errors.
  const seen = { tokens: new Set(), codes: [], operations: [], log: [], events: [] };
  page.on("pageerror", (error) => seen.events.push(`error ${error}`));
  page.on("request", (request) => {
    if (!request.url().startsWith(api)) return;
    const auth = request.headers()["authorization"];
    if (auth) seen.tokens.add(auth.replace(/^Bearer /, ""));
    const body = request.postData();
    if (body) seen.operations.push(JSON.parse(body).query.match(/(mutation|query) (\w+)/)?.[2]);
  });
  page.on("response", async (response) => {
    if (!response.url().startsWith(api) || response.request().method() !== "POST") return;
    try {
      const answer = await response.json();
      for (const error of answer.errors ?? []) seen.codes.push(error.extensions?.code);
      const op = JSON.parse(response.request().postData()).query.match(/(mutation|query) (\w+)/)?.[2];
      seen.log.push(`${op}:${(answer.errors ?? []).map((e) => e.extensions?.code)}`);
    } catch {
      // Not JSON (a preflight): nothing to record.
    }
  });
  await page.goto(app);
  return { context, page, seen };
}

/** Fills the sign-in form and sends it. */
async function sendSignIn({ page }, device, user, password) {
  await page.locator("#signin").waitFor({ state: "visible", timeout: TIMEOUT });
  await page.fill("#user", user);
  await page.fill("#password", password);
  await page.fill("#device", device);
  await page.click("#signin button[type=submit]");
}

async function signIn(app, device, user = USER, password = PASSWORD) {
  await sendSignIn(app, device, user, password);
  await app.page.locator("#account").waitFor({ state: "visible", timeout: TIMEOUT });
}

/** Moves authql's clock forward by `secs`. */
async function advanceClock(secs) {
  const moved = await fetch(`${APP}/__test/advance?secs=${secs}`, { method: "POST" });
  check(moved.ok, "the clock moved");
}

/** Resolves when `page` gets an `Account` answer without errors. */
function accountAnswered(page) {
  return page.waitForResponse(
    async (response) => {
      if (!response.url().startsWith(API)) return false;
      if (!(response.request().postData() ?? "").includes("query Account")) return false;
      return !(await response.json()).errors;
    },
    { timeout: TIMEOUT },
  );
}

async function refreshCookie(context, api = API) {
  const host = new URL(api).hostname;
  const cookies = await context.cookies();
  return cookies.find((cookie) => cookie.name === "authql_refresh" && cookie.domain === host);
}

async function sessionsStep() {
  const laptop = await openApp();
  await signIn(laptop, "Laptop");
  const current = laptop.page.locator('tr[data-current="true"]');
  await current.waitFor({ timeout: TIMEOUT });
  check((await current.textContent()).includes("Laptop"), "the current session is this device");
  check((await current.textContent()).includes("this device"), "the current session is marked");
  const cookie = await refreshCookie(laptop.context);
  check(
    cookie && cookie.httpOnly && cookie.secure && cookie.path === "/graphql",
    `an HttpOnly, Secure cookie for /graphql: ${JSON.stringify(cookie && { ...cookie, value: "…" })}`,
  );

  const phone = await openApp();
  await signIn(phone, "Phone");
  // No reload: the laptop hears of the phone's session over its socket.
  await laptop.page.waitForFunction(() => document.querySelectorAll("#sessions tr").length === 2, null, { timeout: TIMEOUT });
  await laptop.page.screenshot({ path: path.join(SCREENSHOTS, `app-two-sessions-${SUFFIX}.png`) });

  await laptop.page.click("#end-others");
  await laptop.page.waitForFunction(() => document.querySelectorAll("#sessions tr").length === 1, null, { timeout: TIMEOUT });
  // No click either: the phone's socket is closed with SESSION_REVOKED and
  // it signs itself out, within the contract's 2 s.
  const endedAt = Date.now();
  await phone.page.locator("#signin").waitFor({ state: "visible", timeout: TIMEOUT });
  const tookMs = Date.now() - endedAt;
  check(tookMs < 2_500, `the phone signed itself out within 2 s of the end: ${tookMs} ms`);
  const notice = await phone.page.textContent("#notice");
  check(notice.includes("signed out"), `the phone says it was signed out: ${notice} ${phone.seen.log} ${phone.seen.events}`);
  await phone.page.screenshot({ path: path.join(SCREENSHOTS, `app-signed-out-elsewhere-${SUFFIX}.png`) });
  check(laptop.seen.events.length + phone.seen.events.length === 0, `no page error: ${laptop.seen.events} ${phone.seen.events}`);
  await phone.context.close();
  console.log("ok sessions: this device marked; the second device's session appears live; ending all others signs the second context out at once");
  return laptop;
}

/** No access token the page has sent is in its storage or readable
 *  cookies, and the refresh cookie is not readable by script. */
async function checkNothingStored({ page, seen }) {
  const stored = await page.evaluate(() =>
    JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]),
  );
  for (const token of seen.tokens) check(!stored.includes(token), "no access token in storage or document.cookie");
  check(!stored.includes("authql_refresh"), "the refresh cookie is not readable by script");
}

async function reloadStep(laptop) {
  await checkNothingStored(laptop);
  await laptop.page.reload();
  await laptop.page.locator("#account").waitFor({ state: "visible", timeout: TIMEOUT });
  check((await laptop.page.textContent("#me-name")) === USER, "still signed in after a reload");
  check(laptop.seen.tokens.size >= 2, `access tokens were used (${laptop.seen.tokens.size})`);
  await checkNothingStored(laptop);
  console.log("ok reload: signed in again from the cookie; no token in storage or document.cookie");
}

async function expiryStep(laptop) {
  const before = (await refreshCookie(laptop.context)).value;
  const refreshesBefore = laptop.seen.operations.filter((op) => op === "RefreshFromCookie").length;
  // Past the 60 s lifetime and the 60 s of tolerated clock skew.
  await advanceClock(125);
  const answered = accountAnswered(laptop.page);
  await laptop.page.click("#reload-sessions");
  await answered;
  await laptop.page.waitForFunction(
    () => document.querySelectorAll("#sessions tr").length === 1 && !document.querySelector("#account").hidden,
    null,
    { timeout: TIMEOUT },
  );
  check(
    !(await laptop.page.isVisible("#signin")),
    `the user never saw the sign-in form: ${await laptop.page.textContent("#notice")}; log ${laptop.seen.log}`,
  );
  check(laptop.seen.codes.includes("TOKEN_EXPIRED"), `the expired token was refused: ${laptop.seen.codes}`);
  const refreshes = laptop.seen.operations.filter((op) => op === "RefreshFromCookie").length;
  check(refreshes === refreshesBefore + 1, `one refresh (${refreshesBefore} → ${refreshes})`);
  const after = (await refreshCookie(laptop.context)).value;
  check(after !== before, "the refresh token rotated");
  await checkNothingStored(laptop);
  console.log("ok expiry: TOKEN_EXPIRED refreshed by the app itself; the refresh token rotated");
}

/** CORS_ALLOWED_HEADERS (browser.rs allows `traceparent`): the app's page
 *  may send it with a call, as OpenTelemetry's fetch instrumentation does;
 *  an unlisted header fails the preflight, so the call is never sent. */
async function preflightStep({ page }) {
  const outcome = await page.evaluate(async (api) => {
    const send = async (header) => {
      try {
        const response = await fetch(`${api}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", [header]: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
          body: JSON.stringify({ query: "{ __typename }" }),
        });
        return (await response.json()).data?.__typename ?? "no data";
      } catch (error) {
        return `blocked: ${error}`;
      }
    };
    return { listed: await send("traceparent"), unlisted: await send("x-unlisted") };
  }, API);
  check(outcome.listed === "Query", `a call with traceparent went through: ${outcome.listed}`);
  check(outcome.unlisted.startsWith("blocked"), `a call with x-unlisted was refused at preflight: ${outcome.unlisted}`);
  console.log("ok preflight: traceparent (listed in CORS_ALLOWED_HEADERS) allowed; x-unlisted refused");
}

async function attackStep(laptop) {
  const before = (await refreshCookie(laptop.context)).value;
  for (const origin of [OTHER_ORIGIN, OTHER_SITE]) {
    const attacker = await laptop.context.newPage();
    await attacker.goto(origin);
    const outcome = await attacker.evaluate(async (api) => {
      const refresh = JSON.stringify({ query: "mutation { refreshToken { accessToken } }" });
      const result = {};
      try {
        const response = await fetch(`${api}/graphql`, {
          method: "POST",
          credentials: "include",
          headers: { "content-type": "application/json" },
          body: refresh,
        });
        result.read = await response.text();
      } catch (error) {
        result.blocked = String(error);
      }
      // What a page may send without asking: a "simple" request it cannot read.
      const simple = await fetch(`${api}/graphql`, {
        method: "POST",
        mode: "no-cors",
        credentials: "include",
        headers: { "content-type": "text/plain" },
        body: refresh,
      });
      result.simple = simple.type;
      return result;
    }, API);
    check(outcome.blocked && !outcome.read, `${origin}: the browser blocked the call (${JSON.stringify(outcome)})`);
    check(outcome.simple === "opaque", `${origin}: the simple request was unreadable`);
    await attacker.close();
  }
  const after = (await refreshCookie(laptop.context)).value;
  check(after === before, "the forged refreshes changed nothing");
  const answered = accountAnswered(laptop.page);
  await laptop.page.click("#reload-sessions");
  await answered;
  check(await laptop.page.isVisible("#account"), "still signed in after the attacks");
  console.log("ok attacks: unlisted origin and other site blocked; the cookie did not change");
}

/** The access token of a fresh login, for GraphiQL's header editor. */
async function bearer(api) {
  const response = await fetch(`${api}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: `mutation { login(input: {userName: ${JSON.stringify(USER)}, password: ${JSON.stringify(PASSWORD)}}) { accessToken } }`,
    }),
  });
  const answer = await response.json();
  return answer.data.login.accessToken;
}

/** A page on `api` where every request to another host fails, or is
 *  answered by `cdn` (url → body) when it names the URL, or never answered
 *  when `cdn` is "hang". */
async function isolatedPage(api, cdn = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const own = new URL(api).host;
  const elsewhere = [];
  const policyViolations = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) policyViolations.push(message.text());
  });
  await context.route("**/*", async (route) => {
    const url = new URL(route.request().url());
    if (url.host === own) return route.continue();
    elsewhere.push(url.href);
    if (cdn === "hang") return; // neither answered nor refused: a dead link
    const body = cdn[url.href];
    if (body === undefined) return route.abort("internetdisconnected");
    const type = url.pathname.endsWith(".css") ? "text/css" : "text/javascript";
    return route.fulfill({ body, contentType: type, headers: { "access-control-allow-origin": "*" } });
  });
  // Not waiting for "load": with a dead CDN it never comes.
  await page.goto(`${api}/graphql`, { waitUntil: "commit" });
  return { context, page, elsewhere, policyViolations };
}

async function runInGraphiQL(page, token) {
  await page.locator(".graphiql-container").waitFor({ timeout: TIMEOUT });
  await page.locator(".graphiql-query-editor .CodeMirror").waitFor({ timeout: TIMEOUT });
  await page.evaluate(() => {
    document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue("{ me { userName } }");
  });
  await page.getByRole("button", { name: "Headers" }).click();
  const headers = page.locator(".graphiql-editor-tool .CodeMirror").locator("visible=true");
  await headers.waitFor({ timeout: TIMEOUT });
  await headers.evaluate(
    (editor, header) => editor.CodeMirror.setValue(header),
    JSON.stringify({ Authorization: `Bearer ${token}` }),
  );
  await page.click(".graphiql-execute-button");
  try {
    await page.waitForFunction(
      (user) => document.querySelector(".graphiql-response")?.textContent.includes(`"userName": "${user}"`),
      USER,
      { timeout: TIMEOUT },
    );
  } catch (error) {
    await page.screenshot({ path: path.join(SCREENSHOTS, "graphiql-failed.png") });
    const shown = await page.evaluate(() => document.querySelector(".graphiql-response")?.textContent);
    throw new Error(`GraphiQL did not show the answer (see graphiql-failed.png): ${shown}: ${error}`);
  }
}

/** Ends the session of `token` through `api`. */
async function logout(api, token) {
  const response = await fetch(`${api}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "mutation { logout }" }),
  });
  const answer = await response.json();
  check(answer.data?.logout === true, `logout: ${JSON.stringify(answer)}`);
}

/** With `sessionEvents` running on the page (its answer in `selector`):
 *  logins elsewhere show as OPENED, and the end of the subscription's own
 *  session shows as ENDED (current) and then the 4403 close. */
async function eventsShow(page, selector, api, token, what) {
  const shows = (text) => page.evaluate(
    ([selector, text]) => document.querySelector(selector)?.textContent.includes(text),
    [selector, text],
  );
  // A login until one is heard: the first may come before the socket is up.
  const began = Date.now();
  while (!(await shows('"OPENED"'))) {
    check(Date.now() - began < TIMEOUT, `${what}: no OPENED event shown`);
    await bearer(api);
    await page.waitForTimeout(700);
  }
  await logout(api, token);
  try {
    await page.waitForFunction(
      (selector) => {
        const text = document.querySelector(selector)?.textContent ?? "";
        return text.includes('"current": true') && text.includes("SESSION_REVOKED");
      },
      selector,
      { timeout: TIMEOUT },
    );
  } catch (error) {
    const shown = await page.evaluate((selector) => document.querySelector(selector)?.textContent, selector);
    throw new Error(`${what}: the own session's end did not show: ${shown}: ${error}`);
  }
}

const EVENTS = "subscription { sessionEvents { kind sessionId current reason } }";

async function graphiqlStep() {
  // GRAPHIQL_ASSETS_DIR: GraphiQL from authql alone.
  const local = await isolatedPage(LOCAL_API);
  await runInGraphiQL(local.page, await bearer(LOCAL_API));
  check(local.elsewhere.length === 0, `no request left authql: ${local.elsewhere}`);
  check(local.policyViolations.length === 0, `no CSP violation: ${local.policyViolations}`);
  await local.page.screenshot({ path: path.join(SCREENSHOTS, "graphiql-local-assets.png") });
  const watched = await bearer(LOCAL_API);
  await runInGraphiQL(local.page, watched);
  await local.page.evaluate((query) => {
    document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(query);
  }, EVENTS);
  await local.page.click(".graphiql-execute-button");
  await eventsShow(local.page, ".graphiql-response", LOCAL_API, watched, "GraphiQL");
  check(local.policyViolations.length === 0, `no CSP violation: ${local.policyViolations}`);
  await local.page.screenshot({ path: path.join(SCREENSHOTS, "graphiql-session-events.png") });
  await local.context.close();
  console.log("ok graphiql: GRAPHIQL_ASSETS_DIR renders GraphiQL and runs { me } with no request leaving authql; sessionEvents shows OPENED, then its own ENDED and the 4403 close");

  // No GRAPHIQL_ASSETS_DIR and no internet: the built-in console.
  const offline = await isolatedPage(API);
  await offline.page.locator("#authql-console").waitFor({ timeout: TIMEOUT });
  check(offline.elsewhere.every((url) => url.startsWith("https://cdn.jsdelivr.net/")), `only the CDN was tried: ${offline.elsewhere}`);
  await offline.page.fill("#authql-headers", JSON.stringify({ Authorization: `Bearer ${await bearer(API)}` }));
  await offline.page.click("#authql-run");
  await offline.page.waitForFunction(
    (user) => document.querySelector("#authql-answer").textContent.includes(`"userName": "${user}"`),
    USER,
    { timeout: TIMEOUT },
  );
  await offline.page.screenshot({ path: path.join(SCREENSHOTS, "graphiql-offline-console.png") });
  // The sign-in bar: the token it gets is sent without typing a header.
  await offline.page.fill("#authql-headers", "");
  await offline.page.fill("#authql-user", USER);
  await offline.page.fill("#authql-password", PASSWORD);
  await offline.page.click("#authql-signin button[type=submit]");
  await offline.page.locator("#authql-who").waitFor({ timeout: TIMEOUT });
  await offline.page.evaluate(() => {
    document.querySelector("#authql-answer").textContent = "";
  });
  await offline.page.click("#authql-run");
  await offline.page.waitForFunction(
    (user) => document.querySelector("#authql-answer").textContent.includes(`"userName": "${user}"`),
    USER,
    { timeout: TIMEOUT },
  );
  // A subscription in the console, as the signed-in user.
  const consoleToken = await bearer(API);
  await offline.page.fill("#authql-headers", JSON.stringify({ Authorization: `Bearer ${consoleToken}` }));
  await offline.page.fill("#authql-query", EVENTS);
  await offline.page.click("#authql-run");
  await eventsShow(offline.page, "#authql-answer", API, consoleToken, "console");
  await offline.context.close();
  console.log("ok console: offline, the built-in console runs { me } with a bearer header, and after its sign-in bar; sessionEvents shows its events and the close");

  // A CDN that never answers: the console shows after a few seconds.
  const hung = await isolatedPage(API, "hang");
  await hung.page.locator("#authql-console").waitFor({ timeout: TIMEOUT });
  await hung.context.close();
  console.log("ok hung cdn: the console shows when the CDN never answers");

  // The CDN reachable (served here from the npm registry's files): the
  // browser checks each file's integrity and GraphiQL renders; one byte
  // changed and the console shows instead.
  const assets = env("GRAPHIQL_ASSETS");
  const cdn = {};
  const files = {
    "react@18.3.1/umd/react.production.min.js": "react/umd/react.production.min.js",
    "react-dom@18.3.1/umd/react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql@3.9.0/graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql@3.9.0/graphiql.min.css": "graphiql/graphiql.min.css",
  };
  for (const [url, file] of Object.entries(files)) {
    cdn[`https://cdn.jsdelivr.net/npm/${url}`] = await readFile(path.join(assets, file));
  }
  const online = await isolatedPage(API, cdn);
  await runInGraphiQL(online.page, await bearer(API));
  check(online.policyViolations.length === 0, `no CSP violation: ${online.policyViolations}`);
  await online.page.screenshot({ path: path.join(SCREENSHOTS, "graphiql-cdn.png") });
  await online.context.close();
  const graphiql = "https://cdn.jsdelivr.net/npm/graphiql@3.9.0/graphiql.min.js";
  cdn[graphiql] = Buffer.concat([cdn[graphiql], Buffer.from("\n/* tampered */")]);
  const tampered = await isolatedPage(API, cdn);
  await tampered.page.locator("#authql-console").waitFor({ timeout: TIMEOUT });
  await tampered.context.close();
  console.log("ok cdn: integrity-checked CDN files render GraphiQL; a tampered file is refused and the console shows");
}

/** Waits until the notice line of `page` says `text`; gives back what it says. */
async function noticeSays(page, text) {
  try {
    await page.waitForFunction(
      (text) => {
        const notice = document.querySelector("#notice");
        return !notice.hidden && notice.textContent.includes(text);
      },
      text,
      { timeout: TIMEOUT },
    );
  } catch (error) {
    throw new Error(`the notice did not say ${JSON.stringify(text)}: ${await page.textContent("#notice")}: ${error}`);
  }
  return page.textContent("#notice");
}

/** The link of the newest mail to `to` that leads to the app's `page`,
 *  waiting for it (the test lists what the SMTP server received). */
async function mailedLink(to, page) {
  const began = Date.now();
  for (;;) {
    const mails = await (await fetch(`${APP}/__test/mails`)).json();
    const links = mails
      .filter((mail) => mail.to.some((address) => address.toLowerCase() === to.toLowerCase()))
      .flatMap((mail) => mail.text.match(/https?:\/\/\S+/g) ?? [])
      .filter((link) => link.startsWith(`${APP}/${page}#token=`));
    if (links.length > 0) return links.at(-1);
    const received = JSON.stringify(mails.map((mail) => [mail.to, mail.subject]));
    check(Date.now() - began < TIMEOUT, `a mail to ${to} with a link to /${page}; received: ${received}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The page has no `#token=` left in its address. */
function checkTokenGone(page) {
  check(!page.url().includes("token"), `the token left the address bar: ${page.url()}`);
}

async function changeEmail(page, address) {
  await page.fill("#new-email", address);
  await page.click("#change-email button[type=submit]");
}

async function accountsStep() {
  const began = Date.now();
  const name = "nora";
  const email = "Nora@Example.com";
  const moved = "nora.new@example.com";
  const [first, second] = ["first-pw-of-nora", "second-pw-of-nora"];
  const shot = (page, name) => page.screenshot({ path: path.join(SCREENSHOTS, `app-${name}-${SUFFIX}.png`) });

  // Sign up from the sign-in form's link; the account waits for its mail.
  const laptop = await openApp();
  await laptop.page.locator("#signin").waitFor({ state: "visible", timeout: TIMEOUT });
  await laptop.page.click('a[href="/sign-up"]');
  await laptop.page.locator("#sign-up").waitFor({ state: "visible", timeout: TIMEOUT });
  check(new URL(laptop.page.url()).pathname === "/sign-up", `on /sign-up: ${laptop.page.url()}`);
  await laptop.page.fill("#sign-up-user", name);
  await laptop.page.fill("#sign-up-email", email);
  await laptop.page.fill("#sign-up-password", first);
  await shot(laptop.page, "sign-up");
  await laptop.page.click("#sign-up button[type=submit]");
  await noticeSays(laptop.page, `we sent a link to ${email}`);
  await shot(laptop.page, "sign-up-sent");
  await laptop.page.goto(APP);
  await laptop.page.locator("#signin").waitFor({ state: "visible", timeout: TIMEOUT });
  await laptop.page.fill("#user", name);
  await laptop.page.fill("#password", first);
  await laptop.page.click("#signin button[type=submit]");
  await noticeSays(laptop.page, "EMAIL_NOT_VERIFIED");
  check(await laptop.page.isVisible("#resend-verification"), "a new link is offered");

  // The mail's link verifies the address; then the user signs in.
  await laptop.page.goto(await mailedLink(email, "verify-email"));
  await noticeSays(laptop.page, "Your address is verified");
  await laptop.page.locator("#signin").waitFor({ state: "visible", timeout: TIMEOUT });
  checkTokenGone(laptop.page);
  await shot(laptop.page, "verify-email");
  await signIn(laptop, "Laptop", name, first);
  check((await laptop.page.textContent("#me-email")) === email, "the settings show the address as given");
  check((await laptop.page.textContent("#me-email-state")) === "verified", "and verified");

  // The settings move the address; its mail's link confirms it.
  await changeEmail(laptop.page, moved);
  await noticeSays(laptop.page, `We sent a link to ${moved}`);
  await laptop.page.goto(await mailedLink(moved, "verify-email"));
  await noticeSays(laptop.page, "Your address is verified");
  await laptop.page.locator("#account").waitFor({ state: "visible", timeout: TIMEOUT });
  check((await laptop.page.textContent("#me-email")) === moved, "the new address is shown");
  check((await laptop.page.textContent("#me-email-state")) === "verified", "the new address is verified");
  await shot(laptop.page, "settings");
  console.log("ok accounts: signed up in the app, refused EMAIL_NOT_VERIFIED, verified by the mail's link, signed in; the settings moved the address through its mail");

  // Another device: forgot password, the mail's link, a new password; the
  // laptop is signed out at once by its live-events socket.
  const phone = await openApp();
  await phone.page.locator("#signin").waitFor({ state: "visible", timeout: TIMEOUT });
  await phone.page.click('a[href="/forgot-password"]');
  await phone.page.locator("#forgot-password").waitFor({ state: "visible", timeout: TIMEOUT });
  await phone.page.fill("#forgot-email", moved);
  await shot(phone.page, "forgot-password");
  await phone.page.click("#forgot-password button[type=submit]");
  await noticeSays(phone.page, "is on its way");
  await phone.page.goto(await mailedLink(moved, "reset-password"));
  await phone.page.locator("#reset-password").waitFor({ state: "visible", timeout: TIMEOUT });
  checkTokenGone(phone.page);
  await phone.page.fill("#reset-password-new", second);
  await shot(phone.page, "reset-password");
  const answeredAt = phone.page
    .waitForResponse((response) => (response.request().postData() ?? "").includes("mutation ResetPassword"), {
      timeout: TIMEOUT,
    })
    .then(() => Date.now());
  await phone.page.click("#reset-password button[type=submit]");
  const resetAt = Date.now();
  await laptop.page.locator("#signin").waitFor({ state: "visible", timeout: TIMEOUT });
  const signedOutAt = Date.now();
  const tookMs = signedOutAt - resetAt;
  const afterAnswerMs = signedOutAt - (await answeredAt);
  check(tookMs < 2_500, `the laptop signed itself out within 2 s of the reset: ${tookMs} ms`);
  await noticeSays(laptop.page, "PASSWORD_RESET");
  await shot(laptop.page, "signed-out-by-reset");
  await noticeSays(phone.page, "Your password is set");
  await signIn(phone, "Phone", name, second);
  await laptop.page.fill("#user", name);
  await laptop.page.fill("#password", first);
  await laptop.page.click("#signin button[type=submit]");
  await noticeSays(laptop.page, "INVALID_CREDENTIALS");
  console.log(`ok reset: forgot password and the mail's link on a second context; the first was signed out ${tookMs} ms after the click, ${afterAnswerMs} ms after the reset's answer (the new password's hash comes first); the old password is refused`);

  // An address change needs a recent sign-in: past it, the change opens
  // the re-authentication prompt, which asks for the password (nora has no
  // second factor). Cancelled, the refusal is said in plain words; a wrong
  // password is refused in the prompt; the right one sends the same change
  // again, without asking for it twice.
  await advanceClock(301);
  await changeEmail(phone.page, "nora.third@example.com");
  await promptOpens(phone.page, 1);
  await phone.page.click("#reauthenticate-cancel");
  await noticeSays(phone.page, "REAUTHENTICATION_REQUIRED");
  check(!(await phone.page.isVisible("#reauthenticate")), "the prompt closed");
  await changeEmail(phone.page, "nora.third@example.com");
  await promptOpens(phone.page, 1);
  await phone.page.fill("#reauthenticate-password", first);
  await phone.page.click("#reauthenticate-form button[type=submit]");
  await problemSays(phone, "INVALID_CREDENTIALS");
  await phone.page.fill("#reauthenticate-password", second);
  await shot(phone.page, "reauthenticate-password");
  const logged = phone.seen.log.length;
  await phone.page.click("#reauthenticate-form button[type=submit]");
  await noticeSays(phone.page, "We sent a link to nora.third@example.com");
  check(!(await phone.page.isVisible("#reauthenticate")), "the prompt closed");
  const after = await callsSettled(phone.seen, logged, "Reauthenticate: ChangeEmail:");
  check(after === "Reauthenticate: ChangeEmail:", `reauthenticated, then the change sent again: ${after}`);
  console.log("ok recent sign-in: changeEmail past REAUTH_MAX_AGE_SECS opened the prompt; cancelled it said REAUTHENTICATION_REQUIRED; a wrong password was refused in the prompt; the right one sent the change again");

  // An invitation: its link opens the page that creates the account and
  // signs in at once.
  const invited = await fetch(`${APP}/__test/invite?email=ivy@example.com`, { method: "POST" });
  check((await invited.text()) === "invited\n", "the invitation was sent");
  const guest = await openApp();
  await guest.page.goto(await mailedLink("ivy@example.com", "accept-invite"));
  await guest.page.locator("#accept-invite").waitFor({ state: "visible", timeout: TIMEOUT });
  checkTokenGone(guest.page);
  await guest.page.fill("#invite-email", "ivy@example.com");
  await guest.page.fill("#invite-user", "ivy");
  await guest.page.fill("#invite-password", "first-pw-of-ivy");
  await guest.page.fill("#invite-device", "Tablet");
  await shot(guest.page, "accept-invite");
  await guest.page.click("#accept-invite button[type=submit]");
  await guest.page.locator("#account").waitFor({ state: "visible", timeout: TIMEOUT });
  check((await guest.page.textContent("#me-name")) === "ivy", "signed in as the invited user");
  check((await guest.page.textContent("#me-email-state")) === "verified", "the invited address is verified");
  check(new URL(guest.page.url()).pathname === "/", `back on /: ${guest.page.url()}`);

  const errors = [laptop, phone, guest].flatMap((app) => app.seen.events);
  check(errors.length === 0, `no page error: ${errors}`);
  for (const app of [laptop, phone, guest]) await app.context.close();
  console.log(`ok invitation: the mail's link created the account and signed in at once (accounts steps took ${Date.now() - began} ms)`);
}

/** The calls the page answered since `from` in its log, as
 *  "Operation:CODES", leaving out what the app does on its own: expired
 *  tokens and their refresh, and reloading the account. */
function callsSince(seen, from) {
  return seen.log
    .slice(from)
    .filter((entry) => !entry.endsWith(":TOKEN_EXPIRED") && !/^(RefreshFromCookie|Account):/.test(entry))
    .join(" ");
}

/** `callsSince`, once the page's answers have all been read: an answer is
 *  logged when Node has read its body, which can come after the page has
 *  shown it (seen on a loaded CI machine). Waits up to TIMEOUT for
 *  `expected`, then returns what the log holds. */
async function callsSettled(seen, from, expected) {
  const until = Date.now() + TIMEOUT;
  let calls = callsSince(seen, from);
  while (calls !== expected && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    calls = callsSince(seen, from);
  }
  return calls;
}

/** Waits for the re-authentication prompt, asking for the password
 *  (`level` 1) or a second factor (2). */
async function promptOpens(page, level) {
  await page.locator("#reauthenticate").waitFor({ state: "visible", timeout: TIMEOUT });
  const password = await page.isVisible("#reauthenticate-password");
  const code = await page.isVisible("#reauthenticate-code");
  check(password === (level === 1) && code === (level === 2), `the prompt asks for level ${level}: password ${password}, code ${code}`);
}

/** Waits until the prompt's problem line says `text`. */
async function problemSays({ page, seen }, text) {
  try {
    await page.waitForFunction(
      (text) => {
        const line = document.querySelector("#reauthenticate-problem");
        return !line.hidden && line.textContent.includes(text);
      },
      text,
      { timeout: TIMEOUT },
    );
  } catch (error) {
    const said = await page.textContent("#reauthenticate-problem");
    throw new Error(`the prompt did not say ${JSON.stringify(text)}: ${said}; log ${seen.log}; ${seen.events}: ${error}`);
  }
}

/** authql's "now" in unix seconds (the test moves its clock). */
async function serverNow() {
  const answer = await fetch(`${APP}/__test/now`);
  check(answer.ok, "authql's time");
  return Number(await answer.text());
}

/** An authenticator app for `uri`, by otplib (not authql's code), showing
 *  codes for authql's clock. A code is accepted once, and never for a time
 *  step at or before the last one accepted (RFC 6238 §5.2), so each code
 *  this gives is for a step after the last it gave: the current step's, or
 *  the next one's (authql takes one step ahead); when both were given
 *  already, authql's clock moves on a step rather than the test waiting. */
function authenticator(uri) {
  const parsed = parse(uri);
  check(parsed.type === "totp", `a TOTP URI: ${uri}`);
  const { secret, digits = 6, period = 30, algorithm = "SHA1" } = parsed.params;
  const codeFor = (step) => generate({ secret, digits, period, algorithm: algorithm.toLowerCase(), epoch: step * period });
  let lastStep = -Infinity;
  return {
    label: parsed.label,
    issuer: parsed.params.issuer,
    secret,
    async next() {
      let step = Math.floor((await serverNow()) / period);
      if (lastStep > step) {
        await advanceClock(period);
        step = Math.floor((await serverNow()) / period);
      }
      lastStep = Math.max(step, lastStep + 1);
      return codeFor(lastStep);
    },
  };
}

/** The text a QR code in `page` (the image `selector`) holds, read from
 *  its pixels by jsQR as a phone's camera would. */
async function qrText(page, selector) {
  await page.waitForFunction((selector) => document.querySelector(selector)?.naturalWidth > 0, selector, { timeout: TIMEOUT });
  const image = await page.evaluate((selector) => {
    const img = document.querySelector(selector);
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(img, 0, 0);
    const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
    return { data: Array.from(data), width, height };
  }, selector);
  const found = jsQR(Uint8ClampedArray.from(image.data), image.width, image.height);
  check(found, `a QR code in ${selector}`);
  return found.data;
}

async function shownRecoveryCodes(page) {
  await page.locator("#recovery-codes").waitFor({ state: "visible", timeout: TIMEOUT });
  return page.$$eval("#recovery-list code", (codes) => codes.map((code) => code.textContent));
}

/** Signs in with the password and, at the second step, `factor` ({code}
 *  or {recoveryCode}); waits for the account unless `refused`. */
async function signInWithFactor(app, factor, { refused = false } = {}) {
  const { page } = app;
  await sendSignIn(app, "Laptop", FACTORS_USER, FACTORS_PASSWORD);
  await page.locator("#second-step").waitFor({ state: "visible", timeout: TIMEOUT });
  if (factor.recoveryCode) {
    await page.click("#signin-switch");
    await page.fill("#signin-recovery", factor.recoveryCode);
  } else {
    await page.fill("#signin-code", factor.code);
  }
  if (factor.screenshot) await factor.screenshot();
  await page.click("#second-step button[type=submit]");
  if (!refused) await page.locator("#account").waitFor({ state: "visible", timeout: TIMEOUT });
}

async function signOut({ page, seen }) {
  const from = seen.log.length;
  await page.click("#signout");
  await page.locator("#signin").waitFor({ state: "visible", timeout: TIMEOUT });
  // Logout's answer is logged when Node has read its body, which can come
  // after the page showed the form (CI's loaded machine): wait for it, so
  // that the calls a later check counts from here leave it out.
  const until = Date.now() + TIMEOUT;
  while (!seen.log.slice(from).some((entry) => entry.startsWith("Logout:")) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function factorsStep() {
  const began = Date.now();
  // The whole page: the settings are below the fold.
  const shot = (page, name) =>
    page.screenshot({ path: path.join(SCREENSHOTS, `app-${name}-${SUFFIX}.png`), fullPage: true });
  const laptop = await openApp();
  const { page } = laptop;
  await signIn(laptop, "Laptop", FACTORS_USER, FACTORS_PASSWORD);
  check((await page.textContent("#mfa-state")) === "off", "two-factor authentication starts off");

  // Enrolment: the QR code holds the otpauth URI the page gives, and the
  // key is there to type by hand.
  await page.click("#totp-enrol");
  await page.locator("#totp-enrolment").waitFor({ state: "visible", timeout: TIMEOUT });
  const uri = await page.getAttribute("#totp-qr", "data-otpauth-uri");
  check(uri?.startsWith("otpauth://totp/"), `the page gives the URI: ${uri}`);
  check((await qrText(page, "#totp-qr")) === uri, "the QR code holds that URI");
  const app = authenticator(uri);
  check(app.label.includes(FACTORS_USER) && app.issuer, `the URI names the user and an issuer: ${uri}`);
  const typed = (await page.textContent("#totp-secret")).replace(/\s+/g, "");
  check(typed === app.secret, `the key shown is the URI's: ${typed}`);
  await shot(page, "totp-enrol");
  await page.fill("#totp-code", await app.next());
  await page.click("#totp-confirm button[type=submit]");
  const codes = await shownRecoveryCodes(page);
  check(codes.length === 10 && new Set(codes).size === 10, `ten distinct recovery codes: ${codes}`);
  await page.waitForFunction(() => document.querySelector("#mfa-state").textContent === "on", null, { timeout: TIMEOUT });
  check((await page.getAttribute("#mfa-codes-left", "data-left")) === "10", "ten codes left");
  check(
    (await page.getAttribute('tr[data-current="true"]', "data-aal")) === "2",
    "confirming raised this session to aal 2",
  );
  await shot(page, "totp-codes");
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: TIMEOUT }),
    page.click("#recovery-download"),
  ]);
  const file = await readFile(await download.path(), "utf8");
  check(codes.every((code) => file.includes(code)), `the downloaded file holds the ten codes: ${file}`);
  check(download.suggestedFilename().endsWith(".txt"), `a text file: ${download.suggestedFilename()}`);
  await page.click("#recovery-done");
  check(!(await page.isVisible("#recovery-codes")), "the codes are put away");
  console.log("ok totp enrol: the QR code holds the page's otpauth URI; otplib's code turned TOTP on; ten recovery codes shown once and downloaded as a text file");

  // Signing in takes the password and then a code; the cookie delivery
  // works through completeLogin (a reload stays signed in).
  await signOut(laptop);
  await signInWithFactor(laptop, { code: await app.next(), screenshot: () => shot(page, "sign-in-code") });
  check(
    (await page.getAttribute('tr[data-current="true"]', "data-aal")) === "2",
    "the session opened by a code is at aal 2",
  );
  check(await refreshCookie(laptop.context), "completeLogin set the refresh cookie");
  await page.reload();
  await page.locator("#account").waitFor({ state: "visible", timeout: TIMEOUT });
  check((await page.textContent("#me-name")) === FACTORS_USER, "still signed in after a reload");
  console.log("ok sign-in code: the password, then otplib's code at the second step; the session is at aal 2 and its cookie survives a reload");

  // A recovery code signs in once; the second time it is refused.
  await signOut(laptop);
  await signInWithFactor(laptop, { recoveryCode: codes[0] });
  await page.waitForFunction(() => document.querySelector("#mfa-codes-left").dataset.left === "9", null, { timeout: TIMEOUT });
  await signOut(laptop);
  await signInWithFactor(laptop, { recoveryCode: codes[0] }, { refused: true });
  await noticeSays(page, "INVALID_CREDENTIALS");
  check(await page.isVisible("#second-step"), "still at the second step");
  await shot(page, "recovery-code-refused");
  await page.click("#signin-switch");
  await page.fill("#signin-code", await app.next());
  await page.click("#second-step button[type=submit]");
  await page.locator("#account").waitFor({ state: "visible", timeout: TIMEOUT });
  console.log("ok recovery code: it signed in once (9 left), was refused the second time with INVALID_CREDENTIALS, and a code went on from there");

  // A stale session: new recovery codes need a recent proof at aal 2, so
  // the prompt asks for a code, then the same call goes through.
  await advanceClock(301);
  const logged = laptop.seen.log.length;
  await page.click("#totp-regenerate");
  await promptOpens(page, 2);
  await page.fill("#reauthenticate-code", await app.next());
  await shot(page, "reauthenticate");
  await page.click("#reauthenticate-form button[type=submit]");
  const fresh = await shownRecoveryCodes(page);
  check(!(await page.isVisible("#reauthenticate")), "the prompt closed");
  check(fresh.length === 10 && fresh.every((code) => !codes.includes(code)), `ten new codes: ${fresh}`);
  await page.waitForFunction(() => document.querySelector("#mfa-codes-left").dataset.left === "10", null, { timeout: TIMEOUT });
  const calls = await callsSettled(laptop.seen, logged, "RegenerateRecoveryCodes:REAUTHENTICATION_REQUIRED Reauthenticate: RegenerateRecoveryCodes:");
  check(
    calls === "RegenerateRecoveryCodes:REAUTHENTICATION_REQUIRED Reauthenticate: RegenerateRecoveryCodes:",
    `refused, re-authenticated, sent again: ${calls}`,
  );
  await page.click("#recovery-done");
  console.log("ok reauthenticate: past REAUTH_MAX_AGE_SECS, new recovery codes opened the prompt for a code (aal 2); otplib's code let the same call through");

  // GraphiQL's sign-in bar (its built-in console, offline) takes the
  // second step too: an old recovery code is refused, a code signs in.
  const console_ = await isolatedPage(API);
  await console_.page.locator("#authql-console").waitFor({ timeout: TIMEOUT });
  await console_.page.fill("#authql-user", FACTORS_USER);
  await console_.page.fill("#authql-password", FACTORS_PASSWORD);
  await console_.page.click("#authql-signin button[type=submit]");
  await console_.page.locator("#authql-code").waitFor({ timeout: TIMEOUT });
  await console_.page.fill("#authql-code", codes[1]);
  await console_.page.click("#authql-signin button[type=submit]");
  await console_.page.waitForFunction(
    () => document.querySelector("#authql-signin-status").textContent.includes("INVALID_CREDENTIALS"),
    null,
    { timeout: TIMEOUT },
  );
  await console_.page.fill("#authql-code", await app.next());
  await console_.page.screenshot({ path: path.join(SCREENSHOTS, `graphiql-sign-in-code-${SUFFIX}.png`) });
  await console_.page.click("#authql-signin button[type=submit]");
  await console_.page.locator("#authql-who").waitFor({ timeout: TIMEOUT });
  await console_.page.click("#authql-run");
  await console_.page.waitForFunction(
    (user) => document.querySelector("#authql-answer").textContent.includes(`"userName": "${user}"`),
    FACTORS_USER,
    { timeout: TIMEOUT },
  );
  await console_.context.close();
  console.log("ok graphiql second step: the sign-in bar refused a replaced recovery code and signed in with a code");

  // Turning it off needs aal 2 and a recent proof: the session has both.
  await page.click("#totp-disable");
  await page.waitForFunction(() => document.querySelector("#mfa-state").textContent === "off", null, { timeout: TIMEOUT });
  await signOut(laptop);
  await signIn(laptop, "Laptop", FACTORS_USER, FACTORS_PASSWORD);
  check(laptop.seen.events.length === 0, `no page error: ${laptop.seen.events}`);
  await laptop.context.close();
  console.log(`ok totp off: turned off from the settings; the password alone signs in again (factors steps took ${Date.now() - began} ms)`);
}

/** Chromium's virtual authenticator in `page` (over CDP): a platform
 *  authenticator that keeps discoverable credentials and verifies its user
 *  at once, as a fingerprint reader would. */
async function virtualAuthenticator(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    async credentials() {
      return (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
    },
    /** Puts `credentials` (with their signature counters) in this one, in
     *  place of its own: the same passkey, as a synced one would be. */
    async hold(credentials) {
      await cdp.send("WebAuthn.clearCredentials", { authenticatorId });
      for (const credential of credentials) await cdp.send("WebAuthn.addCredential", { authenticatorId, credential });
    },
  };
}

/** The passkey rows of the settings, as {name, used}. */
function passkeyRows(page) {
  return page.$$eval("#passkey-list tr", (rows) =>
    rows.map((row) => ({
      name: row.querySelector(".passkey-name").textContent,
      used: row.querySelector(".passkey-used").textContent,
    })),
  );
}

async function passkeysStep() {
  const began = Date.now();
  const shot = (page, name) =>
    page.screenshot({ path: path.join(SCREENSHOTS, `app-passkey-${name}-${SUFFIX}.png`), fullPage: true });
  // Chromium's virtual authenticator answers the autofill's (conditional)
  // request by itself, at once, as if the person had picked the passkey:
  // here the autofill is turned off, so that the button is what signs in;
  // another context below leaves it on.
  let authenticator;
  const laptop = await openApp(PASSKEY_APP, PASSKEY_API, async (context, page) => {
    authenticator = await virtualAuthenticator(context, page);
    await page.addInitScript(() => {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
  });
  const { page } = laptop;
  check(
    (await page.getAttribute("#user", "autocomplete")) === "username webauthn",
    "the user-name field offers passkeys in the autofill",
  );

  // Adding one: a fresh sign-in is recent enough, and the account has no
  // second factor yet, so no prompt.
  await signIn(laptop, "Laptop", PASSKEY_USER, PASSKEY_PASSWORD);
  await page.locator("#passkeys-none").waitFor({ state: "visible", timeout: TIMEOUT });
  await page.fill("#passkey-label", "Work laptop");
  await page.click("#passkey-add button[type=submit]");
  await noticeSays(page, "is added");
  await page.locator("#passkey-list tr").waitFor({ timeout: TIMEOUT });
  let rows = await passkeyRows(page);
  check(rows.length === 1 && rows[0].name.startsWith("Work laptop") && rows[0].used === "never", `one passkey listed: ${JSON.stringify(rows)}`);
  check((await authenticator.credentials()).length === 1, "the authenticator holds the passkey");
  // Renaming needs no prompt.
  await page.click(".passkey-rename");
  await page.fill(".passkey-new-label", "Fingerprint");
  await page.click(".passkey-save");
  await page.waitForFunction(() => document.querySelector(".passkey-name")?.textContent.startsWith("Fingerprint"), null, { timeout: TIMEOUT });
  await shot(page, "added");
  console.log("ok passkey added: registered with Chromium's virtual authenticator, listed, renamed");

  // Signing in: no user name, no password; the session is at aal 2 (the
  // authenticator verified its user) and its cookie survives a reload.
  await signOut(laptop);
  const logged = laptop.seen.log.length;
  await page.click("#signin-passkey");
  await page.locator("#account").waitFor({ state: "visible", timeout: TIMEOUT });
  check((await page.textContent("#me-name")) === PASSKEY_USER, "signed in as the passkey's owner");
  check((await page.inputValue("#password")) === "", "no password typed");
  const calls = await callsSettled(laptop.seen, logged, "BeginPasskeyLogin: FinishPasskeyLogin:");
  check(calls === "BeginPasskeyLogin: FinishPasskeyLogin:", `signed in by the passkey alone: ${calls}`);
  check((await page.getAttribute('tr[data-current="true"]', "data-aal")) === "2", "the passkey session is at aal 2");
  check(await refreshCookie(laptop.context, PASSKEY_API), "finishPasskeyLogin set the refresh cookie");
  await page.reload();
  await page.locator("#account").waitFor({ state: "visible", timeout: TIMEOUT });
  rows = await passkeyRows(page);
  check(rows[0].used !== "never", `its last use is shown: ${JSON.stringify(rows)}`);
  await shot(page, "signed-in");
  console.log("ok passkey sign-in: the button signed in with no user name or password; the session is at aal 2 and survives a reload");

  // GraphiQL's sign-in bar (the same passkey, as a synced one would be in
  // another browser); its counter goes back to the app's authenticator.
  const graphiql = await isolatedPage(PASSKEY_LOCAL_API);
  const other = await virtualAuthenticator(graphiql.context, graphiql.page);
  await other.hold(await authenticator.credentials());
  await graphiql.page.locator("#authql-passkey").waitFor({ timeout: TIMEOUT });
  await graphiql.page.click("#authql-passkey");
  await graphiql.page.locator("#authql-who").waitFor({ timeout: TIMEOUT });
  check((await graphiql.page.textContent("#authql-who")).includes(PASSKEY_USER), "GraphiQL is signed in as the owner");
  // Its bearer token goes with the query.
  await graphiql.page.locator(".graphiql-execute-button").waitFor({ timeout: TIMEOUT });
  await graphiql.page.click(".graphiql-execute-button");
  await graphiql.page.waitForFunction(
    (user) => document.querySelector(".graphiql-response")?.textContent.includes(`"userName": "${user}"`),
    PASSKEY_USER,
    { timeout: TIMEOUT },
  );
  await graphiql.page.screenshot({ path: path.join(SCREENSHOTS, `graphiql-passkey-${SUFFIX}.png`) });
  const synced = await other.credentials();
  await graphiql.context.close();
  console.log("ok graphiql passkey: the sign-in bar's Passkey button signed in, and { me } ran as the passkey's owner");

  // The browser's autofill: with conditional mediation on, the sign-in
  // form offers the passkey at once; the virtual authenticator picks it, so
  // the app signs in with nothing clicked or typed.
  let phoneAuthenticator;
  const phone = await openApp(PASSKEY_APP, PASSKEY_API, async (context, page) => {
    phoneAuthenticator = await virtualAuthenticator(context, page);
    await phoneAuthenticator.hold(synced);
  });
  check(await phone.page.evaluate(() => PublicKeyCredential.isConditionalMediationAvailable()), "conditional mediation is available");
  await phone.page.locator("#account").waitFor({ state: "visible", timeout: TIMEOUT });
  const autofilled = await callsSettled(phone.seen, 0, "BeginPasskeyLogin: FinishPasskeyLogin:");
  check(autofilled === "BeginPasskeyLogin: FinishPasskeyLogin:", `the autofill signed in: ${autofilled}`);
  check((await phone.page.getAttribute('tr[data-current="true"]', "data-aal")) === "2", "the autofill's session is at aal 2");
  await authenticator.hold(await phoneAuthenticator.credentials());
  await phone.context.close();
  console.log("ok passkey autofill: the sign-in form's conditional request, answered by the authenticator, signed in with nothing typed");

  // Removing it, past REAUTH_MAX_AGE_SECS: the prompt offers the passkey
  // (the only way at aal 2 for an account without TOTP), then the same
  // call goes through.
  await advanceClock(301);
  const before = laptop.seen.log.length;
  await page.click(".passkey-remove");
  await page.locator("#reauthenticate").waitFor({ state: "visible", timeout: TIMEOUT });
  check(await page.isVisible("#reauthenticate-passkey"), "the prompt offers the passkey");
  check(!(await page.isVisible("#reauthenticate-code")), "no code field for an account without TOTP");
  await shot(page, "reauthenticate");
  await page.click("#reauthenticate-passkey");
  await page.locator("#passkeys-none").waitFor({ state: "visible", timeout: TIMEOUT });
  check(!(await page.isVisible("#reauthenticate")), "the prompt closed");
  const removal = await callsSettled(laptop.seen, before, "RemovePasskey:REAUTHENTICATION_REQUIRED BeginPasskeyLogin: Reauthenticate: RemovePasskey:");
  check(
    removal === "RemovePasskey:REAUTHENTICATION_REQUIRED BeginPasskeyLogin: Reauthenticate: RemovePasskey:",
    `refused, re-authenticated with the passkey, sent again: ${removal}`,
  );
  console.log("ok passkey removed: past REAUTH_MAX_AGE_SECS the prompt took the passkey, and the same call removed it");

  // The authenticator still holds it, but authql no longer knows it.
  await signOut(laptop);
  await page.click("#signin-passkey");
  await noticeSays(page, "INVALID_CREDENTIALS");
  check(await page.isVisible("#signin"), "still at the sign-in form");
  await shot(page, "refused");
  check(laptop.seen.events.length === 0, `no page error: ${laptop.seen.events}`);
  await laptop.context.close();
  console.log(`ok passkey refused: the removed passkey's sign-in says INVALID_CREDENTIALS (passkeys step took ${Date.now() - began} ms)`);
}

/** Makes `page` another browser: Edge on Windows, with the User-Agent and
 *  the client hints Edge sends (Chromium sends its own hints for any
 *  User-Agent it is given, so both are set together). */
async function edgeOnWindows(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Emulation.setUserAgentOverride", {
    userAgent:
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    userAgentMetadata: {
      brands: [
        { brand: "Microsoft Edge", version: "131" },
        { brand: "Chromium", version: "131" },
        { brand: "Not_A Brand", version: "24" },
      ],
      platform: "Windows",
      platformVersion: "15.0.0",
      architecture: "x86",
      model: "",
      mobile: false,
    },
  });
}

/** The rows of the sessions list, as {current, device}. */
function sessionRows(page) {
  return page.$$eval("#sessions tr", (rows) =>
    rows.map((row) => ({ current: row.dataset.current === "true", device: row.cells[0].textContent })),
  );
}

/** The kinds of the Security page's rows, top (newest) first. */
function timelineKinds(page) {
  return page.$$eval("#timeline tr", (rows) => rows.map((row) => row.dataset.kind));
}

/** The mails to `to` with a link to the app's `page`. */
async function mailsLinkingTo(to, page) {
  const mails = await (await fetch(`${APP}/__test/mails`)).json();
  return mails.filter(
    (mail) =>
      mail.to.some((address) => address.toLowerCase() === to.toLowerCase()) &&
      mail.text.includes(`${APP}/${page}#token=`),
  );
}

async function devicesStep() {
  const began = Date.now();
  const shot = (page, name) =>
    page.screenshot({ path: path.join(SCREENSHOTS, `app-devices-${name}-${SUFFIX}.png`), fullPage: true });
  // The owner's browser as it is (Chromium on Linux), nothing typed in
  // "This device": the names come from the browsers. The account's first
  // sign-in, so no alert.
  const laptop = await openApp();
  await signIn(laptop, "", DEVICES_USER, DEVICES_PASSWORD);
  const deviceCookie = (await laptop.context.cookies()).find((cookie) => cookie.name === "authql_device");
  check(deviceCookie?.httpOnly, "the sign-in set the HttpOnly authql_device cookie");

  // Another browser, with no authql_device cookie and another device name:
  // a new device.
  const stranger = await openApp(APP, API, edgeOnWindows);
  await signIn(stranger, "", DEVICES_USER, DEVICES_PASSWORD);
  await laptop.page.waitForFunction(() => document.querySelectorAll("#sessions tr").length === 2, null, { timeout: TIMEOUT });
  const rows = await sessionRows(laptop.page);
  const own = rows.filter((row) => row.current);
  const other = rows.filter((row) => !row.current);
  check(own.length === 1 && own[0].device.startsWith("Chromium on Linux") && own[0].device.includes("this device"),
    `this browser is "Chromium on Linux", marked: ${JSON.stringify(rows)}`);
  check(other.length === 1 && other[0].device.startsWith("Edge on Windows") && !other[0].device.includes("this device"),
    `the other is "Edge on Windows", not marked: ${JSON.stringify(rows)}`);
  await shot(laptop.page, "two-devices");
  console.log(`ok device names: the list shows ${JSON.stringify(rows.map((row) => row.device))}, this device marked`);

  // The owner keeps the Security page open in this tab while the report is
  // made from the alert in another tab of the same browser.
  await laptop.page.click("#open-security");
  await laptop.page.locator("#security").waitFor({ state: "visible", timeout: TIMEOUT });
  check(new URL(laptop.page.url()).pathname === "/security", `on /security: ${laptop.page.url()}`);

  // One alert, for the second browser's sign-in only.
  const link = await mailedLink(DEVICES_EMAIL, "report-sign-in");
  const alerts = await mailsLinkingTo(DEVICES_EMAIL, "report-sign-in");
  check(alerts.length === 1, `one alert mail: ${JSON.stringify(alerts.map((mail) => mail.subject))}`);
  check(alerts[0].text.includes("Edge on Windows"), `the alert names the device: ${alerts[0].text}`);
  await laptop.page.waitForFunction(
    () => [...document.querySelectorAll("#timeline tr")].some((row) => row.dataset.kind === "NEW_DEVICE_ALERT_SENT"),
    null,
    { timeout: TIMEOUT },
  );

  const report = await laptop.context.newPage();
  await report.goto(link);
  await report.locator("#report-sign-in").waitFor({ state: "visible", timeout: TIMEOUT });
  checkTokenGone(report);
  await shot(report, "report");
  await report.click("#report-sign-in button[type=submit]");
  const reportedAt = Date.now();
  // The second browser signs itself out, over its live socket.
  await stranger.page.locator("#signin").waitFor({ state: "visible", timeout: TIMEOUT });
  const tookMs = Date.now() - reportedAt;
  await noticeSays(stranger.page, "REPORTED_BY_USER");
  await shot(stranger.page, "signed-out-by-report");
  await noticeSays(report, "signed out");
  check(await report.isVisible("#forgot-password"), "the report page offers the reset");
  await shot(report, "reported");
  // The owner's Security page shows the report without a reload.
  await laptop.page.waitForFunction(
    () => [...document.querySelectorAll("#timeline tr")].some((row) => row.dataset.kind === "SIGN_IN_REPORTED"),
    null,
    { timeout: TIMEOUT },
  );
  const kinds = await timelineKinds(laptop.page);
  check(kinds[0] === "SIGN_IN_REPORTED", `the report is the newest event: ${kinds}`);
  check(await laptop.page.isVisible("#security"), "the owner is still signed in, on the Security page");
  await shot(laptop.page, "security-reported");
  await report.close();
  console.log(`ok report: the alert's link, "This wasn't me", and the second browser signed itself out ${tookMs} ms later (REPORTED_BY_USER); the owner's Security page showed SIGN_IN_REPORTED live: ${kinds}`);

  // The right password no longer works: the reset form is offered.
  await sendSignIn(stranger, "", DEVICES_USER, DEVICES_PASSWORD);
  await noticeSays(stranger.page, "PASSWORD_RESET_REQUIRED");
  check(await stranger.page.isVisible("#forgot-password"), "the reset form is offered");
  await shot(stranger.page, "password-reset-required");
  console.log("ok locked: the right password is answered PASSWORD_RESET_REQUIRED, shown with the reset form");

  // The reset (asked for from the owner's first tab) ends every session and
  // lifts the lock; the new password signs in.
  const newPassword = "new-pw-of-rita";
  await stranger.page.fill("#forgot-email", DEVICES_EMAIL);
  await stranger.page.click("#forgot-password button[type=submit]");
  await noticeSays(stranger.page, "is on its way");
  await laptop.page.goto(await mailedLink(DEVICES_EMAIL, "reset-password"));
  await laptop.page.locator("#reset-password").waitFor({ state: "visible", timeout: TIMEOUT });
  await laptop.page.fill("#reset-password-new", newPassword);
  await laptop.page.click("#reset-password button[type=submit]");
  await noticeSays(laptop.page, "Your password is set");
  await signIn(laptop, "", DEVICES_USER, newPassword);

  // The timeline pages: five, then the older ones, newest first throughout.
  await laptop.page.click("#open-security");
  await laptop.page.locator("#security").waitFor({ state: "visible", timeout: TIMEOUT });
  await laptop.page.waitForFunction(() => document.querySelectorAll("#timeline tr").length === 5, null, { timeout: TIMEOUT });
  check(await laptop.page.isVisible("#timeline-more"), "a More button under a full page");
  await laptop.page.click("#timeline-more");
  await laptop.page.waitForFunction(() => document.querySelectorAll("#timeline tr").length > 5, null, { timeout: TIMEOUT });
  check(!(await laptop.page.isVisible("#timeline-more")), "no More button under the last page");
  const all = await timelineKinds(laptop.page);
  for (const kind of ["SIGNED_IN", "NEW_DEVICE_ALERT_SENT", "SESSION_ENDED", "SIGN_IN_REPORTED", "PASSWORD_RESET"]) {
    check(all.includes(kind), `the timeline has ${kind}: ${all}`);
  }
  check(all[0] === "SIGNED_IN", `the new sign-in is on top: ${all}`);
  check(all.indexOf("PASSWORD_RESET") < all.indexOf("SIGN_IN_REPORTED") && all.indexOf("SIGN_IN_REPORTED") < all.lastIndexOf("NEW_DEVICE_ALERT_SENT"),
    `newest first: ${all}`);
  await shot(laptop.page, "security-timeline");
  // A reload stays on the page.
  await laptop.page.reload();
  await laptop.page.locator("#security").waitFor({ state: "visible", timeout: TIMEOUT });
  check(laptop.seen.events.length + stranger.seen.events.length === 0, `no page error: ${laptop.seen.events} ${stranger.seen.events}`);
  await laptop.context.close();
  await stranger.context.close();
  console.log(`ok devices timeline: after the reset the new password signs in; the Security page pages with More: ${all} (devices step took ${Date.now() - began} ms)`);
}

/** The rows of a table body `selector`, as their `data-*` attributes. */
function rowData(page, selector) {
  return page.$$eval(`${selector} tr`, (rows) => rows.map((row) => ({ ...row.dataset })));
}

/** Waits until `selector` (a table body) has `count` rows; gives them back. */
async function rowsAre(page, selector, count, what) {
  try {
    await page.waitForFunction(
      ([selector, count]) => document.querySelectorAll(`${selector} tr`).length === count,
      [selector, count],
      { timeout: TIMEOUT },
    );
  } catch (error) {
    throw new Error(`${what}: not ${count} rows in ${selector}: ${JSON.stringify(await rowData(page, selector))}: ${error}`);
  }
  return rowData(page, selector);
}

/** Waits until the user page's status says `status`. */
async function statusIs(page, status) {
  await page.waitForFunction(
    (status) => document.querySelector("#admin-user-status").dataset.status === status,
    status,
    { timeout: TIMEOUT },
  );
}

async function adminStep() {
  const began = Date.now();
  const shot = (page, name) =>
    page.screenshot({ path: path.join(SCREENSHOTS, `app-admin-${name}-${SUFFIX}.png`), fullPage: true });

  // The user, signed in on two devices; no Administration button for them.
  const laptop = await openApp();
  await signIn(laptop, "Laptop", MANAGED_USER, MANAGED_PASSWORD);
  const phone = await openApp();
  await signIn(phone, "Phone", MANAGED_USER, MANAGED_PASSWORD);
  check(!(await laptop.page.isVisible("#open-admin")), "no Administration button for a user");

  // The admin: the button opens the directory, a page of five and More.
  const desk = await openApp();
  const { page } = desk;
  await signIn(desk, "Desk", ADMIN_USER, ADMIN_PASSWORD);
  await page.click("#open-admin");
  await page.locator("#admin").waitFor({ state: "visible", timeout: TIMEOUT });
  check(new URL(page.url()).pathname === "/admin", `on /admin: ${page.url()}`);
  await page.waitForFunction(() => document.querySelector("#admin-total").dataset.total !== "", null, { timeout: TIMEOUT });
  const total = Number(await page.getAttribute("#admin-total", "data-total"));
  check(total >= 7, `every user counted: ${total}`);
  await rowsAre(page, "#admin-users", 5, "the first page");
  check(await page.isVisible("#admin-users-more"), "a More button under the first page");
  while (await page.isVisible("#admin-users-more")) {
    const shown = await page.locator("#admin-users tr").count();
    await page.click("#admin-users-more");
    await page.waitForFunction((shown) => document.querySelectorAll("#admin-users tr").length > shown, shown, { timeout: TIMEOUT });
  }
  const everyone = await rowData(page, "#admin-users");
  check(everyone.length === total && new Set(everyone.map((row) => row.userId)).size === total,
    `More listed each of the ${total} users once: ${everyone.map((row) => row.userName)}`);
  await shot(page, "users");

  // A search by a part of the address (any letter case) finds the user.
  await page.fill("#admin-query", MANAGED_EMAIL.slice(0, 4).toUpperCase());
  await page.click("#admin-search button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#admin-total").dataset.total === "1", null, { timeout: TIMEOUT });
  const found = await rowsAre(page, "#admin-users", 1, "the search");
  check(found[0].userName === MANAGED_USER && found[0].status === "ACTIVE", `the search found the user: ${JSON.stringify(found)}`);
  await page.click("#admin-users .admin-open");
  await page.locator("#admin-user").waitFor({ state: "visible", timeout: TIMEOUT });
  check((await page.textContent("#admin-user-name")) === MANAGED_USER, "the user's page");
  await statusIs(page, "ACTIVE");
  check((await page.textContent("#admin-user-email")).includes(MANAGED_EMAIL), "the address is shown");
  const devices = (await rowsAre(page, "#admin-user-sessions", 2, "the user's sessions")).map((row) => row.device).sort();
  check(JSON.stringify(devices) === '["Laptop","Phone"]', `both sessions listed: ${devices}`);
  // The address keeps the user: a reload shows the same page.
  await page.reload();
  await page.locator("#admin-user").waitFor({ state: "visible", timeout: TIMEOUT });
  check((await page.textContent("#admin-user-name")) === MANAGED_USER, `a reload stays on the user's page: ${page.url()}`);
  await shot(page, "user");
  console.log(`ok admin directory: the Administration button (admins only) lists ${total} users five at a time with More; the address search found ${MANAGED_USER}, whose page lists both sessions and survives a reload`);

  // Ending one session: that browser signs itself out at once over its
  // socket; the other stays signed in and hears of the end.
  await page.click('#admin-user-sessions tr[data-device="Phone"] .admin-end-session');
  const endedAt = Date.now();
  await phone.page.locator("#signin").waitFor({ state: "visible", timeout: TIMEOUT });
  const endTookMs = Date.now() - endedAt;
  check(endTookMs < 5_000, `the phone signed itself out within seconds: ${endTookMs} ms`);
  await noticeSays(phone.page, "ENDED_BY_ADMIN");
  await shot(phone.page, "signed-out");
  const left = await rowsAre(page, "#admin-user-sessions", 1, "after ending one");
  check(left[0].device === "Laptop", `the laptop's session is still listed: ${JSON.stringify(left)}`);
  await laptop.page.waitForFunction(() => document.querySelectorAll("#sessions tr").length === 1, null, { timeout: TIMEOUT });
  const answered = accountAnswered(laptop.page);
  await laptop.page.click("#reload-sessions");
  await answered;
  check(await laptop.page.isVisible("#account"), "the laptop is still signed in and its calls work");
  console.log(`ok admin end session: the phone signed itself out ${endTookMs} ms after End (ENDED_BY_ADMIN); the laptop's session is still listed and working`);

  // A reset link for the user, by mail.
  await page.click("#admin-send-reset");
  await noticeSays(page, "is on its way");
  await mailedLink(MANAGED_EMAIL, "reset-password");

  // Disabling, past REAUTH_MAX_AGE_SECS: the prompt asks for the admin's
  // password, then the same call goes through; the laptop signs itself out.
  await advanceClock(301);
  const logged = desk.seen.log.length;
  await page.click("#admin-disable");
  await promptOpens(page, 1);
  await page.fill("#reauthenticate-password", ADMIN_PASSWORD);
  await shot(page, "reauthenticate");
  await page.click("#reauthenticate-form button[type=submit]");
  const disabledAt = Date.now();
  await laptop.page.locator("#signin").waitFor({ state: "visible", timeout: TIMEOUT });
  const disableTookMs = Date.now() - disabledAt;
  await noticeSays(laptop.page, "USER_DISABLED");
  await statusIs(page, "DISABLED");
  check(!(await page.isVisible("#reauthenticate")), "the prompt closed");
  await rowsAre(page, "#admin-user-sessions", 0, "after the disable");
  // The page reads the user again after the change: left out here, as
  // Node may log that answer before the change's.
  const disabling = "SetUserStatus:REAUTHENTICATION_REQUIRED Reauthenticate: SetUserStatus:";
  const settled = Date.now() + TIMEOUT;
  let calls;
  do {
    calls = callsSince(desk.seen, logged).split(" ").filter((call) => !call.startsWith("AdminUser:")).join(" ");
    if (calls !== disabling) await new Promise((resolve) => setTimeout(resolve, 50));
  } while (calls !== disabling && Date.now() < settled);
  check(calls === disabling, `refused, re-authenticated, sent again: ${calls}`);
  await sendSignIn(laptop, "Laptop", MANAGED_USER, MANAGED_PASSWORD);
  await noticeSays(laptop.page, "ACCOUNT_DISABLED");
  await shot(laptop.page, "disabled");
  console.log(`ok admin disable: past REAUTH_MAX_AGE_SECS the prompt took the admin's password and the same call disabled the user; the laptop signed itself out ${disableTookMs} ms after the confirm (USER_DISABLED); its sign-in is refused ACCOUNT_DISABLED`);

  // Refusals in plain words: no reset mail for a disabled user, and the
  // only admin cannot lose the role.
  await page.click("#admin-send-reset");
  await noticeSays(page, "the user is disabled");
  await page.fill("#admin-role", "editor");
  await page.click("#admin-role-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#admin-user-role").textContent === "editor", null, { timeout: TIMEOUT });
  await page.click("#admin-reset-factors");
  await noticeSays(page, "recovery codes and passkeys are removed");
  await page.click("#admin-enable");
  await statusIs(page, "ACTIVE");
  const events = (await rowData(page, "#admin-user-events")).map((row) => row.kind);
  check(events[0] === "ADMIN_ACTION" && events.filter((kind) => kind === "ADMIN_ACTION").length >= 5,
    `the user's events show the admin's actions, newest first: ${events}`);
  await page.click("#admin-user-back");
  await page.locator("#admin").waitFor({ state: "visible", timeout: TIMEOUT });
  await page.fill("#admin-query", ADMIN_USER);
  await page.click("#admin-search button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#admin-total").dataset.total === "1", null, { timeout: TIMEOUT });
  await page.click("#admin-users .admin-open");
  await page.waitForFunction((name) => document.querySelector("#admin-user-name").textContent === name, ADMIN_USER, { timeout: TIMEOUT });
  await page.fill("#admin-role", "user");
  await page.click("#admin-role-form button[type=submit]");
  await noticeSays(page, "the last active admin cannot lose the admin role. Make another user an admin first");
  check((await page.textContent("#admin-user-role")) === "admin", "still an admin");
  check((await rowData(page, "#admin-user-sessions")).some((row) => row.current === "true" && row.device === "Desk"),
    "the admin's own session is marked on their own page");
  await shot(page, "last-admin");
  console.log("ok admin refusals: a reset mail for a disabled user and the only admin's demotion were refused in plain words; the role, the factors reset and the enable went through");

  // An invitation from the directory, by mail.
  const invitee = `invitee-${SUFFIX}@example.com`;
  await page.click("#admin-user-back");
  await page.locator("#admin").waitFor({ state: "visible", timeout: TIMEOUT });
  await page.fill("#admin-invite-email", invitee);
  await page.click("#admin-invite button[type=submit]");
  await noticeSays(page, `on its way to ${invitee}`);
  await mailedLink(invitee, "accept-invite");

  // The audit log: newest first, five at a time.
  await page.click("#open-audit");
  await page.locator("#admin-audit").waitFor({ state: "visible", timeout: TIMEOUT });
  await rowsAre(page, "#admin-audit-log", 5, "the audit log's first page");
  await page.click("#admin-audit-more");
  await page.waitForFunction(() => document.querySelectorAll("#admin-audit-log tr").length > 5, null, { timeout: TIMEOUT });
  const actions = (await rowData(page, "#admin-audit-log")).map((row) => row.action);
  const expected = ["inviteUser", "setUserStatus", "resetUserFactors", "setUserRole", "setUserStatus", "sendPasswordReset", "endUserSessions"];
  check(JSON.stringify(actions) === JSON.stringify(expected), `the audit log, newest first: ${actions}`);
  check(!(await page.isVisible("#admin-audit-more")), "no More button under the last page");
  const disable = await page.textContent('#admin-audit-log tr[data-action="setUserStatus"]:nth-child(5)');
  check(disable.includes(ADMIN_USER) && disable.includes("DISABLED"), `the disable names its admin and what it set: ${disable}`);
  await shot(page, "audit");

  // The user signs in again (enabled, the same password).
  await signIn(laptop, "Laptop", MANAGED_USER, MANAGED_PASSWORD);
  const errors = [desk, laptop, phone].flatMap((app) => app.seen.events);
  check(errors.length === 0, `no page error: ${errors}`);
  for (const app of [desk, laptop, phone]) await app.context.close();
  console.log(`ok admin audit: ${actions.join(", ")}, newest first over two pages; enabled again, the user signs in (admin step took ${Date.now() - began} ms)`);
}

try {
  if (wanted("sessions")) {
    const laptop = await sessionsStep();
    if (STEPS === "all") {
      await reloadStep(laptop);
      await expiryStep(laptop);
      await preflightStep(laptop);
      await attackStep(laptop);
      await graphiqlStep();
    }
  }
  if (wanted("accounts")) await accountsStep();
  if (wanted("factors")) await factorsStep();
  if (wanted("passkeys")) await passkeysStep();
  if (wanted("devices")) await devicesStep();
  if (wanted("admin")) await adminStep();
  console.log("all steps passed");
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser.close();
}
