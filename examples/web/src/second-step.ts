// The second step of sign-in: login answered MFA_REQUIRED for an account
// with two-factor authentication on, so no session is open yet. The page
// asks for a code from the authenticator app (or a recovery code), and
// completeLogin with the login's mfaToken opens the session; the refresh
// token comes as the cookie the login asked for. The mfaToken lives in this
// module's memory for its five minutes, never in storage.
import type { AccountPages } from "./accounts";
import { ApiError } from "./client";
import { codeEntry } from "./code-entry";
import { CompleteLogin } from "./operations";
import { element, say, show } from "./ui";
import { explainFactorRefusal } from "./words";

let mfaToken: string | null = null;
let entry: ReturnType<typeof codeEntry> | null = null;

/** Shows the second step for the MFA_REQUIRED answer `refusal`. */
export function askForSecondFactor(refusal: ApiError): void {
  const token = refusal.extensions.mfaToken;
  if (typeof token !== "string" || !entry) throw refusal;
  mfaToken = token;
  entry.reset();
  say(null);
  show("second-step");
  entry.focus();
}

/** Forgets a second step under way (the person went back to sign in). */
export function forgetSecondStep(): void {
  mfaToken = null;
  entry?.reset();
}

/** Wires the second step's form; called once. */
export function wireSecondStep(pages: AccountPages): void {
  const fields = codeEntry("signin");
  entry = fields;
  element<HTMLFormElement>("second-step").addEventListener("submit", (event) => {
    event.preventDefault();
    void pages.act(async () => {
      if (!mfaToken) {
        pages.showSignIn("Sign in with your password first.");
        return;
      }
      let accessToken: string;
      try {
        const data = await pages.client.anonymous(CompleteLogin, { input: { mfaToken, ...fields.value() } });
        accessToken = data.completeLogin.accessToken;
      } catch (error) {
        if (error instanceof ApiError && error.code === "INVALID_CREDENTIALS") {
          say(explainFactorRefusal(error));
          fields.clear();
          return;
        }
        if (error instanceof ApiError && error.code === "INVALID_TOKEN") {
          // Expired, or dead after too many wrong codes: start over.
          pages.showSignIn(`This sign-in expired or had too many wrong codes: enter your password again (${error.code}).`);
          return;
        }
        throw error;
      }
      forgetSecondStep();
      await pages.signedIn(accessToken);
    });
  });
  element("second-step-back").addEventListener("click", () => pages.showSignIn(null));
}
