// The settings' passkeys: the list (name, when added, when last used, and
// whether the authenticator syncs it), adding one with an optional name,
// renaming and removing. Adding and removing need a recent proof, so they
// may open the re-authentication prompt first (client.ts); renaming does not.
import type { FactorPages } from "./factors";
import type { AccountQuery } from "./gql/graphql";
import { FinishPasskeyRegistration, RemovePasskey, RenamePasskey } from "./operations";
import { makePasskey, passkeysWork } from "./passkeys";
import { element, field, say } from "./ui";
import { explainPasskeyRefusal } from "./words";

type Passkey = AccountQuery["myPasskeys"][number];

const list = element<HTMLTableSectionElement>("passkey-list");
let pages: FactorPages | null = null;

function when(time: string | null | undefined): string {
  return time ? new Date(time).toLocaleString() : "never";
}

function button(text: string, className: string, action: () => Promise<void>): HTMLButtonElement {
  const made = document.createElement("button");
  made.type = "button";
  made.className = className;
  made.textContent = text;
  made.addEventListener("click", () => void pages?.act(action));
  return made;
}

/** Turns the row's name into a field; Enter or Save renames it. */
function startRenaming(passkey: Passkey, nameCell: HTMLTableCellElement, rename: HTMLButtonElement): void {
  const input = document.createElement("input");
  input.className = "passkey-new-label";
  input.value = passkey.label;
  input.maxLength = 64;
  input.setAttribute("aria-label", "New name");
  const save = button("Save", "passkey-save", async () => {
    const label = input.value.trim();
    if (!pages || !label) return;
    await pages.client.call(RenamePasskey, { id: passkey.id, label });
    say(`Renamed to "${label}".`);
    await pages.reload();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") save.click();
  });
  nameCell.replaceChildren(input, " ", save);
  rename.hidden = true;
  input.focus();
  input.select();
}

function row(passkey: Passkey): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.passkeyId = passkey.id;
  const name = document.createElement("td");
  name.className = "passkey-name";
  name.textContent = passkey.label;
  if (passkey.backedUp) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = "synced";
    badge.title = "The authenticator backs it up (a password manager or your devices' keychain)";
    name.append(" ", badge);
  }
  const added = document.createElement("td");
  added.textContent = when(passkey.createdAt);
  const used = document.createElement("td");
  used.className = "passkey-used";
  used.textContent = when(passkey.lastUsedAt);
  const rename: HTMLButtonElement = button("Rename", "passkey-rename", async () => startRenaming(passkey, name, rename));
  const remove = button("Remove", "passkey-remove", async () => {
    if (!pages) return;
    await pages.client.call(RemovePasskey, { id: passkey.id });
    say(`The passkey "${passkey.label}" is removed: it no longer signs in to this account.`);
    await pages.reload();
  });
  const actions = document.createElement("td");
  actions.append(rename, " ", remove);
  tr.append(name, added, used, actions);
  return tr;
}

/** Shows the user's passkeys, newest first. */
export function showPasskeys(passkeys: AccountQuery["myPasskeys"]): void {
  list.replaceChildren(...passkeys.map(row));
  element("passkey-table").hidden = passkeys.length === 0;
  element("passkeys-none").hidden = passkeys.length > 0;
}

/** Wires the form that adds a passkey; called once. */
export function wirePasskeySettings(factorPages: FactorPages): void {
  pages = factorPages;
  const form = element<HTMLFormElement>("passkey-add");
  form.hidden = !passkeysWork();
  element("passkeys-unsupported").hidden = passkeysWork();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void factorPages.act(async () => {
      const label = field("passkey-label").trim();
      let added: { label: string };
      try {
        const answer = await makePasskey(factorPages.client);
        const data = await factorPages.client.call(FinishPasskeyRegistration, {
          input: { ...answer, label: label || null },
        });
        added = data.finishPasskeyRegistration;
      } catch (error) {
        if (!(error instanceof DOMException)) throw error;
        say(explainPasskeyRefusal(error));
        return;
      }
      element<HTMLInputElement>("passkey-label").value = "";
      say(`The passkey "${added.label}" is added: you can sign in with it instead of your password.`);
      await factorPages.reload();
    });
  });
}
