// The settings' two-factor authentication (TOTP): turn it on (enrollTotp,
// then its otpauth URI as a QR code and its key as text, then confirmTotp
// with a first code from the app), show the ten recovery codes once with a
// download, make a new set, or turn it off. Each of these calls may open
// the re-authentication prompt first (client.ts).
import QRCode from "qrcode";
import type { AuthqlClient } from "./client";
import type { AccountQuery } from "./gql/graphql";
import { ConfirmTotp, DisableTotp, EnrollTotp, RegenerateRecoveryCodes } from "./operations";
import { element, field, say } from "./ui";

export interface FactorPages {
  client: AuthqlClient;
  act(action: () => Promise<void>): Promise<void>;
  /** Loads the account again (the status here included). */
  reload(): Promise<void>;
}

const enrolment = element("totp-enrolment");
const qr = element<HTMLImageElement>("totp-qr");
const codesPanel = element("recovery-codes");
const codeList = element<HTMLOListElement>("recovery-list");
let userName = "";
let shownCodes: string[] = [];

/** Shows the status of `me`'s second factors and the buttons that fit it. */
export function showFactors(me: AccountQuery["me"]): void {
  userName = me.userName;
  const on = me.mfa.totp;
  const state = element("mfa-state");
  state.textContent = on ? "on" : "off";
  state.dataset.on = String(on);
  const left = element("mfa-codes-left");
  left.textContent = on ? `${me.mfa.recoveryCodesLeft} of 10 recovery codes left` : "";
  left.dataset.left = String(me.mfa.recoveryCodesLeft);
  element("totp-enrol").hidden = on || !enrolment.hidden;
  element("totp-disable").hidden = !on;
  element("totp-regenerate").hidden = !on;
  if (on) enrolment.hidden = true;
}

/** Hides the key and the codes (on sign-out): the next person at this
 *  screen must not find them. */
export function forgetFactors(): void {
  closeEnrolment();
  shownCodes = [];
  codeList.replaceChildren();
  codesPanel.hidden = true;
}

function closeEnrolment(): void {
  enrolment.hidden = true;
  qr.removeAttribute("src");
  delete qr.dataset.otpauthUri;
  element("totp-secret").textContent = "";
  element<HTMLInputElement>("totp-code").value = "";
  element("totp-enrol").hidden = element("mfa-state").dataset.on === "true";
}

/** The key in groups of four, as authenticator apps ask for it. */
function grouped(secret: string): string {
  return (secret.match(/.{1,4}/g) ?? []).join(" ");
}

/** Shows a new set of recovery codes, this once. */
function showCodes(codes: string[]): void {
  shownCodes = codes;
  codeList.replaceChildren(
    ...codes.map((code) => {
      const item = document.createElement("li");
      const text = document.createElement("code");
      text.textContent = code;
      item.append(text);
      return item;
    }),
  );
  codesPanel.hidden = false;
}

/** The codes as a text file, saved by the browser. */
function download(): void {
  const text = [
    `Recovery codes for ${userName} (authql example)`,
    "Each one signs you in once when your authenticator app is not at hand.",
    "",
    ...shownCodes,
    "",
  ].join("\n");
  const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `recovery-codes-${userName}.txt`;
  link.click();
  // After the click has handed the file to the browser.
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

/** Wires the buttons and the confirmation form; called once. */
export function wireFactors(pages: FactorPages): void {
  const { client, act } = pages;
  const click = (id: string, action: () => Promise<void>) =>
    element(id).addEventListener("click", () => void act(action));

  click("totp-enrol", async () => {
    const { enrollTotp } = await client.call(EnrollTotp, {});
    // The URI holds the secret: it stays on this page, drawn locally.
    qr.src = await QRCode.toDataURL(enrollTotp.otpauthUri, { errorCorrectionLevel: "M", margin: 2, width: 220 });
    qr.dataset.otpauthUri = enrollTotp.otpauthUri;
    element("totp-secret").textContent = grouped(enrollTotp.secret);
    enrolment.hidden = false;
    element("totp-enrol").hidden = true;
    say(null);
    element("totp-code").focus();
  });
  click("totp-cancel", async () => closeEnrolment());

  element<HTMLFormElement>("totp-confirm").addEventListener("submit", (event) => {
    event.preventDefault();
    void act(async () => {
      const code = field("totp-code").replace(/\s+/g, "");
      const { confirmTotp } = await client.call(ConfirmTotp, { code });
      closeEnrolment();
      showCodes(confirmTotp);
      say("Two-factor authentication is on: signing in now takes a code from your app too.");
      await pages.reload();
    });
  });

  click("totp-regenerate", async () => {
    const { regenerateRecoveryCodes } = await client.call(RegenerateRecoveryCodes, {});
    showCodes(regenerateRecoveryCodes);
    say("New recovery codes: the old ones no longer work.");
    await pages.reload();
  });

  click("totp-disable", async () => {
    await client.call(DisableTotp, {});
    forgetFactors();
    say("Two-factor authentication is off: signing in takes your password only.");
    await pages.reload();
  });

  click("recovery-download", async () => download());
  click("recovery-done", async () => {
    shownCodes = [];
    codeList.replaceChildren();
    codesPanel.hidden = true;
  });
}
