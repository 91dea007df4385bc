// The pages a signed-out visitor reaches, most from a link in a mail:
// /sign-up, /verify-email#token=T, /forgot-password,
// /reset-password#token=T, /accept-invite#token=T and
// /report-sign-in#token=T (report-sign-in.ts). The token travels
// after `#`, so it never reaches a server's log; it is read once and taken
// out of the address bar.
import type { AuthqlClient } from "./client";
import {
  RequestEmailVerification,
  RequestPasswordReset,
  ResetPassword,
  SignUp,
  VerifyEmail,
} from "./operations";
import { REPORT_PATH, openReportPage } from "./report-sign-in";
import { element, field, goTo, say, show } from "./ui";
import { explain } from "./words";

export interface AccountPages {
  client: AuthqlClient;
  /** Runs a user action, showing its error in plain words. */
  act(action: () => Promise<void>): Promise<void>;
  /** Shows the sign-in form with `message`. */
  showSignIn(message: string | null): void;
  /** Enters the signed-in app with a new access token. */
  signedIn(accessToken: string): Promise<void>;
  /** Shows the account if this browser is still signed in, else the
   *  sign-in form; with `message`. */
  resume(message: string): Promise<void>;
}

/** The path's page, when it is one of these; false for the others. */
export function openAccountPage(path: string, pages: AccountPages): boolean {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  switch (path) {
    case "/sign-up":
      show("sign-up");
      return true;
    case "/forgot-password":
      show("forgot-password");
      return true;
    case "/verify-email":
      goTo(path);
      if (token) void verify(token, pages);
      else show("resend-verification");
      return true;
    case "/reset-password":
      goTo(path);
      if (token) {
        resetToken = token;
        show("reset-password");
      } else {
        say("This page needs the link from a password reset mail: ask for one here.");
        show("forgot-password");
      }
      return true;
    case "/accept-invite":
      goTo(path);
      if (token) {
        inviteToken = token;
        show("accept-invite");
      } else {
        say("This page needs the link from an invitation mail.");
      }
      return true;
    case REPORT_PATH:
      openReportPage(token);
      return true;
    default:
      return false;
  }
}

let resetToken: string | null = null;
let inviteToken: string | null = null;

async function verify(token: string, pages: AccountPages): Promise<void> {
  say("Checking the link…");
  try {
    await pages.client.anonymous(VerifyEmail, { token });
    goTo("/");
    // A new address confirmed from the settings: the session is still there.
    await pages.resume("Your address is verified.");
  } catch (error) {
    say(`${explain(error)} You can ask for a new link.`);
    show("resend-verification");
  }
}

/** Wires the forms of these pages; called once. */
export function wireAccountPages(pages: AccountPages): void {
  const { client, act } = pages;
  const onSubmit = (id: string, action: () => Promise<void>) =>
    element<HTMLFormElement>(id).addEventListener("submit", (event) => {
      event.preventDefault();
      void act(action);
    });

  onSubmit("sign-up", async () => {
    const email = field("sign-up-email");
    const data = await client.anonymous(SignUp, {
      input: {
        userName: field("sign-up-user"),
        email,
        password: field("sign-up-password"),
        refreshTokenDelivery: "COOKIE",
      },
    });
    element<HTMLInputElement>("sign-up-password").value = "";
    if (data.signUp.auth) {
      goTo("/");
      await pages.signedIn(data.signUp.auth.accessToken);
    } else {
      say(`Almost there: we sent a link to ${email}. Follow it to verify your address, then sign in.`);
      show(null);
    }
  });

  onSubmit("resend-verification", async () => {
    const email = field("resend-email");
    await client.anonymous(RequestEmailVerification, { email });
    say(`If ${email} belongs to an account still waiting for verification, a new link is on its way.`);
    show(null);
  });

  onSubmit("forgot-password", async () => {
    const email = field("forgot-email");
    await client.anonymous(RequestPasswordReset, { email });
    say(`If ${email} belongs to an account, a mail with a link to set a new password is on its way.`);
    show(null);
  });

  onSubmit("reset-password", async () => {
    if (!resetToken) return;
    await client.anonymous(ResetPassword, {
      input: { token: resetToken, newPassword: field("reset-password-new") },
    });
    resetToken = null;
    element<HTMLInputElement>("reset-password-new").value = "";
    goTo("/");
    pages.showSignIn("Your password is set, and every device was signed out: sign in with the new one.");
  });

  onSubmit("accept-invite", async () => {
    if (!inviteToken) return;
    const device = field("invite-device").trim();
    const data = await client.anonymous(SignUp, {
      input: {
        userName: field("invite-user"),
        email: field("invite-email"),
        password: field("invite-password"),
        inviteToken,
        deviceInfo: device || null,
        refreshTokenDelivery: "COOKIE",
      },
    });
    element<HTMLInputElement>("invite-password").value = "";
    if (!data.signUp.auth) throw new Error("the invitation opened no session");
    inviteToken = null;
    goTo("/");
    await pages.signedIn(data.signUp.auth.accessToken);
  });
}
