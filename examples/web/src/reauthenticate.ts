// The re-authentication prompt, which the client opens for any call that
// answers REAUTHENTICATION_REQUIRED (see client.ts). It asks for the
// password when the operation needs a recent sign-in (requiredAal 1), and
// for a code or a recovery code when it needs the second factor (2); an
// account with a passkey may use it instead, at either level (a fresh
// sign-in ceremony, sent as reauthenticate's `passkey`). Then
// reauthenticate gives this session a fresh access token and the client
// sends the refused call again. Cancel hands the refusal back to the call.
import { ApiError, type AuthqlClient, type Reauthenticator } from "./client";
import { codeEntry } from "./code-entry";
import type { ReauthenticateInput } from "./gql/graphql";
import { Reauthenticate } from "./operations";
import { passkeysWork, provePasskey } from "./passkeys";
import { element, say } from "./ui";
import { explain, explainFactorRefusal, explainPasskeyRefusal } from "./words";

/** The signed-in account's factors, as the account was last loaded. */
export interface Factors {
  totp: boolean;
  passkeys: number;
}

interface Pending {
  level: 1 | 2;
  refusal: ApiError;
  resolve(): void;
  reject(error: unknown): void;
}

const dialog = element<HTMLDialogElement>("reauthenticate");
const form = element<HTMLFormElement>("reauthenticate-form");
const password = element<HTMLInputElement>("reauthenticate-password");
const problem = element("reauthenticate-problem");
let pending: Pending | null = null;

/** Shows the fields of `level`: the password, or a code (for an account
 *  with TOTP); and the passkey button for an account with a passkey. */
function draw(level: 1 | 2, entry: ReturnType<typeof codeEntry>, factors: Factors): void {
  const withCode = level === 2 && factors.totp;
  const withPasskey = factors.passkeys > 0 && passkeysWork();
  const ways = [
    level === 1 ? "your password" : null,
    withCode ? "a code from your authenticator app, or a recovery code" : null,
    withPasskey ? "one of your passkeys" : null,
  ].filter((way) => way !== null);
  element("reauthenticate-why").textContent = `To go on, confirm it is you with ${ways.join(", or ")}.`;
  element("reauthenticate-password-field").hidden = level !== 1;
  password.required = level === 1;
  element("reauthenticate-factor").hidden = !withCode;
  element("reauthenticate-passkey").hidden = !withPasskey;
  // Nothing to type (a passkey is the only way): no Confirm button.
  element("reauthenticate-confirm").hidden = level === 2 && !withCode;
  password.value = "";
  entry.reset();
  entry.use(withCode);
  if (level === 1) password.focus();
  else if (withCode) entry.focus();
  else element("reauthenticate-passkey").focus();
}

function finish(outcome: { ok: true } | { ok: false; error: unknown }): void {
  const done = pending;
  pending = null;
  if (dialog.open) dialog.close();
  if (!done) return;
  if (outcome.ok) done.resolve();
  else done.reject(outcome.error);
}

/** The client's reauthenticator: the prompt, wired to `client`;
 *  `factors` tells which ways the account has. */
export function reauthenticator(client: AuthqlClient, factors: () => Factors): Reauthenticator {
  const entry = codeEntry("reauthenticate");

  element("reauthenticate-passkey").addEventListener("click", () => {
    if (!pending) return;
    problem.hidden = true;
    void provePasskey(client)
      .then((passkey) => client.callWithoutPrompt(Reauthenticate, { input: { passkey } }))
      .then(
        (data) => {
          client.useToken(data.reauthenticate.accessToken);
          finish({ ok: true });
        },
        (error: unknown) => {
          if (error instanceof ApiError && error.signedOut) {
            finish({ ok: false, error });
            return;
          }
          problem.textContent = explainPasskeyRefusal(error);
          problem.hidden = false;
        },
      );
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const now = pending;
    if (!now) return;
    const input: ReauthenticateInput = now.level === 1 ? { password: password.value } : entry.value();
    problem.hidden = true;
    void client.callWithoutPrompt(Reauthenticate, { input }).then(
      (data) => {
        client.useToken(data.reauthenticate.accessToken);
        finish({ ok: true });
      },
      (error: unknown) => {
        if (!(error instanceof ApiError) || error.signedOut) {
          finish({ ok: false, error });
          return;
        }
        if (error.code === "REAUTHENTICATION_REQUIRED" && error.requiredAal === 2 && now.level === 1) {
          // An account with a second factor: the password alone is not enough.
          now.level = 2;
          draw(2, entry, factors());
          problem.textContent = `This account has two-factor authentication or a passkey: the password alone is not enough (${error.code}).`;
        } else if (now.level === 2) {
          problem.textContent = explainFactorRefusal(error);
          entry.clear();
        } else {
          problem.textContent =
            error.code === "INVALID_CREDENTIALS" ? `Wrong password (${error.code}).` : explain(error);
          password.value = "";
          password.focus();
        }
        problem.hidden = false;
      },
    );
  });
  element("reauthenticate-cancel").addEventListener("click", () => finish({ ok: false, error: pending?.refusal }));
  // Escape closes a modal dialog: the same as Cancel.
  dialog.addEventListener("cancel", () => finish({ ok: false, error: pending?.refusal }));

  return (refusal) =>
    new Promise<void>((resolve, reject) => {
      pending = { level: refusal.requiredAal, refusal, resolve, reject };
      problem.hidden = true;
      // An older notice (a prompt cancelled before) is not about this one.
      say(null);
      dialog.showModal();
      draw(refusal.requiredAal, entry, factors());
    });
}
