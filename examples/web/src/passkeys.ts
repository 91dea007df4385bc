// The browser's side of the passkey ceremonies (WebAuthn): authql begins a
// ceremony and sends its options as the JSON of WebAuthn Level 3, which the
// browser parses itself (parse*OptionsFromJSON); the authenticator's answer
// goes back as the JSON of credential.toJSON(). No WebAuthn library: the
// browsers that have passkeys have these methods too.
import type { AuthqlClient } from "./client";
import { BeginPasskeyLogin, BeginPasskeyRegistration } from "./operations";

/** An authenticator's answer to a ceremony: what finishPasskeyLogin,
 *  reauthenticate and finishPasskeyRegistration take. */
export interface PasskeyAnswer {
  challengeId: string;
  /** JSON text of credential.toJSON(). */
  credential: string;
}

/** Whether this browser can use passkeys the way this app asks for them. */
export function passkeysWork(): boolean {
  return (
    typeof PublicKeyCredential !== "undefined" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function"
  );
}

/** Whether the browser offers passkeys in the user-name field's autofill. */
export async function autofillWorks(): Promise<boolean> {
  if (!passkeysWork() || typeof PublicKeyCredential.isConditionalMediationAvailable !== "function") return false;
  return PublicKeyCredential.isConditionalMediationAvailable();
}

function answerOf(challengeId: string, credential: Credential | null): PasskeyAnswer {
  if (!(credential instanceof PublicKeyCredential)) {
    throw new DOMException("The browser gave no passkey.", "NotAllowedError");
  }
  return { challengeId, credential: JSON.stringify(credential.toJSON()) };
}

/** A sign-in ceremony: beginPasskeyLogin, then the browser asks for a
 *  passkey (any of this site's: the options name no account). With
 *  `mediation` "conditional" it waits for the person to pick one in the
 *  autofill; `signal` gives up. */
export async function provePasskey(
  client: AuthqlClient,
  { mediation, signal }: { mediation?: CredentialMediationRequirement; signal?: AbortSignal } = {},
): Promise<PasskeyAnswer> {
  const { beginPasskeyLogin } = await client.anonymous(BeginPasskeyLogin, {});
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(JSON.parse(beginPasskeyLogin.options));
  const credential = await navigator.credentials.get({ publicKey, mediation, signal });
  return answerOf(beginPasskeyLogin.challengeId, credential);
}

/** A registration ceremony for the signed-in user: beginPasskeyRegistration
 *  (which may open the re-authentication prompt first), then the browser
 *  makes a passkey. */
export async function makePasskey(client: AuthqlClient): Promise<PasskeyAnswer> {
  const { beginPasskeyRegistration } = await client.call(BeginPasskeyRegistration, {});
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(JSON.parse(beginPasskeyRegistration.options));
  const credential = await navigator.credentials.create({ publicKey });
  return answerOf(beginPasskeyRegistration.challengeId, credential);
}
