//! Passkeys (WebAuthn): registration, sign-in, re-authentication, and the
//! user's list.
//!
//! - [`ceremony`]: a ceremony's state, sealed into its `challengeId`, and
//!   spent once on any replica;
//! - [`registration`]: `beginPasskeyRegistration`, `finishPasskeyRegistration`;
//! - [`sign_in`]: `beginPasskeyLogin`, `finishPasskeyLogin`, and the
//!   assertion check `reauthenticate` shares;
//! - [`manage`]: `myPasskeys`, `renamePasskey`, `removePasskey`.
//!
//! The checks themselves (client data, origin, relying-party id hash,
//! signature, user presence and verification, counter) are the Kanidm
//! project's `webauthn-rs-core`. We use its core rather than the
//! `webauthn-rs` wrapper because the wrapper's passkey ceremonies require
//! user verification, and the contract only prefers it: an authenticator
//! that cannot verify its user signs in at `aal` 1 (`["hwk"]`). What the
//! wrapper would otherwise hold for us is held here: discoverable
//! credentials required, no attestation, the user's own credentials
//! excluded, and the credential found by its id and checked against the
//! user handle before the library verifies it. A credential registered with
//! user verification must verify its user at every later sign-in (the
//! library's rule: that user was told a PIN guards it).

pub(crate) mod ceremony;
pub(crate) mod manage;
pub(crate) mod registration;
pub(crate) mod sign_in;

use std::time::Duration;

use sha2::{Digest, Sha256};
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::proto::Credential;

use crate::config::Config;
use crate::core::keys::sealing::Sealer;
use crate::core::mail::seal::hex;
use crate::error::AppError;
use crate::secret::Secret;
use crate::store::passkeys::PasskeyRow;

/// How long a ceremony may be finished, and what the options ask the
/// browser to wait.
pub(crate) const CEREMONY_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Longest `credential` JSON looked at; a real answer is a few kilobytes.
pub(crate) const MAX_CREDENTIAL_CHARS: usize = 64 * 1024;

/// The relying party: the WebAuthn library set up with `WEBAUTHN_RP_ID` and
/// `WEBAUTHN_ORIGINS`, and the key that seals ceremonies.
pub(crate) struct RelyingParty {
    pub(crate) webauthn: WebauthnCore,
    pub(crate) seal: Sealer,
}

impl RelyingParty {
    pub(crate) fn new(config: &Config, jwt_secret: &Secret) -> RelyingParty {
        let origins = config
            .passkeys
            .origins
            .iter()
            .filter_map(|origin| url::Url::parse(&origin.to_string()).ok())
            .collect();
        let timeout =
            Duration::from_secs(u64::try_from(CEREMONY_LIFETIME.num_seconds()).unwrap_or(300));
        RelyingParty {
            webauthn: WebauthnCore::new_unsafe_experts_only(
                &config.factors.totp_issuer,
                &config.passkeys.rp_id,
                origins,
                timeout,
                Some(false),
                Some(false),
            ),
            seal: Sealer::new(jwt_secret, b"authql passkey ceremony"),
        }
    }
}

/// What the database keeps to find a credential: the SHA-256 of its id.
pub(crate) fn credential_key(credential_id: &[u8]) -> String {
    hex(&Sha256::digest(credential_id))
}

/// The library's credential stored in a passkey's row, with the counter
/// the row holds (the authoritative one).
pub(crate) fn credential_of(row: &PasskeyRow) -> Result<Credential, AppError> {
    let mut credential: Credential = serde_json::from_str(&row.credential).map_err(|_| {
        AppError::Internal(crate::error::InternalCause::Invariant(
            "a stored passkey does not decode",
        ))
    })?;
    credential.counter = u32::try_from(row.sign_count).unwrap_or(u32::MAX);
    Ok(credential)
}

/// A passkey as the API shows it.
#[derive(Debug, Clone)]
pub(crate) struct PasskeyView {
    pub id: String,
    pub label: String,
    pub created_at: chrono::NaiveDateTime,
    pub last_used_at: Option<chrono::NaiveDateTime>,
    pub backed_up: bool,
}

impl From<PasskeyRow> for PasskeyView {
    fn from(row: PasskeyRow) -> PasskeyView {
        PasskeyView {
            id: row.id,
            label: row.label,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            backed_up: row.backed_up,
        }
    }
}
