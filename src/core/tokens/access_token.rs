//! Access tokens: JWTs signed `HS256` with the shared secret, or `EdDSA` /
//! `ES256` with a private key whose public half other services fetch from
//! the JWKS. One algorithm per server, pinned: a token of any other `alg`
//! (`none` included) is refused, whatever key it names.
//!
//! With a key pair, every token's header names its key (`kid`, the RFC 7638
//! thumbprint), and verification picks the key by that name among the
//! current one and those still accepted after a rotation; an unknown `kid`
//! is refused. The guard still checks the session row on every request:
//! the keys only let *other* services verify offline.

use chrono::TimeDelta;
use jsonwebtoken::{EncodingKey, Header, Validation};

use crate::core::keys::signing_key::KeyError;
use crate::core::keys::{AccessKeys, DecodingKeys};
pub use crate::core::tokens::claims::{AccessClaims, TokenAssurance};
use crate::core::tokens::verified_tokens::VerifiedTokens;
use crate::error::AppError;

/// Clock skew tolerated on `exp`, in seconds.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// Signs and checks access tokens.
pub struct AccessTokens {
    /// Tokens that passed [`AccessTokens::check_signature`] before.
    verified: VerifiedTokens,
    encoding_key: EncodingKey,
    header: Header,
    verifying: DecodingKeys,
    validation: Validation,
    issuer: String,
    audience: String,
    pub ttl: TimeDelta,
}

impl AccessTokens {
    pub fn new(
        keys: &AccessKeys,
        issuer: &str,
        audience: &str,
        ttl: TimeDelta,
    ) -> Result<Self, KeyError> {
        let algorithm = keys.algorithm();
        let mut header = Header::new(algorithm.jwt_algorithm());
        let (encoding_key, kid) = keys.encoding_key()?;
        header.kid = kid;
        let verifying = keys.decoding_keys()?;
        let mut validation = Validation::new(algorithm.jwt_algorithm());
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked after issuer and audience (see `verify`), so that
        // a stranger's expired token is UNAUTHENTICATED, not TOKEN_EXPIRED.
        validation.validate_exp = false;
        Ok(AccessTokens {
            verified: VerifiedTokens::default(),
            encoding_key,
            header,
            verifying,
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
        })
    }

    /// A token for this session, valid from `now_unix` for the configured time.
    pub fn mint(
        &self,
        user_id: &str,
        session_id: &str,
        role: &str,
        assurance: &TokenAssurance,
        now_unix: i64,
    ) -> Result<String, AppError> {
        let claims = AccessClaims {
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            role: role.to_owned(),
            iat: now_unix,
            exp: now_unix.saturating_add(self.ttl.num_seconds()),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            aal: assurance.aal,
            amr: assurance.amr.clone(),
            auth_time: assurance.auth_time,
        };
        jsonwebtoken::encode(&self.header, &claims, &self.encoding_key).map_err(AppError::internal)
    }

    /// The claims of a well-signed, unexpired token of ours, or the
    /// contract's error. A token checked before is not checked again (see
    /// `crate::core::tokens::verified_tokens`); its expiry is, every time.
    pub fn verify(&self, token: &str, now_unix: i64) -> Result<AccessClaims, AppError> {
        let claims = match self.verified.get(token) {
            Some(claims) => claims,
            None => {
                let claims = self.check_signature(token)?;
                self.verified.keep(token, &claims);
                claims
            }
        };
        if claims.exp.saturating_add(CLOCK_SKEW_SECS) < now_unix {
            return Err(AppError::TokenExpired);
        }
        Ok(claims)
    }

