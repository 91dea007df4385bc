//! Turning TOTP on and off, and the recovery codes.
//!
//! `enrollTotp` (recent authentication) keeps a fresh secret as the user's
//! enrolled one and shows it once; `confirmTotp` with a code of it turns
//! TOTP on (one transaction: the secret, the step accepted, ten new
//! recovery codes), and raises the calling session to `aal` 2 (other
//! sessions stay as they were). A wrong code there counts as a failed
//! login. `disableTotp` and `regenerateRecoveryCodes` need recent
//! authentication at `aal` 2.

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::clock;
use crate::core::factors::amr::Method;
use crate::core::factors::proof::{self, SecondFactor, SecretInUse};
use crate::core::factors::recent::{self, Need};
use crate::core::factors::recovery_codes;
use crate::core::factors::totp::TotpSecret;
use crate::core::security_events::{self, Source};
use crate::core::sessions::Authenticated;
use crate::error::AppError;
use crate::secret::{ExposeSecret, Secret};
use crate::store::factors as factor_rows;
use crate::vocabulary::SecurityEventKind;

/// A secret just enrolled: shown once.
pub(crate) struct Enrolment {
    pub secret: Secret,
    pub otpauth_uri: Secret,
}

/// Starts adding a TOTP app: a fresh secret, kept sealed as the enrolled
/// one (replacing one enrolled before and not confirmed).
pub(crate) async fn enroll(app: &App, auth: &Authenticated) -> Result<Enrolment, AppError> {
    recent::require(app, auth, Need::Recent).await?;
    let secret = TotpSecret::generate();
    let sealed = proof::seal_secret(app, &auth.user.id, &secret);
    let mut conn = app.pool.get().await?;
    if !factor_rows::set_pending_secret(&mut conn, &auth.user.id, &sealed, app.clock.now()).await? {
        return Err(AppError::SessionRevoked);
    }
    tracing::info!(user_id = %auth.user.id, "TOTP enrolment started");
    Ok(Enrolment {
        secret: secret.base32(),
        otpauth_uri: secret.otpauth_uri(&app.config.factors.totp_issuer, &auth.user.user_name),
    })
}

/// Turns TOTP on with a code of the enrolled secret; answers the ten
/// recovery codes and raises the caller's session to `aal` 2.
pub(crate) async fn confirm(
    app: &App,
    auth: &Authenticated,
    code: Secret,
    client: &ClientInfo,
) -> Result<Vec<Secret>, AppError> {
    SecondFactor::Code(code.clone()).check_bounds()?;
    let (codes, hashes) = recovery_codes::new_set();
    let source = Source::in_session(client, &auth.session.id);
    proof::throttled(app, &auth.user, client, None, async || {
        let mut conn = app.pool.get().await?;
        let row = factor_rows::totp_of(&mut conn, &auth.user.id)
            .await?
            .ok_or(AppError::SessionRevoked)?;
        let (Some(pending), Some(secret)) = (
            row.totp_pending_secret.clone(),
            proof::open_secret(app, &row, SecretInUse::Pending),
        ) else {
            return Err(AppError::BadUserInput(
                "no TOTP enrolment is under way: call enrollTotp first".into(),
            ));
        };
        let now = app.clock.now();
        let step = secret
            .matching_step(code.expose_secret().trim(), clock::unix_secs(now))
            .ok_or(AppError::InvalidCode)?;
        let enabled =
            security_events::event(SecurityEventKind::TotpEnabled, &auth.user.id, now, &source);
        if !factor_rows::confirm_totp(
            &mut conn,
            &auth.user.id,
            &pending,
            step,
            &hashes,
            &enabled,
            now,
        )
        .await?
        {
            // A code at or before the last step accepted, or another
            // confirmation or enrolment won meanwhile.
            return Err(AppError::InvalidCode);
        }
        Ok(())
    })
    .await?;
    tracing::info!(user_id = %auth.user.id, "TOTP turned on");
    recent::raise(app, &auth.session.id, &[Method::Otp]).await?;
    Ok(codes)
}

/// Turns TOTP off and deletes the recovery codes.
pub(crate) async fn disable(
    app: &App,
    auth: &Authenticated,
    client: &ClientInfo,
) -> Result<bool, AppError> {
    recent::require(app, auth, Need::RecentAtLevelTwo).await?;
    let mut conn = app.pool.get().await?;
    let now = app.clock.now();
    let source = Source::in_session(client, &auth.session.id);
    let kind = SecurityEventKind::TotpDisabled;
    let disabled = security_events::event(kind, &auth.user.id, now, &source);
    let was_on = factor_rows::disable_totp(&mut conn, &auth.user.id, &disabled, now).await?;
    if was_on {
        tracing::info!(user_id = %auth.user.id, "TOTP turned off");
    }
    Ok(true)
}

/// Replaces the recovery codes with ten new ones.
pub(crate) async fn regenerate_codes(
    app: &App,
    auth: &Authenticated,
    client: &ClientInfo,
) -> Result<Vec<Secret>, AppError> {
    recent::require(app, auth, Need::RecentAtLevelTwo).await?;
    let (codes, hashes) = recovery_codes::new_set();
    let mut conn = app.pool.get().await?;
    let now = app.clock.now();
    let source = Source::in_session(client, &auth.session.id);
    let kind = SecurityEventKind::RecoveryCodesRegenerated;
    let regenerated = security_events::event(kind, &auth.user.id, now, &source);
    if !factor_rows::regenerate_codes(&mut conn, &auth.user.id, &hashes, &regenerated, now).await? {
        return Err(AppError::BadUserInput(
            "TOTP is off: recovery codes come with it".into(),
        ));
    }
    tracing::info!(user_id = %auth.user.id, "recovery codes regenerated");
    Ok(codes)
}
