// The admin's directory (/admin): the users whose name or address holds
// the search's text (any letter case; all users without one), oldest
// first, a page at a time: "More" asks for the page after the last user
// shown (the API's cursor, which stays put while users sign up). Each
// user's name opens their page.
import type { AdminContext } from "./admin";
import type { AdminUsersQuery } from "./gql/graphql";
import { AdminUsers } from "./operations";
import { cell, element, field, when } from "./ui";

type Listed = AdminUsersQuery["users"]["nodes"][number];

// Small, so that the example's few users already show the paging.
const PAGE_SIZE = 5;
const rows = element<HTMLTableSectionElement>("admin-users");
const more = element<HTMLButtonElement>("admin-users-more");
const total = element("admin-total");
let query: string | null = null;
let endCursor: string | null = null;

function row(user: Listed, context: AdminContext): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.userId = user.id;
  tr.dataset.userName = user.userName;
  tr.dataset.status = user.status;
  const open = document.createElement("button");
  open.type = "button";
  open.className = "link admin-open";
  open.textContent = user.userName;
  open.addEventListener("click", () => void context.run(() => context.openUser(user.id)));
  const name = document.createElement("td");
  name.append(open);
  tr.append(
    name,
    cell(user.email ?? ""),
    cell(user.role),
    cell(user.status.toLowerCase()),
    cell(when(user.lastSignInAt)),
  );
  return tr;
}

/** Appends the page after the last user shown. */
async function loadMore(context: AdminContext): Promise<void> {
  const data = await context.client.call(AdminUsers, { query, first: PAGE_SIZE, after: endCursor });
  const page = data.users;
  rows.append(...page.nodes.map((user) => row(user, context)));
  endCursor = page.endCursor ?? endCursor;
  more.hidden = !page.hasNextPage;
  total.dataset.total = String(page.totalCount);
  const users = page.totalCount === 1 ? "1 user" : `${page.totalCount} users`;
  total.textContent = query === null ? `${users} in all.` : `${users} with “${query}” in the name or address.`;
}

/** Shows the first page of users with `text` in the name or address (all
 *  for null; the search shown before when not given). */
export async function searchUsers(context: AdminContext, text?: string | null): Promise<void> {
  if (text !== undefined) query = text;
  endCursor = null;
  rows.replaceChildren();
  await loadMore(context);
}

/** Clears the directory (signed out). */
export function forgetUsers(): void {
  rows.replaceChildren();
  query = null;
  endCursor = null;
  more.hidden = true;
  total.textContent = "";
  total.dataset.total = "";
  element<HTMLInputElement>("admin-query").value = "";
}

/** Wires the search form and the More button; called once. */
export function wireUsers(context: AdminContext): void {
  element<HTMLFormElement>("admin-search").addEventListener("submit", (event) => {
    event.preventDefault();
    void context.run(() => searchUsers(context, field("admin-query").trim() || null));
  });
  more.addEventListener("click", () => void context.run(() => loadMore(context)));
}