    /// The claims of a token whose algorithm, key, signature, issuer and
    /// audience are ours (`UNAUTHENTICATED` otherwise), its expiry not yet
    /// looked at. Never kept: the micro-benchmarks time it.
    pub fn check_signature(&self, token: &str) -> Result<AccessClaims, AppError> {
        let key = match &self.verifying {
            DecodingKeys::Shared(key) => key,
            DecodingKeys::ByKid(keys) => {
                let kid = jsonwebtoken::decode_header(token)
                    .ok()
                    .and_then(|header| header.kid)
                    .ok_or(AppError::Unauthenticated)?;
                keys.iter()
                    .find(|(known, _)| *known == kid)
                    .map(|(_, key)| key)
                    .ok_or(AppError::Unauthenticated)?
            }
        };
        Ok(
            jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
                .map_err(|_| AppError::Unauthenticated)?
                .claims,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keys::signing_key::{PrivateKey, SigningAlgorithm};
    use crate::secret::Secret;

    fn shared() -> AccessKeys {
        AccessKeys::Shared(Secret::from("0123456789abcdef0123456789abcdef"))
    }

    fn pair(algorithm: SigningAlgorithm) -> AccessKeys {
        AccessKeys::Pairs {
            current: Box::new(PrivateKey::generate(algorithm).unwrap()),
            previous: Vec::new(),
        }
    }

    fn tokens(keys: &AccessKeys, issuer: &str) -> AccessTokens {
        AccessTokens::new(keys, issuer, "authql", TimeDelta::seconds(900)).unwrap()
    }

    #[test]
    fn access_token_round_trip_and_expiry() {
        for keys in [
            shared(),
            pair(SigningAlgorithm::EdDsa),
            pair(SigningAlgorithm::Es256),
        ] {
            let tokens = tokens(&keys, "authql");
            let token = tokens
                .mint(
                    "u1",
                    "s1",
                    "user",
                    &TokenAssurance::password(1_000_000),
                    1_000_000,
                )
                .unwrap();
            let claims = tokens.verify(&token, 1_000_100).unwrap();
            assert_eq!(
                (claims.sub.as_str(), claims.sid.as_str(), claims.exp),
                ("u1", "s1", 1_000_900)
            );
            assert!(
                tokens.verify(&token, 1_000_900 + 60).is_ok(),
                "skew tolerated"
            );
            assert!(matches!(
                tokens.verify(&token, 1_000_900 + 61),
                Err(AppError::TokenExpired)
            ));
        }
    }

    #[test]
    fn a_checked_token_is_kept_by_its_exact_text_only() {
        let tokens = tokens(&shared(), "authql");
        let token = tokens
            .mint(
                "u1",
                "s1",
                "user",
                &TokenAssurance::password(1_000_000),
                1_000_000,
            )
            .unwrap();
        assert!(tokens.verify(&token, 1_000_100).is_ok());
        assert!(tokens.verified.get(&token).is_some(), "kept once checked");
        // The same header and claims under another signature.
        let (signed_part, _) = token.rsplit_once('.').unwrap();
        let forged = format!("{signed_part}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        for _ in 0..2 {
            assert!(matches!(
                tokens.verify(&forged, 1_000_100),
                Err(AppError::Unauthenticated)
            ));
        }
        assert!(tokens.verified.get(&forged).is_none(), "refused, not kept");
    }

    #[test]
    fn foreign_issuer_key_and_algorithm_are_unauthenticated() {
        let ours = tokens(&shared(), "authql");
        let other_key = AccessKeys::Shared(Secret::from("x".repeat(32)));
        let eddsa = pair(SigningAlgorithm::EdDsa);
        let es256 = pair(SigningAlgorithm::Es256);
        let cases = [
            (&ours, tokens(&shared(), "other")),
            (&ours, tokens(&other_key, "authql")),
            (&ours, tokens(&eddsa, "authql")),
            (&tokens(&eddsa, "authql"), tokens(&shared(), "authql")),
            (&tokens(&eddsa, "authql"), tokens(&es256, "authql")),
            (
                &tokens(&eddsa, "authql"),
                tokens(&pair(SigningAlgorithm::EdDsa), "authql"),
            ),
        ];
        for (verifier, signer) in cases {
            let token = signer
                .mint(
                    "u",
                    "s",
                    "user",
                    &TokenAssurance::password(1_000_000),
                    1_000_000,
                )
                .unwrap();
            assert!(matches!(
                verifier.verify(&token, 1_000_001),
                Err(AppError::Unauthenticated)
            ));
        }
    }

    #[test]
    fn previous_keys_verify_and_tokens_name_their_key() {
        let old = PrivateKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let new = PrivateKey::generate(SigningAlgorithm::EdDsa).unwrap();
        let before = AccessKeys::Pairs {
            current: Box::new(old.clone()),
            previous: Vec::new(),
        };
        let old_token = tokens(&before, "authql")
            .mint("u", "s", "user", &TokenAssurance::password(0), 0)
            .unwrap();
        let header = jsonwebtoken::decode_header(&old_token).unwrap();
        assert_eq!(header.kid, Some(old.public().kid()));
        let rotated = AccessKeys::Pairs {
            current: Box::new(new.clone()),
            previous: vec![old.public()],
        };
        assert_eq!(rotated.public_keys(), vec![new.public(), old.public()]);
        let listed_twice = AccessKeys::Pairs {
            current: Box::new(new.clone()),
            previous: vec![old.public(), new.public()],
        };
        assert_eq!(listed_twice.public_keys(), vec![new.public(), old.public()]);
        assert!(tokens(&rotated, "authql").verify(&old_token, 1).is_ok());
        let dropped = AccessKeys::Pairs {
            current: Box::new(new),
            previous: Vec::new(),
        };
        assert!(matches!(
            tokens(&dropped, "authql").verify(&old_token, 1),
            Err(AppError::Unauthenticated)
        ));
        let mixed = AccessKeys::Pairs {
            current: Box::new(old),
            previous: vec![
                PrivateKey::generate(SigningAlgorithm::Es256)
                    .unwrap()
                    .public(),
            ],
        };
        assert!(matches!(
            AccessTokens::new(&mixed, "authql", "authql", TimeDelta::seconds(1)),
            Err(KeyError::WrongAlgorithm { .. })
        ));
    }
}
