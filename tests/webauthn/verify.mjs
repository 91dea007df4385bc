// Verifies one passkey ceremony with @simplewebauthn/server, a relying-party
// implementation independent of authql's: the tests prove their software
// authenticator against it, and can compare authql's verdicts with it.
//
//   echo '{"kind":"registration", ...}' | node verify.mjs
//
// Input (JSON on stdin):
//   kind                     "registration" | "authentication"
//   options                  the creation or request options (JSON text or
//                            object); the expected challenge is theirs
//   response                 RegistrationResponseJSON / AuthenticationResponseJSON
//                            (JSON text or object)
//   expectedOrigin           string or list
//   expectedRPID             string or list
//   requireUserVerification  boolean (the library's default, true, when absent)
//   credential               authentication only: {id, publicKey (base64url
//                            COSE key), counter}, as a registration printed it
//
// Output (JSON on stdout, exit 0 whatever the verdict):
//   {"verified": true, "credential": {id, publicKey, counter},
//    "userVerified", "newCounter", "backedUp"}
//   {"verified": false, "error": "<why the library refused>"}
// Exit 2 only when the input itself cannot be read.
import {
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";

const base64url = (bytes) => Buffer.from(bytes).toString("base64url");
const asObject = (value) => (typeof value === "string" ? JSON.parse(value) : value);

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function verifyRegistration(input, options, response) {
  const result = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: input.expectedOrigin,
    expectedRPID: input.expectedRPID,
    requireUserVerification: input.requireUserVerification ?? true,
  });
  // Every other check throws; `verified: false` is the attestation's verdict.
  if (!result.verified) return { verified: false, error: "the attestation statement does not verify" };
  const info = result.registrationInfo;
  return {
    verified: true,
    credential: {
      id: info.credential.id,
      publicKey: base64url(info.credential.publicKey),
      counter: info.credential.counter,
    },
    userVerified: info.userVerified,
    newCounter: info.credential.counter,
    backedUp: info.credentialBackedUp,
  };
}

async function verifyAuthentication(input, options, response) {
  const stored = input.credential;
  if (!stored) throw new UsageError("authentication needs `credential`");
  const publicKey = new Uint8Array(Buffer.from(stored.publicKey, "base64url"));
  const result = await verifyAuthenticationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: input.expectedOrigin,
    expectedRPID: input.expectedRPID,
    credential: { id: stored.id, publicKey, counter: stored.counter ?? 0 },
    requireUserVerification: input.requireUserVerification ?? true,
  });
  // Every other check throws; `verified: false` is the signature's verdict.
  if (!result.verified) return { verified: false, error: "the signature does not verify" };
  const info = result.authenticationInfo;
  return {
    verified: true,
    credential: { id: info.credentialID, publicKey: stored.publicKey, counter: info.newCounter },
    userVerified: info.userVerified,
    newCounter: info.newCounter,
    backedUp: info.credentialBackedUp,
  };
}

class UsageError extends Error {}

let input;
try {
  input = JSON.parse(await readStdin());
} catch (error) {
  console.error(`stdin is not JSON: ${error.message}`);
  process.exit(2);
}

const verifiers = { registration: verifyRegistration, authentication: verifyAuthentication };
const verify = verifiers[input.kind];
if (!verify) {
  console.error(`kind must be "registration" or "authentication", not ${JSON.stringify(input.kind)}`);
  process.exit(2);
}

let verdict;
try {
  verdict = await verify(input, asObject(input.options), asObject(input.response));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(error.message);
    process.exit(2);
  }
  // The library refuses by throwing; its message says which check failed.
  verdict = { verified: false, error: String(error?.message ?? error) };
}
process.stdout.write(`${JSON.stringify(verdict)}\n`);
