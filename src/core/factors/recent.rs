//! Recent authentication: the one guard of the operations the contract
//! lists (`enrollTotp`, `disableTotp`, `regenerateRecoveryCodes`,
//! `changeEmail`, `beginPasskeyRegistration`, `removePasskey`, and every
//! admin mutation, through `core::admin::authorize_change`), the `aal` 2
//! that `changePassword` needs for an account with TOTP, and
//! `reauthenticate`, which proves a credential again inside a session.
//!
//! The guard reads the session's row, not the token's claims: a session
//! raised a moment ago passes at once, and one whose proof is old fails
//! whatever token it holds. Recency is the last proved credential
//! (`authenticated_at`), not the session's activity, so a session kept busy
//! for days is still asked (better-auth#7472's "fresh" window is activity).
//! For an account with a second factor (TOTP or a passkey), the password
//! alone does not re-authenticate: a stolen session plus the password cannot
//! turn TOTP off or enrol another app (supabase/auth#1615).

use std::net::IpAddr;

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::credentials;
use crate::core::factors::amr::{Amr, Method};
use crate::core::factors::proof::{self, SecondFactor};
use crate::core::security_events::Source;
use crate::core::sessions::{self, Authenticated};
use crate::core::{clock, input, passkeys};
use crate::error::AppError;
use crate::secret::{ExposeSecret, Secret};
use crate::store::passkeys as passkey_rows;
use crate::store::sessions::{self as session_rows, SessionRecord};
use crate::store::users::UserRecord;

/// What an operation needs of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// A credential proved within `REAUTH_MAX_AGE_SECS`, at `aal` 2 when the
    /// account has a second factor.
    Recent,
    /// A credential proved within `REAUTH_MAX_AGE_SECS`, at `aal` 2 always.
    RecentAtLevelTwo,
}

/// The level an operation needs of this user's sessions.
async fn required_level(app: &App, user: &UserRecord, need: Need) -> Result<i32, AppError> {
    Ok(match need {
        Need::RecentAtLevelTwo => 2,
        Need::Recent if has_second_factor(app, user).await? => 2,
        Need::Recent => 1,
    })
}

/// Whether the account has a second factor, TOTP or a passkey (the
/// password alone then proves too little).
async fn has_second_factor(app: &App, user: &UserRecord) -> Result<bool, AppError> {
    Ok(user.has_totp() || passkeys::manage::count(app, &user.id).await? > 0)
}

fn refusal(app: &App, required_aal: i32) -> AppError {
    AppError::ReauthenticationRequired {
        required_aal: u8::try_from(required_aal).unwrap_or(2),
        max_age_secs: u64::try_from(app.config.accounts.reauth_max_age.num_seconds()).unwrap_or(0),
    }
}

/// Refuses with `REAUTHENTICATION_REQUIRED` unless the caller's session
/// proved a credential recently enough and at the level `need` asks.
pub(crate) async fn require(app: &App, auth: &Authenticated, need: Need) -> Result<(), AppError> {
    let (session, user) = current(app, &auth.session.id).await?;
    let required = required_level(app, &user, need).await?;
    let oldest = clock::earlier(app.clock.now(), app.config.accounts.reauth_max_age);
    if session.authenticated_at < oldest || session.aal < required {
        return Err(refusal(app, required));
    }
    Ok(())
}

/// `changePassword`'s rule: for an account with TOTP on, the session must
/// be at `aal` 2 (the level as it is now).
pub(crate) fn require_level_for_password_change(
    app: &App,
    auth: &Authenticated,
) -> Result<(), AppError> {
    if auth.user.has_totp() && auth.session.aal < 2 {
        return Err(refusal(app, 2));
    }
    Ok(())
}

/// The session's row and user as they are now; `SESSION_REVOKED` when it
/// is gone.
async fn current(app: &App, session_id: &str) -> Result<(SessionRecord, UserRecord), AppError> {
    let mut conn = app.pool.get().await?;
    session_rows::find_with_user(&mut conn, session_id)
        .await?
        .ok_or(AppError::SessionRevoked)
}

