// The contract's error codes and session end reasons in plain words, for
// the person in front of the page. The code itself follows in brackets, so
// that a developer (and the browser test) can tell which answer it was.
import { ApiError } from "./client";
import type { SecurityEventKind } from "./gql/graphql";

const codes: Record<string, string> = {
  BAD_USER_INPUT: "That was not accepted",
  NAME_TAKEN: "That user name is taken: choose another one.",
  INVALID_TOKEN: "This link is used, expired or not a link we sent.",
  INVALID_CREDENTIALS: "Wrong user name or password.",
  EMAIL_NOT_VERIFIED:
    "Your address is not verified yet: follow the link in the mail we sent you, or ask for a new one below.",
  ACCOUNT_DISABLED: "This account is disabled: ask an administrator.",
  PASSWORD_RESET_REQUIRED:
    "This password is locked because a sign-in to this account was reported as not the owner's: set a new one through the link we mail you.",
  TOO_MANY_ATTEMPTS: "Too many attempts: wait a while, then try again.",
  FORBIDDEN: "This server does not allow that.",
  REAUTHENTICATION_REQUIRED:
    "This change needs you to confirm who you are (a recent sign-in), and that was not done: nothing was changed.",
  SERVICE_UNAVAILABLE: "The service is unavailable for a moment: nothing was changed, try again.",
  NOT_FOUND: "That user or session is not there any more: nothing was changed.",
};

/** What went wrong, in a sentence, with the code after it. */
export function explain(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  }
  const words = codes[error.code];
  if (!words) return `Something went wrong: ${error.message} (${error.code})`;
  // The server's message says what exactly was refused (a short password...).
  if (error.code === "BAD_USER_INPUT") return `${words}: ${error.message} (${error.code})`;
  return `${words} (${error.code})`;
}

/** Why a code or recovery code was refused, in a sentence: the server does
 *  not say which of the reasons it was. */
export function explainFactorRefusal(error: unknown): string {
  if (error instanceof ApiError && error.code === "INVALID_CREDENTIALS") {
    return `That code was not accepted: it is wrong, used already, or not newer than the last one used. Try the next code your app shows (${error.code}).`;
  }
  return explain(error);
}

const reasons: Record<string, string> = {
  PASSWORD_RESET: "You were signed out: the password of this account was reset.",
  PASSWORD_CHANGED: "You were signed out: the password of this account was changed.",
  USER_DISABLED: "You were signed out: this account was disabled.",
  EXPIRED: "You were signed out: the session expired.",
  REPORTED_BY_USER: "You were signed out: the account's owner reported this sign-in as not theirs.",
  ENDED_BY_ADMIN: "You were signed out by an administrator.",
};

/** Why this tab's session ended, in a sentence. */
export function signedOutBecause(reason: string): string {
  return `${reasons[reason] ?? "You were signed out on another device."} (${reason})`;
}

// Every kind is here (tsc checks it against the schema's enum), so that a
// new kind cannot show up unexplained.
const eventKinds: Record<SecurityEventKind, string> = {
  SIGNED_IN: "Signed in",
  SIGN_IN_FAILED: "A sign-in was refused: wrong password or code",
  SESSION_ENDED: "A session ended",
  PASSWORD_CHANGED: "Password changed",
  PASSWORD_RESET: "Password set through a reset link",
  EMAIL_VERIFIED: "Email address verified",
  EMAIL_CHANGED: "Email address changed",
  TOTP_ENABLED: "Two-factor authentication turned on",
  TOTP_DISABLED: "Two-factor authentication turned off",
  RECOVERY_CODE_USED: "A recovery code was used",
  RECOVERY_CODES_REGENERATED: "New recovery codes were made",
  PASSKEY_ADDED: "Passkey added",
  PASSKEY_REMOVED: "Passkey removed",
  REFRESH_TOKEN_REUSED: "A used refresh token came back (a stolen copy?): its session was ended",
  NEW_DEVICE_ALERT_SENT: "Mailed you about a sign-in from a new device",
  SIGN_IN_REPORTED: "You reported a sign-in as not yours",
  ADMIN_ACTION: "An administrator changed the account",
};

/** What a security event of `kind` records, in a few words. */
export function describeEvent(kind: SecurityEventKind): string {
  return eventKinds[kind];
}

// The kinds worded for the account's owner ("you"), as an admin reads them.
const eventKindsToAdmin: Partial<Record<SecurityEventKind, string>> = {
  NEW_DEVICE_ALERT_SENT: "Mailed the user about a sign-in from a new device",
  SIGN_IN_REPORTED: "The user reported a sign-in as not theirs",
};

/** `describeEvent`, for an admin reading another user's events. */
export function describeEventToAdmin(kind: SecurityEventKind): string {
  return eventKindsToAdmin[kind] ?? eventKinds[kind];
}

/** Why a passkey did not work, in a sentence: the browser's refusals (the
 *  prompt closed, no passkey for this site) and the server's. */
export function explainPasskeyRefusal(error: unknown): string {
  if (error instanceof DOMException) {
    if (error.name === "NotAllowedError") {
      return `No passkey was used: the prompt was closed or timed out, or this device has none for this site (${error.name}).`;
    }
    if (error.name === "InvalidStateError") {
      return `This device has a passkey for this account already (${error.name}).`;
    }
    return `The browser refused the passkey: ${error.message} (${error.name}).`;
  }
  if (error instanceof ApiError && error.code === "INVALID_CREDENTIALS") {
    return `That passkey was not accepted: it was removed from this account, or is not one of this site's (${error.code}).`;
  }
  if (error instanceof ApiError && error.code === "INVALID_TOKEN") {
    return `The passkey took too long to answer: try again (${error.code}).`;
  }
  return explain(error);
}

/** Why an admin call was refused, in a sentence: as `explain`, but
 *  FORBIDDEN there means no longer an admin (a role read on every
 *  request), or a mail this server cannot send; and the last-admin rule
 *  says what to do instead. */
export function explainAdminRefusal(error: unknown): string {
  if (!(error instanceof ApiError)) return explain(error);
  if (error.code === "FORBIDDEN") {
    return `Refused: only an administrator may do that (is your role still admin?), and mails need a server that sends mail (${error.code}).`;
  }
  if (error.code === "BAD_USER_INPUT" && error.message.includes("last active admin")) {
    return `Refused: ${error.message}. Make another user an admin first, then try again (${error.code}).`;
  }
  return explain(error);
}

const auditActions: Record<string, string> = {
  inviteUser: "Invited",
  setUserStatus: "Set the status",
  setUserRole: "Set the role",
  endUserSessions: "Ended sessions",
  resetUserFactors: "Reset the second factors",
  sendPasswordReset: "Mailed a password reset link",
};

/** What an admin did, from the audit entry's action (the mutation's name). */
export function describeAuditAction(action: string): string {
  return auditActions[action] ?? action;
}
