// The example app: sign in with the refresh cookie, show who is signed in
// and their sessions, end one, all others, or all; sign out at once when
// this session is ended from another device (live session events). The
// account pages (sign-up and the links of mails, accounts.ts) are picked
// by the path; the settings change the email address and turn two-factor
// authentication on or off (factors.ts) and list, add, rename and remove
// passkeys (passkey-settings.ts). The sign-in form takes a passkey too,
// from its button or the browser's autofill (passkey-sign-in.ts). A login
// that answers MFA_REQUIRED goes on to its second step (second-step.ts);
// any call that answers REAUTHENTICATION_REQUIRED opens the
// re-authentication prompt (reauthenticate.ts) and is sent again once it
// succeeds. The Security page (security.ts) shows the account's timeline;
// an admin's Administration button opens the admin pages (admin.ts).
import { adminShown, forgetAdmin, isAdminPath, wireAdmin } from "./admin";
import { openAccountPage, wireAccountPages } from "./accounts";
import { ApiError, AuthqlClient } from "./client";
import { forgetFactors, showFactors, wireFactors } from "./factors";
import { watchSessions } from "./live";
import type { AccountQuery } from "./gql/graphql";
import { Account, ChangeEmail, EndAll, EndSession, Login, Logout, RefreshFromCookie } from "./operations";
import { showPasskeys, wirePasskeySettings } from "./passkey-settings";
import { offerPasskeyAutofill, stopPasskeyAutofill, wirePasskeySignIn } from "./passkey-sign-in";
import { type Factors, reauthenticator } from "./reauthenticate";
import { wireReportPage } from "./report-sign-in";
import { askForSecondFactor, forgetSecondStep, wireSecondStep } from "./second-step";
import {
  addSecurityEvent,
  forgetSecurity,
  isSecurityPath,
  openSecurity,
  securityShown,
  wireSecurity,
} from "./security";
import { element, field, goTo, say, show } from "./ui";
import { explain, signedOutBecause } from "./words";

const sessionRows = element<HTMLTableSectionElement>("sessions");

