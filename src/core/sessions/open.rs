//! Opening a session, whatever way the user came in: the row, the cap of
//! `MAX_SESSIONS_PER_USER`, the compare-and-set on what the sign-in proved,
//! the tokens, and the recording (its `SIGNED_IN` event is stored with the
//! row).
//!
//! How the user proved who they are arrives as one [`SignIn`], so that a
//! new way in (an invitation, a passkey, a second factor) adds a
//! [`SignInMethod`] or a field here rather than a code path of its own.

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::devices::alerts;
use crate::core::factors::amr::{Amr, Method};
use crate::core::mail::MailKind;
use crate::core::sessions::{EndReason, IssuedTokens, issue_tokens, record};
use crate::core::{clock, devices, ids, input};
use crate::error::AppError;
use crate::store::passkeys::PasskeyUse;
use crate::store::security_events::NewSecurityEvent;
use crate::store::sessions::{
    self as session_rows, NewSession, Opening, SessionRecord, StillProved,
};
use crate::store::users::UserRecord;
use crate::vocabulary::SecurityEventKind;

/// Who signed in, and how. No `Debug`: a method may hold a password hash,
/// which no log line should.
pub(crate) struct SignIn {
    /// The user, as read when the proof was checked.
    pub user: UserRecord,
    pub method: SignInMethod,
}

/// How a user proved who they are.
pub(crate) enum SignInMethod {
    /// A password, verified against this stored hash: the session opens only
    /// while it is still the stored one (and the user still active).
    Password { verified_hash: String },
    /// A password verified against this hash at a login's first step, then
    /// a TOTP code or a recovery code (`completeLogin`).
    PasswordAndCode { verified_hash: String },
    /// A passkey whose assertion verified: the session opens only while it
    /// is still the user's and its counter rises (`use` records it), at
    /// `aal` 2 when the authenticator verified the user.
    Passkey {
        used: PasskeyUse,
        user_verified: bool,
    },
}

impl SignInMethod {
    /// The method's name, for log lines.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            SignInMethod::Password { .. } => "password",
            SignInMethod::PasswordAndCode { .. } => "password and code",
            SignInMethod::Passkey { .. } => "passkey",
        }
    }

    /// What the session's opening is conditional on.
    fn still_proved(&self) -> StillProved<'_> {
        match self {
            SignInMethod::Password { verified_hash }
            | SignInMethod::PasswordAndCode { verified_hash } => {
                StillProved::PasswordHash(verified_hash)
            }
            SignInMethod::Passkey { used, .. } => StillProved::Passkey(used),
        }
    }

    /// What the session's `amr` starts as.
    fn amr(&self) -> Amr {
        match self {
            SignInMethod::Password { .. } => Amr::of(&[Method::Pwd]),
            SignInMethod::PasswordAndCode { .. } => Amr::of(&[Method::Pwd, Method::Otp]),
            SignInMethod::Passkey { user_verified, .. } => Amr::passkey(*user_verified),
        }
    }
}

