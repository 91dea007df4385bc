// The admin pages, for a user whose role is admin (the account's
// Administration button shows only then; the server refuses anyone else,
// FORBIDDEN, whatever the page shows): the directory at /admin
// (admin-users.ts, with the invitation form of admin-invite.ts), one user
// at /admin?user=ID (admin-user.ts, its buttons in admin-user-actions.ts)
// and the audit log at /admin?audit (admin-audit.ts). Every admin mutation
// needs a recent sign-in: client.call opens the re-authentication prompt
// when the server asks for one, and sends the mutation again.
import { forgetAudit, loadAudit, wireAudit } from "./admin-audit";
import { wireInvite } from "./admin-invite";
import { forgetUser, loadUser } from "./admin-user";
import { wireUserActions } from "./admin-user-actions";
import { forgetUsers, searchUsers, wireUsers } from "./admin-users";
import { ApiError, type AuthqlClient } from "./client";
import { element, goTo, say, show } from "./ui";
import { explainAdminRefusal } from "./words";

export interface AdminPages {
  client: AuthqlClient;
  act(action: () => Promise<void>): Promise<void>;
  /** Loads and shows the account again. */
  reload(): Promise<void>;
}

/** What the admin modules share. */
export interface AdminContext {
  client: AuthqlClient;
  /** Runs an admin action: `act`, with FORBIDDEN and the last-admin rule
   *  in the admin's words. */
  run(action: () => Promise<void>): Promise<void>;
  /** Shows one user's page. */
  openUser(id: string): Promise<void>;
}

const PATH = "/admin";
const VIEWS = ["admin", "admin-user", "admin-audit"];

/** Whether the address asks for an admin page (a reload there). */
export function isAdminPath(path: string): boolean {
  return path === PATH;
}

/** Whether one of the admin pages is the one showing. */
export function adminShown(): boolean {
  return VIEWS.some((id) => !element(id).hidden);
}

/** Clears the admin pages (signed out): the next user must not see them. */
export function forgetAdmin(): void {
  forgetUsers();
  forgetUser();
  forgetAudit();
  if (location.pathname === PATH) goTo("/");
}

/** Wires the admin pages; called once. Gives back what opens them from an
 *  address's query (`?user=ID`, `?audit`, or none for the directory). */
export function wireAdmin(pages: AdminPages): (search: string) => Promise<void> {
  const run = (action: () => Promise<void>) =>
    pages.act(async () => {
      try {
        await action();
      } catch (error) {
        if (!(error instanceof ApiError) || !["FORBIDDEN", "BAD_USER_INPUT"].includes(error.code)) throw error;
        say(explainAdminRefusal(error));
      }
    });

  /** The directory: the first page of the search shown before (all
   *  users the first time), read again so that changes show. */
  const openDirectory = async () => {
    await searchUsers(context);
    goTo(PATH);
    show("admin");
  };
  const openUser = async (id: string) => {
    if (!(await loadUser(context, id))) {
      say("There is no user with this id any more (NOT_FOUND).");
      await openDirectory();
      return;
    }
    goTo(`${PATH}?user=${encodeURIComponent(id)}`);
    show("admin-user");
  };
  const openAudit = async () => {
    await loadAudit(context);
    goTo(`${PATH}?audit`);
    show("admin-audit");
  };
  const context: AdminContext = { client: pages.client, run, openUser };

  wireUsers(context);
  wireInvite(context);
  wireUserActions(context);
  wireAudit(context);
  element("open-admin").addEventListener("click", () => void run(openDirectory));
  element("open-audit").addEventListener("click", () => void run(openAudit));
  for (const id of ["admin-user-back", "admin-audit-back"]) {
    element(id).addEventListener("click", () => void run(openDirectory));
  }
  element("admin-back").addEventListener("click", () =>
    void pages.act(async () => {
      goTo("/");
      await pages.reload();
    }),
  );

  return async (search) => {
    const asked = new URLSearchParams(search);
    const user = asked.get("user");
    if (user) await openUser(user);
    else if (asked.has("audit")) await openAudit();
    else await openDirectory();
  };
}
