// The buttons of a user's admin page: disable or enable (setUserStatus),
// set the role (setUserRole), end one session or all (endUserSessions),
// reset the second factors (resetUserFactors) and mail a password reset
// link (sendPasswordReset). Each reads the user again afterwards and says
// what it did; a refusal (the last admin's, say) is said by `run`.
import type { AdminContext } from "./admin";
import { loadUser, shownUser } from "./admin-user";
import type { AccountStatus } from "./gql/graphql";
import {
  EndUserSessions,
  ResetUserFactors,
  SendPasswordReset,
  SetUserRole,
  SetUserStatus,
} from "./operations";
import { element, field, say } from "./ui";

/** Wires the page's buttons; called once. */
export function wireUserActions(context: AdminContext): void {
  const { client } = context;
  /** Runs `change` on the user shown, reads the user again, then says
   *  what `change` answers. */
  const onUser = (change: (id: string, name: string) => Promise<string>) =>
    context.run(async () => {
      const user = shownUser();
      if (!user) return;
      const done = await change(user.id, user.userName);
      await loadUser(context, user.id);
      say(done);
    });
  const click = (id: string, change: (id: string, name: string) => Promise<string>) =>
    element(id).addEventListener("click", () => void onUser(change));
  const setStatus = (status: AccountStatus, words: string) => async (userId: string, name: string) => {
    await client.call(SetUserStatus, { userId, status });
    return `${name} ${words}`;
  };

  click("admin-disable", setStatus("DISABLED", "is disabled: every session of theirs has ended, and signing in is refused."));
  click("admin-enable", setStatus("ACTIVE", "may sign in again."));
  click("admin-send-reset", async (userId, name) => {
    await client.call(SendPasswordReset, { userId });
    return `A link to set a new password is on its way to ${name}'s address.`;
  });
  click("admin-reset-factors", async (userId, name) => {
    await client.call(ResetUserFactors, { userId });
    return `${name}'s authenticator app, recovery codes and passkeys are removed, and every session of theirs has ended.`;
  });
  click("admin-end-all", async (userId, name) => {
    const ended = await client.call(EndUserSessions, { userId });
    return `Ended ${ended.endUserSessions} session(s) of ${name}.`;
  });
  element<HTMLFormElement>("admin-role-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void onUser(async (userId, name) => {
      const role = field("admin-role").trim();
      await client.call(SetUserRole, { userId, role });
      return `${name}'s role is ${role} from their next request on.`;
    });
  });
  // The End button of one session (admin-user.ts draws a row per session).
  element("admin-user-sessions").addEventListener("click", (event) => {
    const button = (event.target as HTMLElement).closest(".admin-end-session");
    const row = button?.closest("tr");
    const sessionId = row?.dataset.sessionId;
    if (!sessionId) return;
    const device = row?.dataset.device ?? "that device";
    void onUser(async (userId, name) => {
      await client.call(EndUserSessions, { userId, sessionId });
      return `Ended ${name}'s session on ${device}: it is signed out now.`;
    });
  });
}
