// One user's admin page (/admin?user=ID): status, role, address, second
// factors, open sessions (each with its End button, which
// admin-user-actions.ts handles) and the user's recent security events,
// newest first, admin actions among them.
import type { AdminContext } from "./admin";
import type { AdminUserQuery } from "./gql/graphql";
import { AdminUser } from "./operations";
import { cell, element, when } from "./ui";
import { describeEventToAdmin } from "./words";

type Shown = NonNullable<AdminUserQuery["user"]>;

// The page shows the newest events only; the user's own Security page has them all.
const EVENTS = 10;
const sessions = element<HTMLTableSectionElement>("admin-user-sessions");
const events = element<HTMLTableSectionElement>("admin-user-events");
let shown: Shown | null = null;

/** The user the page shows, as it was last read. */
export function shownUser(): Shown | null {
  return shown;
}

function factors(user: Shown): string {
  const ways = [
    user.mfa.totp ? `authenticator app (${user.mfa.recoveryCodesLeft} recovery codes left)` : null,
    user.mfa.passkeys > 0 ? `${user.mfa.passkeys} passkey(s)` : null,
  ].filter((way) => way !== null);
  return ways.length > 0 ? ways.join(", ") : "none: the password alone";
}

function sessionRow(session: Shown["sessions"][number]): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.sessionId = session.id;
  tr.dataset.device = session.deviceName;
  tr.dataset.aal = String(session.aal);
  tr.dataset.current = String(session.current);
  const end = document.createElement("button");
  end.type = "button";
  end.className = "admin-end-session";
  end.textContent = "End";
  const actions = document.createElement("td");
  actions.append(end);
  // The admin's own session, on their own page: ending it signs this tab out.
  tr.append(
    cell(session.current ? `${session.deviceName} (this session)` : session.deviceName),
    cell(session.ipAddress ?? ""),
    cell(when(session.createdAt)),
    cell(when(session.lastActiveAt)),
    actions,
  );
  return tr;
}

function eventRow(event: Shown["securityEvents"][number]): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.eventId = event.id;
  tr.dataset.kind = event.kind;
  const extra = event.reason ?? event.detail;
  tr.append(
    cell(when(event.at)),
    cell(extra ? `${describeEventToAdmin(event.kind)} (${extra})` : describeEventToAdmin(event.kind)),
    cell(event.deviceName ?? ""),
    cell(event.ipAddress ?? ""),
  );
  return tr;
}

function draw(user: Shown): void {
  element("admin-user-name").textContent = user.userName;
  const status = element("admin-user-status");
  status.textContent = user.status.toLowerCase();
  status.dataset.status = user.status;
  element("admin-user-role").textContent = user.role;
  const verified = user.emailVerified ? "verified" : "not verified";
  element("admin-user-email").textContent = user.email ? `${user.email} (${verified})` : "none";
  element("admin-user-mfa").textContent = factors(user);
  element("admin-user-created").textContent = when(user.createdAt);
  element("admin-user-last-sign-in").textContent = when(user.lastSignInAt);
  element<HTMLInputElement>("admin-role").value = user.role;
  element("admin-disable").hidden = user.status === "DISABLED";
  const enable = element("admin-enable");
  enable.hidden = user.status === "ACTIVE";
  enable.textContent = user.status === "UNVERIFIED" ? "Enable (and verify the address)" : "Enable";
  sessions.replaceChildren(...user.sessions.map(sessionRow));
  element("admin-user-sessions-none").hidden = user.sessions.length > 0;
  element("admin-end-all").hidden = user.sessions.length === 0;
  events.replaceChildren(...user.securityEvents.map(eventRow));
}

/** Reads the user `id` and shows it on the page; false when there is no
 *  such user. */
export async function loadUser(context: AdminContext, id: string): Promise<boolean> {
  const data = await context.client.call(AdminUser, { id, events: EVENTS });
  if (!data.user) return false;
  shown = data.user;
  draw(data.user);
  return true;
}

/** Clears the page (signed out). */
export function forgetUser(): void {
  shown = null;
  sessions.replaceChildren();
  events.replaceChildren();
}
