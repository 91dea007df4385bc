// The audit log (/admin?audit): what admins did, newest first, a page at
// a time: "More" asks for the entries before the oldest one shown. The
// touched user's id opens their page.
import type { AdminContext } from "./admin";
import type { AuditLogQuery } from "./gql/graphql";
import { AuditLog } from "./operations";
import { cell, element, when } from "./ui";
import { describeAuditAction } from "./words";

type Entry = AuditLogQuery["auditLog"][number];

const PAGE_SIZE = 5;
const log = element<HTMLTableSectionElement>("admin-audit-log");
const more = element<HTMLButtonElement>("admin-audit-more");
const empty = element("admin-audit-empty");
// The ids shown, so that an entry is never shown twice; the last is the oldest.
let shownIds: string[] = [];

function row(entry: Entry, context: AdminContext): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.entryId = entry.id;
  tr.dataset.action = entry.action;
  const target = document.createElement("td");
  const userId = entry.targetUserId;
  if (userId) {
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link";
    // Ids are long: the first characters tell them apart on one page.
    open.textContent = `${userId.slice(0, 8)}…`;
    open.title = userId;
    open.addEventListener("click", () => void context.run(() => context.openUser(userId)));
    target.append(open);
  }
  tr.append(
    cell(when(entry.at)),
    cell(entry.actorName || "(a removed account)"),
    cell(describeAuditAction(entry.action)),
    target,
    cell(entry.detail ?? ""),
    cell(entry.ipAddress ?? ""),
  );
  return tr;
}

async function loadOlder(context: AdminContext): Promise<void> {
  const before = shownIds.at(-1) ?? null;
  // One more than shown: whether there is a next page, without a click
  // that finds nothing.
  const data = await context.client.call(AuditLog, { first: PAGE_SIZE + 1, before });
  const page = data.auditLog.slice(0, PAGE_SIZE);
  const fresh = page.filter((entry) => !shownIds.includes(entry.id));
  log.append(...fresh.map((entry) => row(entry, context)));
  shownIds.push(...fresh.map((entry) => entry.id));
  more.hidden = data.auditLog.length <= PAGE_SIZE;
  empty.hidden = shownIds.length > 0;
}

/** Shows the newest entries. */
export async function loadAudit(context: AdminContext): Promise<void> {
  forgetAudit();
  await loadOlder(context);
}

/** Clears the log (signed out, or before it is read again). */
export function forgetAudit(): void {
  log.replaceChildren();
  shownIds = [];
  more.hidden = true;
  empty.hidden = true;
}

/** Wires the More button; called once. */
export function wireAudit(context: AdminContext): void {
  more.addEventListener("click", () => void context.run(() => loadOlder(context)));
}
