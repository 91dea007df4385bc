// The Security page (/security): the signed-in user's own timeline of
// security events (mySecurityEvents), newest first, a page at a time: "More"
// asks for the events before the oldest one shown. While it shows, each
// new event the live socket brings (live.ts) goes on top, so that a
// sign-in elsewhere or a report shows here without a reload.
import type { AuthqlClient } from "./client";
import type { TimelineEventFragment } from "./gql/graphql";
import { MySecurityEvents } from "./operations";
import { element, goTo, show } from "./ui";
import { describeEvent } from "./words";

export interface SecurityPages {
  client: AuthqlClient;
  act(action: () => Promise<void>): Promise<void>;
  /** Loads and shows the account again. */
  reload(): Promise<void>;
}

const PATH = "/security";
// Small, so that a few days of use already show the paging.
const PAGE_SIZE = 5;
const timeline = element<HTMLTableSectionElement>("timeline");
const more = element<HTMLButtonElement>("timeline-more");
const empty = element("timeline-empty");
const view = element("security");
// The ids shown, so that an event is never shown twice; the last is the oldest.
let shownIds: string[] = [];

function cell(text: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function row(event: TimelineEventFragment): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.eventId = event.id;
  tr.dataset.kind = event.kind;
  // The why (an end reason) or the how (a sign-in's methods) after the what.
  const extra = event.reason ?? event.detail;
  tr.append(
    cell(new Date(event.at).toLocaleString()),
    cell(extra ? `${describeEvent(event.kind)} (${extra})` : describeEvent(event.kind)),
    cell(event.deviceName ?? ""),
    cell(event.ipAddress ?? ""),
  );
  return tr;
}

/** Appends the page of events older than the oldest shown (the newest
 *  page when none is). */
async function loadOlder(client: AuthqlClient): Promise<void> {
  const before = shownIds.at(-1) ?? null;
  // One more than shown: whether there is a next page, without a click
  // that finds nothing.
  const data = await client.call(MySecurityEvents, { first: PAGE_SIZE + 1, before });
  const page = data.mySecurityEvents.slice(0, PAGE_SIZE);
  const fresh = page.filter((event) => !shownIds.includes(event.id));
  timeline.append(...fresh.map(row));
  shownIds.push(...fresh.map((event) => event.id));
  more.hidden = data.mySecurityEvents.length <= PAGE_SIZE;
  empty.hidden = shownIds.length > 0;
}

/** Shows the Security page with the newest events. */
export async function openSecurity(client: AuthqlClient): Promise<void> {
  forgetSecurity();
  await loadOlder(client);
  goTo(PATH);
  show("security");
}

/** Whether the address asks for the Security page (a reload there). */
export function isSecurityPath(path: string): boolean {
  return path === PATH;
}

/** Whether the page is the one showing. */
export function securityShown(): boolean {
  return !view.hidden;
}

/** Puts a new event on top of the page while it shows (else the page
 *  loads it when it opens). */
export function addSecurityEvent(event: TimelineEventFragment): void {
  if (view.hidden || shownIds.includes(event.id)) return;
  timeline.prepend(row(event));
  shownIds.unshift(event.id);
  empty.hidden = true;
}

/** Clears the page (signed out): the next user must not see these events. */
export function forgetSecurity(): void {
  timeline.replaceChildren();
  shownIds = [];
  more.hidden = true;
  empty.hidden = true;
  if (location.pathname === PATH) goTo("/");
}

/** Wires the page's buttons; called once. */
export function wireSecurity(pages: SecurityPages): void {
  const { client, act } = pages;
  element("open-security").addEventListener("click", () => void act(() => openSecurity(client)));
  more.addEventListener("click", () => void act(() => loadOlder(client)));
  element("security-back").addEventListener("click", () =>
    void act(async () => {
      goTo("/");
      await pages.reload();
    }),
  );
}
