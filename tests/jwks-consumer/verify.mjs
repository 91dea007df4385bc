// Verifies authql access tokens the way a gateway that is not authql does:
// fetch the JWK Set over HTTP, pick the key by `kid`, check the signature,
// `iss`, `aud` and `exp`. Prints one JSON line per token given:
//   node verify.mjs JWKS_URL ALGORITHM TOKEN...
// {"ok":true,"kid":"…","sub":"…","sid":"…"} or {"ok":false,"error":"ERR_…"}
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";

const [jwksUrl, algorithm, ...tokens] = process.argv.slice(2);
if (!jwksUrl || !algorithm || tokens.length === 0) {
  console.error("usage: node verify.mjs JWKS_URL ALGORITHM TOKEN...");
  process.exit(2);
}
const keys = createRemoteJWKSet(new URL(jwksUrl));
for (const token of tokens) {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      algorithms: [algorithm],
      issuer: "authql",
      audience: "authql",
    });
    console.log(JSON.stringify({ ok: true, kid: protectedHeader.kid, sub: payload.sub, sid: payload.sid }));
  } catch (error) {
    let kid = null;
    try {
      kid = decodeProtectedHeader(token).kid ?? null;
    } catch {}
    console.log(JSON.stringify({ ok: false, kid, error: error.code ?? String(error) }));
  }
}
