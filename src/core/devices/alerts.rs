//! New-device alerts: a sign-in from a device that is not known, for an
//! account with a verified address, mails the owner what signed in, from
//! where and when, with a link that reports it (`reportSignIn`, see
//! `crate::core::sessions::report`).
//!
//! A device is known for the user when the request carries the
//! `authql_device` cookie of an earlier sign-in of that user
//! ([`super::known`]), or when one of the user's sign-ins within
//! `SECURITY_EVENT_RETENTION_DAYS` had the same device name and came from
//! the same network (IPv4 /24, IPv6 /48: `core::client::alert_network`).
//! Those sign-ins are read from the `SIGNED_IN` events, which record every
//! session's opening with its device name and address and are kept exactly
//! that long (the sessions table forgets ended sessions sooner). An
//! account's first sign-in, however it was made, sends none: no device
//! was ever noted for it.
//!
//! The decision is read before the session opens; the mail, its token and
//! the `NEW_DEVICE_ALERT_SENT` event are stored in the opening's own
//! transaction (`store::sessions::open`), so an alert exists exactly when
//! its session does. The reads cost a login two or three indexed
//! statements, and only for accounts with a verified address on a server
//! that sends mail.
//!
//! The device name in the mail may come from the client (`deviceInfo`, a
//! User-Agent): it is quoted and said to be what the device called itself,
//! and holds no control characters (`input::check_device_info`,
//! `input::cut_user_agent`), so it cannot pass for our own words.

use chrono::NaiveDateTime;

use crate::core::accounts::mail_tokens::{self, TokenKind};
use crate::core::accounts::mails;
use crate::core::app::App;
use crate::core::client::{ClientInfo, same_network};
use crate::core::{clock, security_events};
use crate::error::AppError;
use crate::store::DbConn;
use crate::store::known_devices;
use crate::store::security_events as event_rows;
use crate::store::sessions::NewDeviceAlert;
use crate::store::users::UserRecord;
use crate::vocabulary::SecurityEventKind;

/// The session a sign-in is about to open, as an alert describes it.
pub(crate) struct Opening<'a> {
    pub session_id: &'a str,
    pub device_name: &'a str,
    pub ip_address: Option<&'a str>,
    pub at: NaiveDateTime,
}

/// The alert to queue with `opening`, when the rule asks for one (see the
/// module doc); None when the device is known, the sign-in is the
/// account's first, the account has no verified address, or the server
/// sends no mail.
pub(crate) async fn alert_for(
    app: &App,
    conn: &mut DbConn,
    user: &UserRecord,
    client: &ClientInfo,
    opening: &Opening<'_>,
) -> Result<Option<NewDeviceAlert>, AppError> {
    let accounts = &app.config.accounts;
    let (Some(address), Some(_)) = (&user.email, user.email_verified_at) else {
        return Ok(None);
    };
    let Some(app_url) = accounts
        .public_app_url
        .as_deref()
        .filter(|_| accounts.mail_enabled())
    else {
        return Ok(None);
    };
    if is_known(app, conn, user, client, opening).await? {
        return Ok(None);
    }
    let token = mail_tokens::new_token();
    let kind = TokenKind::SignInReport;
    let link = mails::link(app_url, kind, &token.value);
    let mail = mails::new_device_alert(address, &user.user_name, app_url, &link, opening);
    let source = security_events::Source {
        ip_address: opening.ip_address.map(str::to_owned),
        device_name: Some(opening.device_name.to_owned()),
        session_id: Some(opening.session_id.to_owned()),
    };
    Ok(Some(NewDeviceAlert {
        mail: app.mail.outbox_row(&mail, opening.at),
        token_hash: token.hash,
        token_kind: kind.as_str(),
        token_expires_at: clock::later(opening.at, kind.lifetime()),
        event: security_events::event(
            SecurityEventKind::NewDeviceAlertSent,
            &user.id,
            opening.at,
            &source,
        ),
    }))
}

/// Whether the device opening this session counts as known for the user,
/// or the sign-in is the account's first (either way, no alert).
async fn is_known(
    app: &App,
    conn: &mut DbConn,
    user: &UserRecord,
    client: &ClientInfo,
    opening: &Opening<'_>,
) -> Result<bool, AppError> {
    if let Some(device) = client.device_cookie.usable()
        && super::known::is_known_on(conn, &user.id, device, opening.at).await?
    {
        return Ok(true);
    }
    if !known_devices::any_for_user(conn, &user.id).await? {
        return Ok(true);
    }
    let since = clock::earlier(opening.at, app.config.security_event_retention);
    let addresses =
        event_rows::sign_in_addresses(conn, &user.id, opening.device_name, since).await?;
    Ok(addresses
        .iter()
        .any(|seen| same_network(seen.as_deref(), opening.ip_address)))
}
