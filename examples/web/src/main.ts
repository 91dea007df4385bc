// The example app: sign in with the refresh cookie, show who is signed in
// and their sessions, end one, all others, or all; sign out at once when
// this session is ended from another device (live session events).
import { ApiError, AuthqlClient } from "./client";
import { watchSessions } from "./live";
import type { AccountQuery } from "./gql/graphql";
import { Account, EndAll, EndSession, Login, Logout, RefreshFromCookie } from "./operations";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found as T;
}

const notice = element<HTMLParagraphElement>("notice");
const signin = element<HTMLFormElement>("signin");
const account = element<HTMLElement>("account");
const sessionRows = element<HTMLTableSectionElement>("sessions");

function say(text: string | null): void {
  notice.textContent = text ?? "";
  notice.hidden = text === null;
}

/** Where authql is: config.json beside the page, else the development default. */
async function graphqlUrl(): Promise<string> {
  try {
    const response = await fetch(new URL("config.json", location.href));
    if (response.ok) {
      const config = (await response.json()) as { graphqlUrl?: string };
      if (config.graphqlUrl) return config.graphqlUrl;
    }
  } catch {
    // No config.json: the default below.
  }
  return "http://localhost:8080/graphql";
}

const apiUrl = await graphqlUrl();
const client = new AuthqlClient(apiUrl, RefreshFromCookie);
let stopWatching: (() => void) | null = null;

/** Opens (or reopens) the live-events socket with the current token. */
function watch(): void {
  stopWatching?.();
  const token = client.bearer;
  if (!token) return;
  stopWatching = watchSessions(apiUrl, token, {
    signedOut: (reason) => showSignIn(`You were signed out on another device (${reason}).`),
    changed: () => void act(loadAccount),
    refused: () =>
      void act(async () => {
        await client.refresh();
        watch();
      }),
  });
}

function showSignIn(message: string | null): void {
  stopWatching?.();
  stopWatching = null;
  client.forget();
  account.hidden = true;
  signin.hidden = false;
  say(message);
}

function showAccount(data: AccountQuery): void {
  element("me-name").textContent = data.me.userName;
  element("me-role").textContent = data.me.role;
  sessionRows.replaceChildren(
    ...data.mySessions.map((session) => {
      const row = document.createElement("tr");
      row.dataset.sessionId = session.id;
      row.dataset.current = String(session.current);
      const device = document.createElement("td");
      device.textContent = session.deviceInfo ?? session.userAgent ?? "unknown device";
      if (session.current) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = "this device";
        device.append(" ", badge);
      }
      const address = document.createElement("td");
      address.textContent = session.ipAddress ?? "";
      const lastActive = document.createElement("td");
      lastActive.textContent = new Date(session.lastActiveAt).toLocaleString();
      const end = document.createElement("button");
      end.type = "button";
      end.textContent = "End";
      end.addEventListener("click", () => void act(() => endSession(session.id, session.current)));
      const actions = document.createElement("td");
      actions.append(end);
      row.append(device, address, lastActive, actions);
      return row;
    }),
  );
  signin.hidden = true;
  account.hidden = false;
}

async function loadAccount(): Promise<void> {
  showAccount(await client.call(Account, {}));
}

async function endSession(sessionId: string, current: boolean): Promise<void> {
  await client.call(EndSession, { sessionId });
  if (current) showSignIn("Signed out.");
  else await loadAccount();
}

/** Runs a user action; a session that ended elsewhere shows the sign-in form. */
async function act(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError && error.signedOut) {
      showSignIn(`You were signed out (${error.code}).`);
    } else {
      say(error instanceof Error ? error.message : String(error));
    }
  }
}

signin.addEventListener("submit", (event) => {
  event.preventDefault();
  void act(async () => {
    const device = element<HTMLInputElement>("device").value.trim();
    const data = await client.anonymous(Login, {
      input: {
        userName: element<HTMLInputElement>("user").value,
        password: element<HTMLInputElement>("password").value,
        deviceInfo: device || null,
        refreshTokenDelivery: "COOKIE",
      },
    });
    client.useToken(data.login.accessToken);
    element<HTMLInputElement>("password").value = "";
    say(null);
    await loadAccount();
    watch();
  });
});

element("reload-sessions").addEventListener("click", () => void act(loadAccount));
element("end-others").addEventListener("click", () =>
  void act(async () => {
    const ended = await client.call(EndAll, { exceptCurrent: true });
    say(`Ended ${ended} other session(s).`);
    await loadAccount();
  }),
);
element("end-all").addEventListener("click", () =>
  void act(async () => {
    await client.call(EndAll, { exceptCurrent: false });
    showSignIn("Signed out everywhere.");
  }),
);
element("signout").addEventListener("click", () =>
  void act(async () => {
    await client.call(Logout, {});
    showSignIn("Signed out.");
  }),
);

// A reload has no access token in memory: the cookie brings a new one.
try {
  await client.refresh();
  await loadAccount();
  watch();
} catch {
  showSignIn(null);
}
