// The re-authentication prompt, which the client opens for any call that
// answers REAUTHENTICATION_REQUIRED (see client.ts). It asks for the
// password when the operation needs a recent sign-in (requiredAal 1), and
// for a code or a recovery code when it needs the second factor (2); then
// reauthenticate gives this session a fresh access token and the client
// sends the refused call again. Cancel hands the refusal back to the call.
import { ApiError, type AuthqlClient, type Reauthenticator } from "./client";
import { codeEntry } from "./code-entry";
import { Reauthenticate } from "./operations";
import { element, say } from "./ui";
import { explain, explainFactorRefusal } from "./words";

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

/** Shows the fields of `level`: the password, or a second factor. */
function draw(level: 1 | 2, entry: ReturnType<typeof codeEntry>): void {
  element("reauthenticate-why").textContent =
    level === 2
      ? "To go on, confirm it is you with a code from your authenticator app, or a recovery code."
      : "To go on, confirm it is you with your password.";
  element("reauthenticate-password-field").hidden = level !== 1;
  password.required = level === 1;
  element("reauthenticate-factor").hidden = level !== 2;
  password.value = "";
  entry.reset();
  entry.use(level === 2);
  if (level === 1) password.focus();
  else entry.focus();
}

function finish(outcome: { ok: true } | { ok: false; error: unknown }): void {
  const done = pending;
  pending = null;
  if (dialog.open) dialog.close();
  if (!done) return;
  if (outcome.ok) done.resolve();
  else done.reject(outcome.error);
}

/** The client's reauthenticator: the prompt, wired to `client`. */
export function reauthenticator(client: AuthqlClient): Reauthenticator {
  const entry = codeEntry("reauthenticate");

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const now = pending;
    if (!now) return;
    const input = now.level === 1 ? { password: password.value } : entry.value();
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
          draw(2, entry);
          problem.textContent = `This account has two-factor authentication: the password alone is not enough (${error.code}).`;
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
      draw(refusal.requiredAal, entry);
    });
}
