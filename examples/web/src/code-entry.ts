// Typing a second factor: the six-digit code of the authenticator app or,
// behind a "use a recovery code instead" switch, one of the recovery codes.
// The sign-in's second step and the re-authentication prompt both use it,
// each with its own fields (named by a prefix in index.html).
import { element } from "./ui";

/** What completeLogin and reauthenticate take: one of the two. */
export type SecondFactor = { code: string } | { recoveryCode: string };

export interface CodeEntry {
  /** Back to the code field, both fields empty. */
  reset(): void;
  /** Whether the fields are in use: a form with fields it does not show
   *  must not require them, or the browser refuses to send it. */
  use(inUse: boolean): void;
  /** Empties both fields, keeping the one in use (after a refusal). */
  clear(): void;
  /** What was typed; a code without the spaces an app shows in it. */
  value(): SecondFactor;
  focus(): void;
}

/** Wires `#P-code`, `#P-recovery` (each inside its label `#P-code-field`,
 *  `#P-recovery-field`) and the switch button `#P-switch`, for prefix P. */
export function codeEntry(prefix: string): CodeEntry {
  const code = element<HTMLInputElement>(`${prefix}-code`);
  const recovery = element<HTMLInputElement>(`${prefix}-recovery`);
  const codeField = element(`${prefix}-code-field`);
  const recoveryField = element(`${prefix}-recovery-field`);
  const toggle = element<HTMLButtonElement>(`${prefix}-switch`);
  let usingRecovery = false;
  let inUse = true;

  const draw = () => {
    codeField.hidden = usingRecovery;
    recoveryField.hidden = !usingRecovery;
    // Only the visible field is required, so the form can be sent.
    code.required = inUse && !usingRecovery;
    recovery.required = inUse && usingRecovery;
    toggle.textContent = usingRecovery ? "Use a code from the app instead" : "Use a recovery code instead";
  };
  const focus = () => (usingRecovery ? recovery : code).focus();
  toggle.addEventListener("click", () => {
    usingRecovery = !usingRecovery;
    draw();
    focus();
  });
  draw();

  return {
    reset() {
      usingRecovery = false;
      code.value = "";
      recovery.value = "";
      draw();
    },
    use(used) {
      inUse = used;
      draw();
    },
    clear() {
      code.value = "";
      recovery.value = "";
      focus();
    },
    value() {
      return usingRecovery ? { recoveryCode: recovery.value.trim() } : { code: code.value.replace(/\s+/g, "") };
    },
    focus,
  };
}
