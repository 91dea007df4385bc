//! A passkey ceremony between its begin and its finish.
//!
//! Its state (the library's, with the challenge) is sealed into the
//! `challengeId` the client carries (XChaCha20-Poly1305 under a key derived
//! from `JWT_SECRET`, `core::keys::sealing`), with its kind, its user for a
//! registration, and its expiry. Starting a ceremony therefore writes
//! nothing, so a flood of `beginPasskeyLogin` costs no rows, and any replica
//! can finish it. Finishing spends it first: the SHA-256 of the
//! `challengeId` is inserted once (`store::passkeys::spend_ceremony`), so a
//! ceremony is tried at most once, a replay on any replica is
//! `INVALID_TOKEN`, and the row goes when the ceremony would have expired.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::core::accounts::mail_tokens::token_hash;
use crate::core::app::App;
use crate::core::clock;
use crate::error::AppError;
use crate::store::passkeys as passkey_rows;

/// What a ceremony is for; a `challengeId` of one kind is no use to the
/// other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Kind {
    Registration,
    SignIn,
}

impl Kind {
    /// What the seal is bound to.
    fn binding(self) -> &'static [u8] {
        match self {
            Kind::Registration => b"passkey registration",
            Kind::SignIn => b"passkey sign-in",
        }
    }
}

/// Longest `challengeId` looked at; a sealed state is well under this.
const MAX_CHALLENGE_ID_CHARS: usize = 8 * 1024;

/// What a `challengeId` holds.
#[derive(Serialize, Deserialize)]
struct Sealed<S> {
    kind: Kind,
    /// The user a registration is for; None for a sign-in.
    user_id: Option<String>,
    /// Unix seconds.
    expires_at: i64,
    state: S,
}

/// A ceremony spent by its finish: its user (registration) and state.
pub(crate) struct Spent<S> {
    pub user_id: Option<String>,
    pub state: S,
}

/// The `challengeId` of a new ceremony.
pub(crate) fn start<S: Serialize>(
    app: &App,
    kind: Kind,
    user_id: Option<&str>,
    state: S,
) -> Result<String, AppError> {
    let expires_at = clock::later(app.clock.now(), super::CEREMONY_LIFETIME);
    let sealed = Sealed {
        kind,
        user_id: user_id.map(str::to_owned),
        expires_at: clock::unix_secs(expires_at),
        state,
    };
    let plain = serde_json::to_vec(&sealed).map_err(|_| {
        AppError::Internal(crate::error::InternalCause::Invariant(
            "a passkey ceremony does not encode",
        ))
    })?;
    Ok(app.passkeys.seal.seal(&plain, kind.binding()))
}

/// Opens and spends the ceremony `challenge_id` names: `INVALID_TOKEN` when
/// it is not one of ours, of another kind, expired, or tried already.
pub(crate) async fn spend<S: DeserializeOwned>(
    app: &App,
    kind: Kind,
    challenge_id: &str,
) -> Result<Spent<S>, AppError> {
    let challenge_id = challenge_id.trim();
    if challenge_id.is_empty() || challenge_id.len() > MAX_CHALLENGE_ID_CHARS {
        return Err(AppError::BadUserInput(format!(
            "challengeId must be 1 to {MAX_CHALLENGE_ID_CHARS} characters"
        )));
    }
    let plain = app
        .passkeys
        .seal
        .open(challenge_id, kind.binding())
        .map_err(|_| AppError::InvalidToken)?;
    let sealed: Sealed<S> = serde_json::from_slice(&plain).map_err(|_| AppError::InvalidToken)?;
    let now = app.clock.now();
    let expires_at: NaiveDateTime = chrono::DateTime::from_timestamp(sealed.expires_at, 0)
        .ok_or(AppError::InvalidToken)?
        .naive_utc();
    if sealed.kind != kind || expires_at <= now {
        return Err(AppError::InvalidToken);
    }
    let mut conn = app.pool.get().await?;
    if !passkey_rows::spend_ceremony(&mut conn, &token_hash(challenge_id), expires_at).await? {
        tracing::info!(kind = ?kind, "passkey ceremony refused: tried already");
        return Err(AppError::InvalidToken);
    }
    Ok(Spent {
        user_id: sealed.user_id,
        state: sealed.state,
    })
}
