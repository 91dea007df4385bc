// Signing in with a passkey: the "Sign in with a passkey" button, and the
// browser's autofill, which offers this site's passkeys in the user-name
// field (conditional mediation) while the sign-in form shows. Either way
// finishPasskeyLogin opens the session in one step, with the refresh token
// as the cookie, as the password login does. A browser runs one WebAuthn
// request at a time, so the autofill's waiting request is given up before
// the button starts its own, and offered again afterwards.
import type { AccountPages } from "./accounts";
import { ApiError } from "./client";
import { FinishPasskeyLogin } from "./operations";
import { type PasskeyAnswer, autofillWorks, passkeysWork, provePasskey } from "./passkeys";
import { element, field, say } from "./ui";
import { explainPasskeyRefusal } from "./words";

let pages: AccountPages | null = null;
let autofill: AbortController | null = null;

/** Opens the session for an answer; the errors of the account itself
 *  (disabled, unverified address) go to the page's usual handling. */
async function finish(answer: PasskeyAnswer): Promise<void> {
  if (!pages) return;
  const device = field("device").trim();
  let accessToken: string;
  try {
    const data = await pages.client.anonymous(FinishPasskeyLogin, {
      input: { ...answer, deviceInfo: device || null, refreshTokenDelivery: "COOKIE" },
    });
    accessToken = data.finishPasskeyLogin.accessToken;
  } catch (error) {
    if (error instanceof ApiError && !["INVALID_CREDENTIALS", "INVALID_TOKEN"].includes(error.code)) throw error;
    say(explainPasskeyRefusal(error));
    offerPasskeyAutofill();
    return;
  }
  await pages.signedIn(accessToken);
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/** Offers this site's passkeys in the user-name field's autofill, where
 *  the browser can; called whenever the sign-in form shows. */
export function offerPasskeyAutofill(): void {
  const now = pages;
  if (!now || autofill) return;
  const controller = new AbortController();
  autofill = controller;
  void (async () => {
    let answer: PasskeyAnswer;
    try {
      if (!(await autofillWorks())) return;
      answer = await provePasskey(now.client, { mediation: "conditional", signal: controller.signal });
    } catch (error) {
      // The autofill is an offer, not something the person asked for: a
      // browser that refuses it (a page off the relying party's domain, a
      // request given up) says nothing on the page.
      if (!controller.signal.aborted && !isAbort(error)) console.info("no passkey autofill:", error);
      return;
    } finally {
      if (autofill === controller) autofill = null;
    }
    await now.act(() => finish(answer));
  })();
}

/** Gives up the autofill's waiting request (signed in, or the button). */
export function stopPasskeyAutofill(): void {
  autofill?.abort(new DOMException("The autofill's passkey request was given up.", "AbortError"));
  autofill = null;
}

/** Wires the button; called once. */
export function wirePasskeySignIn(accountPages: AccountPages): void {
  pages = accountPages;
  const button = element<HTMLButtonElement>("signin-passkey");
  button.hidden = !passkeysWork();
  button.addEventListener("click", () =>
    void accountPages.act(async () => {
      stopPasskeyAutofill();
      let answer: PasskeyAnswer;
      try {
        answer = await provePasskey(accountPages.client);
      } catch (error) {
        if (error instanceof ApiError) throw error;
        say(explainPasskeyRefusal(error));
        offerPasskeyAutofill();
        return;
      }
      await finish(answer);
    }),
  );
}
