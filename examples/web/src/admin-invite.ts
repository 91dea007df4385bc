// The directory's invitation form: inviteUser mails the address a link to
// /accept-invite, which creates the account with the role given.
import type { AdminContext } from "./admin";
import { InviteUser } from "./operations";
import { element, field, say } from "./ui";

/** Wires the form; called once. */
export function wireInvite(context: AdminContext): void {
  const email = element<HTMLInputElement>("admin-invite-email");
  element<HTMLFormElement>("admin-invite").addEventListener("submit", (event) => {
    event.preventDefault();
    void context.run(async () => {
      const address = email.value.trim();
      const role = field("admin-invite-role").trim();
      await context.client.call(InviteUser, { email: address, role });
      email.value = "";
      say(`An invitation to join as ${role} is on its way to ${address}.`);
    });
  });
}