/// Opens a session for `sign_in` on the client's device (`device_info` as
/// the client describes itself), ending the user's least recently active
/// sessions past `MAX_SESSIONS_PER_USER` (`EVICTED`), notes the device as
/// known for the user (the id its cookie brought, else a new one, handed
/// back for the cookie), queues a new-device alert when the device is not
/// known (`devices::alerts`), and issues its tokens. Refused, with nothing stored, when what the sign-in proved no
/// longer holds: the password changed since it was checked
/// (`INVALID_CREDENTIALS`) or the user was disabled (`ACCOUNT_DISABLED`).
pub(crate) async fn open(
    app: &App,
    sign_in: SignIn,
    device_info: Option<String>,
    client: &ClientInfo,
) -> Result<IssuedTokens, AppError> {
    let SignIn { user, method } = sign_in;
    // Stamped once the connection is in hand: live session events reach
    // back only so far behind a change's stamp (see crate::core::live::feed).
    let mut conn = app.pool.get().await?;
    let now = app.clock.now();
    let expires_at = clock::later(
        now,
        app.config
            .refresh_token_ttl
            .min(app.config.session_max_lifetime),
    );
    let amr = method.amr();
    let ip_address = client.ip_address.map(|ip| ip.to_string());
    let user_agent = client.user_agent.as_deref().map(input::cut_user_agent);
    // Named once, at opening: a later request from another browser with
    // this session's refresh token does not rename the device.
    let device_name = devices::device_name(device_info.as_deref(), client);
    let session = SessionRecord {
        id: ids::new_id(),
        user_id: user.id.clone(),
        device_info,
        ip_address,
        user_agent,
        created_at: now,
        last_active_at: now,
        expires_at,
        ended_at: None,
        end_reason: None,
        refresh_secret: ids::new_secret(),
        refresh_generation: 0,
        refreshed_at: None,
        aal: amr.aal(),
        amr: amr.to_column(),
        authenticated_at: now,
        device_name,
    };
    let new_session = NewSession {
        id: &session.id,
        user_id: &session.user_id,
        device_info: session.device_info.as_deref(),
        ip_address: session.ip_address.as_deref(),
        user_agent: session.user_agent.as_deref(),
        created_at: session.created_at,
        last_active_at: session.last_active_at,
        expires_at: session.expires_at,
        refresh_secret: &session.refresh_secret,
        refresh_generation: session.refresh_generation,
        aal: session.aal,
        amr: &session.amr,
        authenticated_at: session.authenticated_at,
        device_name: &session.device_name,
    };
    let cap = match app.config.max_sessions_per_user {
        0 => None,
        cap => Some(usize::try_from(cap).unwrap_or(usize::MAX)),
    };
    let proved = method.still_proved();
    let device_id = client.device_cookie.id_to_set();
    let device_hash = device_id.hash();
    let signed_in = NewSecurityEvent {
        ip_address: session.ip_address.clone(),
        device_name: Some(session.device_name.clone()),
        session_id: Some(session.id.clone()),
        detail: Some(amr.names().join(" ")),
        ..NewSecurityEvent::new(SecurityEventKind::SignedIn, &user.id, now)
    };
    let opening = alerts::Opening {
        session_id: &session.id,
        device_name: &session.device_name,
        ip_address: session.ip_address.as_deref(),
        at: now,
    };
    let alert = alerts::alert_for(app, &mut conn, &user, client, &opening).await?;
    let opened = session_rows::open(
        &mut conn,
        &new_session,
        &proved,
        &device_hash,
        cap,
        &signed_in,
        alert.as_ref(),
        now,
    );
    match opened.await? {
        Opening::Opened { evicted, alerted } => {
            for session_id in &evicted {
                let reason = EndReason::Evicted;
                record::ended(Some(&app.metrics), &user.id, Some(session_id), reason, 1);
            }
            if alerted {
                tracing::info!(user_id = %user.id, session_id = %session.id, "new-device alert queued");
                app.metrics.mail_queued(MailKind::NewDeviceAlert);
                app.mail.wake();
            }
        }
        Opening::PasswordResetRequired => {
            tracing::info!(
                user_id = %user.id,
                "sign-in refused: a sign-in was reported; the password must be reset"
            );
            return Err(AppError::PasswordResetRequired);
        }
        Opening::PasswordChangedSince => {
            tracing::info!(
                user_id = %user.id,
                "login refused: the password changed since it was checked"
            );
            return Err(AppError::InvalidCredentials);
        }
        Opening::PasskeyRefused => {
            tracing::warn!(
                user_id = %user.id,
                "passkey sign-in refused: the passkey is gone or its counter did not rise"
            );
            return Err(AppError::InvalidCredentials);
        }
        Opening::UserDisabled => {
            tracing::info!(
                user_id = %user.id,
                "login refused: account disabled since the password was checked"
            );
            return Err(AppError::AccountDisabled);
        }
    }
    record::opened(&app.metrics, &user.id, &session.id, &method);
    let mut issued = issue_tokens(app, session, user, now)?;
    issued.device_id = Some(device_id);
    Ok(issued)
}
