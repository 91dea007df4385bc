// The page a new-device alert mail links to (/report-sign-in#token=T): it
// asks "This wasn't me?" before it acts, since a mail's link may be opened
// by a scanner or by the owner who did sign in; once confirmed,
// reportSignIn ends that session and those opened since from the same
// device and network, and the password stops working until it is reset,
// so the page goes on to the reset form.
import type { AuthqlClient } from "./client";
import { ReportSignIn } from "./operations";
import { element, goTo, say, show } from "./ui";

export interface ReportPages {
  client: AuthqlClient;
  act(action: () => Promise<void>): Promise<void>;
}

export const REPORT_PATH = "/report-sign-in";
let reportToken: string | null = null;

/** Shows the page for the alert's `token` (null: the link was cut short). */
export function openReportPage(token: string | null): void {
  goTo(REPORT_PATH);
  if (token) {
    reportToken = token;
    show("report-sign-in");
  } else {
    say("This page needs the link from a new sign-in alert mail.");
    show(null);
  }
}

/** Wires the page's form; called once. */
export function wireReportPage(pages: ReportPages): void {
  element<HTMLFormElement>("report-sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    void pages.act(async () => {
      if (!reportToken) return;
      await pages.client.anonymous(ReportSignIn, { token: reportToken });
      reportToken = null;
      goTo("/forgot-password");
      say(
        "Thank you: that sign-in, and any opened since from the same device and network, are signed out. " +
          "Your password no longer works until you set a new one: ask for the link here.",
      );
      show("forgot-password");
    });
  });
}
