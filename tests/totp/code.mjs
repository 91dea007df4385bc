// Prints the TOTP code of an otpauth:// URI at a unix time, computed by
// otplib (an implementation independent of authql's): the tests send what
// an authenticator app would show.
//
//   node code.mjs 'otpauth://totp/...' 1733400000
import { generate } from "otplib";
import { parse } from "@otplib/uri";

const [uri, at] = process.argv.slice(2);
if (!uri || !at) {
  console.error("usage: node code.mjs OTPAUTH_URI UNIX_SECONDS");
  process.exit(2);
}
const parsed = parse(uri);
if (parsed.type !== "totp") {
  console.error(`not a TOTP URI: ${parsed.type}`);
  process.exit(2);
}
const { secret, digits, period, algorithm } = parsed.params;
const token = await generate({
  secret,
  digits: digits ?? 6,
  period: period ?? 30,
  algorithm: (algorithm ?? "SHA1").toLowerCase(),
  epoch: Number(at),
});
// The label as the app shows it, the issuer parameter, and the code.
process.stdout.write(`${parsed.label}\t${parsed.params.issuer ?? ""}\t${token}\n`);