/// Records a credential proved now in the session: `authenticated_at`
/// becomes now and `proved` joins its methods (raising `aal` when they make
/// two factors). Returns the session as it is then. Two raises racing both
/// land: each writes only over the methods it read, else reads again.
pub(crate) async fn raise(
    app: &App,
    session_id: &str,
    proved: &[Method],
) -> Result<SessionRecord, AppError> {
    const ATTEMPTS: usize = 5;
    for _ in 0..ATTEMPTS {
        let (mut session, _) = current(app, session_id).await?;
        let amr = Amr::from_column(&session.amr).with(proved);
        let column = amr.to_column();
        let now = app.clock.now();
        let mut conn = app.pool.get().await?;
        if session_rows::raise_assurance(
            &mut conn,
            session_id,
            &session.amr,
            &column,
            amr.aal(),
            now,
        )
        .await?
        {
            session.aal = amr.aal();
            session.amr = column;
            session.authenticated_at = now;
            return Ok(session);
        }
        if !session.state().is_open(now) {
            return Err(AppError::SessionRevoked);
        }
    }
    Err(AppError::ServiceUnavailable(
        crate::error::InternalCause::Invariant("the session's methods kept changing"),
    ))
}

/// A credential for `reauthenticate`. No `Debug`: it holds one.
pub(crate) enum Proof {
    Password(Secret),
    Factor(SecondFactor),
    /// A passkey's answer to a `beginPasskeyLogin` ceremony.
    Passkey {
        challenge_id: String,
        credential_json: String,
    },
}

/// A passkey of the caller's, verified and its use recorded: `hwk`, with
/// `mfa` when the authenticator verified its user. Another user's passkey
/// is as wrong as a bad signature.
async fn prove_passkey(
    app: &App,
    auth: &Authenticated,
    challenge_id: &str,
    credential_json: &str,
    client_ip: Option<IpAddr>,
) -> Result<Vec<Method>, AppError> {
    let asserted = passkeys::sign_in::verify(
        app,
        challenge_id,
        credential_json,
        Some(&auth.user.id),
        client_ip,
    )
    .await?;
    let mut conn = app.pool.get().await?;
    if !passkey_rows::record_use(&mut conn, &asserted.used, app.clock.now()).await? {
        return Err(AppError::InvalidPasskey);
    }
    Ok(if asserted.user_verified {
        vec![Method::Hwk, Method::Mfa]
    } else {
        vec![Method::Hwk]
    })
}

/// What `reauthenticate` answers: a fresh access token for the raised session.
pub(crate) struct Reauthenticated {
    pub access_token: Secret,
    pub expires_in_secs: i64,
    pub session: SessionRecord,
}

/// Proves `proof` in the caller's session: `authenticated_at` becomes now,
/// and a code, a recovery code or a passkey with user verification raises
/// it to `aal` 2. A wrong credential is
/// `INVALID_CREDENTIALS` and counts for the throttle; a password for an
/// account with a second factor is refused unchecked
/// (`REAUTHENTICATION_REQUIRED` at level 2).
pub(crate) async fn reauthenticate(
    app: &App,
    auth: &Authenticated,
    proof: Proof,
    client: &ClientInfo,
) -> Result<Reauthenticated, AppError> {
    let client_ip = client.ip_address;
    let proved = match proof {
        Proof::Password(password) => {
            input::check_password(password.expose_secret())?;
            if has_second_factor(app, &auth.user).await? {
                return Err(refusal(app, 2));
            }
            let name_key = input::fold_user_name(&auth.user.user_name);
            let checked = credentials::check(app, &name_key, &password, client, None).await?;
            if checked.user.id != auth.user.id {
                // The name now belongs to someone else (renamed since).
                return Err(AppError::InvalidCredentials);
            }
            vec![Method::Pwd]
        }
        Proof::Factor(factor) => {
            // Without TOTP every code is wrong, and counted as such.
            let source = Source::in_session(client, &auth.session.id);
            proof::prove(app, &auth.user, &factor, client, None, &source).await?;
            vec![Method::Otp]
        }
        Proof::Passkey {
            challenge_id,
            credential_json,
        } => prove_passkey(app, auth, &challenge_id, &credential_json, client_ip).await?,
    };
    let session = raise(app, &auth.session.id, &proved).await?;
    tracing::info!(user_id = %auth.user.id, session_id = %session.id, amr = %session.amr, "re-authenticated");
    let now = app.clock.now();
    let access_token = sessions::mint_access(app, &session, &auth.user, now)?;
    Ok(Reauthenticated {
        access_token,
        expires_in_secs: app.access_tokens.ttl.num_seconds(),
        session,
    })
}