/** Where authql is: config.json beside the page, else the development default. */
async function graphqlUrl(): Promise<string> {
  try {
    const response = await fetch(new URL("/config.json", location.href));
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
// The signed-in account's factors, for the re-authentication prompt.
let factors: Factors = { totp: false, passkeys: 0 };
client.reauthenticator = reauthenticator(client, () => factors);
let stopWatching: (() => void) | null = null;

/** Opens (or reopens) the live-events socket with the current token. */
function watch(): void {
  stopWatching?.();
  const token = client.bearer;
  if (!token) return;
  stopWatching = watchSessions(apiUrl, token, {
    signedOut: (reason) => showSignIn(signedOutBecause(reason)),
    changed: () => {
      // The Security page stays where it is (going back loads the account),
      // also when it opened while this account was being read: a reload on
      // /security hears the sign-in just before it, and that news must not
      // pull the page back.
      // The admin pages likewise.
      if (securityShown() || adminShown()) return;
      void act(async () => {
        const account = await client.call(Account, {});
        if (!securityShown() && !adminShown()) showAccount(account);
      });
    },
    securityEvent: addSecurityEvent,
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
  forgetFactors();
  factors = { totp: false, passkeys: 0 };
  forgetSecondStep();
  forgetSecurity();
  forgetAdmin();
  show("signin");
  say(message);
  offerPasskeyAutofill();
}

function showAccount(data: AccountQuery): void {
  element("me-name").textContent = data.me.userName;
  element("me-role").textContent = data.me.role;
  // Only a hint: the server refuses the admin pages' calls to anyone else.
  element("open-admin").hidden = data.me.role !== "admin";
  element("me-email").textContent = data.me.email ?? "none";
  const state = element("me-email-state");
  state.textContent = data.me.emailVerified ? "verified" : "not verified";
  state.dataset.verified = String(data.me.emailVerified);
  state.hidden = data.me.email === null;
  showFactors(data.me);
  factors = { totp: data.me.mfa.totp, passkeys: data.me.mfa.passkeys };
  showPasskeys(data.myPasskeys);
  sessionRows.replaceChildren(
    ...data.mySessions.map((session) => {
      const row = document.createElement("tr");
      row.dataset.sessionId = session.id;
      row.dataset.current = String(session.current);
      row.dataset.aal = String(session.aal);
      const device = document.createElement("td");
      device.textContent = session.deviceName;
      if (session.aal >= 2) {
        const badge = document.createElement("span");
        badge.className = "badge two-factor";
        badge.textContent = "two-factor";
        badge.title = "Signed in with a second factor";
        device.append(" ", badge);
      }
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
  show("account");
}

async function loadAccount(): Promise<void> {
  showAccount(await client.call(Account, {}));
}

/** Enters the app with the access token of a new session. */
async function signedIn(accessToken: string): Promise<void> {
  stopPasskeyAutofill();
  client.useToken(accessToken);
  say(null);
  await loadAccount();
  watch();
}

async function endSession(sessionId: string, current: boolean): Promise<void> {
  await client.call(EndSession, { sessionId });
  if (current) showSignIn("Signed out.");
  else await loadAccount();
}

/** Runs a user action; a session that ended elsewhere shows the sign-in
 *  form, and any other error is said in plain words. */
async function act(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError && error.signedOut) {
      showSignIn(`You were signed out (${error.code}).`);
    } else if (error instanceof ApiError && error.code === "EMAIL_NOT_VERIFIED") {
      say(explain(error));
      show("resend-verification");
    } else if (error instanceof ApiError && error.code === "PASSWORD_RESET_REQUIRED") {
      // The way out is a reset: its form, under the reason.
      say(explain(error));
      show("forgot-password");
    } else {
      say(explain(error));
    }
  }
}

element<HTMLFormElement>("signin").addEventListener("submit", (event) => {
  event.preventDefault();
  void act(async () => {
    const device = field("device").trim();
    let accessToken: string;
    try {
      const data = await client.anonymous(Login, {
        input: {
          userName: field("user"),
          password: field("password"),
          deviceInfo: device || null,
          refreshTokenDelivery: "COOKIE",
        },
      });
      accessToken = data.login.accessToken;
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "MFA_REQUIRED") throw error;
      element<HTMLInputElement>("password").value = "";
      askForSecondFactor(error);
      return;
    }
    element<HTMLInputElement>("password").value = "";
    await signedIn(accessToken);
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
element<HTMLFormElement>("change-email").addEventListener("submit", (event) => {
  event.preventDefault();
  void act(async () => {
    const newEmail = field("new-email");
    await client.call(ChangeEmail, { newEmail });
    element<HTMLInputElement>("new-email").value = "";
    say(`We sent a link to ${newEmail}: your address changes when you follow it.`);
  });
});

/** Shows the account when the refresh cookie still opens the session (a
 *  reload has no access token in memory), else the sign-in form; with
 *  `message` either way. */
async function resume(message: string | null): Promise<void> {
  try {
    await client.refresh();
    await loadAccount();
    say(message);
    watch();
  } catch {
    showSignIn(message);
  }
}

const pages = { client, act, showSignIn, signedIn, resume };
wireAccountPages(pages);
wireReportPage(pages);
wireSecondStep(pages);
wirePasskeySignIn(pages);
wireFactors({ client, act, reload: loadAccount });
wirePasskeySettings({ client, act, reload: loadAccount });
wireSecurity({ client, act, reload: loadAccount });
const openAdmin = wireAdmin({ client, act, reload: loadAccount });
if (!openAccountPage(location.pathname, pages)) {
  const security = isSecurityPath(location.pathname);
  const admin = isAdminPath(location.pathname) ? location.search : null;
  goTo("/");
  await resume(null);
  if (security && client.signedIn) await act(() => openSecurity(client));
  if (admin !== null && client.signedIn) await act(() => openAdmin(admin));
}
