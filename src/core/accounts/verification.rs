//! Proving an address: `verifyEmail` (the link of a verification mail),
//! `requestEmailVerification` (a new link for an unverified account), and
//! `changeEmail` (a link to the new address, which replaces the old once
//! followed; the old address is then told).

use crate::core::accounts::address::EmailAddress;
use crate::core::accounts::deferred::TokenMail;
use crate::core::accounts::mail_tokens::{self, TokenKind};
use crate::core::accounts::{mail_enabled, mails};
use crate::core::app::{App, AppState};
use crate::core::client::ClientInfo;
use crate::core::clock;
use crate::core::factors::recent::{self, Need};
use crate::core::mail::MailKind;
use crate::core::security_events::{self, Source};
use crate::core::sessions::Authenticated;
use crate::error::AppError;
use crate::store::accounts::{self as account_rows, NewAccountToken, Verified};
use crate::vocabulary::UserStatus;

/// Follows a verification link: the address it names is the account's,
/// verified (an unverified account may sign in from now on).
pub(crate) async fn verify_email(
    app: &App,
    token: &str,
    client: &ClientInfo,
) -> Result<bool, AppError> {
    if !mail_tokens::looks_like_token(token) {
        return Err(AppError::InvalidToken);
    }
    let token_hash = mail_tokens::token_hash(token);
    let now = app.clock.now();
    let app_url = app.config.accounts.public_app_url.as_deref().unwrap_or("");
    let notice = |old_address: &str| {
        app.mail
            .outbox_row(&mails::email_changed(old_address, app_url), now)
    };
    let source = Source::request(client, None);
    let event = |kind, user_id: &str| security_events::event(kind, user_id, now, &source);
    let mut conn = app.pool.get().await?;
    let kind = TokenKind::Verification.as_str();
    match account_rows::verify(&mut conn, &token_hash, kind, now, &notice, &event).await? {
        Verified::Address { user_id } => {
            tracing::info!(%user_id, "email address verified");
            Ok(true)
        }
        Verified::Changed { user_id } => {
            tracing::info!(%user_id, "email address changed and verified");
            app.metrics.mail_queued(MailKind::EmailChanged);
            app.mail.wake();
            Ok(true)
        }
        Verified::InvalidToken => Err(AppError::InvalidToken),
    }
}

/// Mails a new verification link when an unverified account has `email`.
/// The answer is `true` either way, after the same lookup; the write is
/// deferred (see `deferred`).
pub(crate) async fn request_email_verification(
    app: &AppState,
    email: &str,
) -> Result<bool, AppError> {
    mail_enabled(app)?;
    let address = EmailAddress::parse(email)?;
    let found = {
        let mut conn = app.pool.get().await?;
        account_rows::find_by_email_key(&mut conn, &address.key).await?
    };
    let user = found.filter(|user| user.status == UserStatus::Unverified);
    let Some((user, shown)) = user.and_then(|user| user.email.clone().map(|shown| (user, shown)))
    else {
        super::decoy(app, &address.shown, TokenKind::Verification);
        return Ok(true);
    };
    let now = app.clock.now();
    let token = mail_tokens::new_token();
    let app_url = app.config.accounts.public_app_url.as_deref().unwrap_or("");
    let link = mails::link(app_url, TokenKind::Verification, &token.value);
    let mail = mails::verification(&shown, &user.user_name, app_url, &link);
    let queued = {
        let app = app.clone();
        move || {
            app.metrics.mail_queued(MailKind::Verification);
            app.mail.wake();
        }
    };
    app.deferred_writes.store(
        app.pool.clone(),
        TokenMail {
            token_hash: token.hash,
            kind: TokenKind::Verification.as_str(),
            user_id: user.id,
            email: shown,
            created_at: now,
            expires_at: clock::later(now, TokenKind::Verification.lifetime()),
            mail: app.mail.outbox_row(&mail, now),
            mail_kind: MailKind::Verification,
        },
        queued,
    );
    Ok(true)
}

/// Starts moving the caller's account to `new_email`: a verification link
/// to it, or, when another account has it, a notice to that address. The
/// answer is `true` either way.
pub(crate) async fn change_email(
    app: &App,
    auth: &Authenticated,
    new_email: &str,
) -> Result<bool, AppError> {
    recent::require(app, auth, Need::Recent).await?;
    mail_enabled(app)?;
    let address = EmailAddress::parse(new_email)?;
    let now = app.clock.now();
    let app_url = app.config.accounts.public_app_url.as_deref().unwrap_or("");
    let mut conn = app.pool.get().await?;
    let owner = account_rows::find_by_email_key(&mut conn, &address.key).await?;
    let queued = match owner {
        Some(owner) if owner.id == auth.user.id => {
            // Already this account's address: a link proves it, if it is
            // not proved yet; otherwise nothing to change.
            if owner.email_verified_at.is_some() {
                return Ok(true);
            }
            queue_verification(app, &mut conn, auth, &address, now, app_url).await?
        }
        Some(_) => {
            // Counted and the sender woken by `queue` itself.
            crate::core::mail::queue(app, &mails::address_in_use(&address.shown, app_url)).await?;
            None
        }
        None => queue_verification(app, &mut conn, auth, &address, now, app_url).await?,
    };
    if let Some(kind) = queued {
        app.metrics.mail_queued(kind);
        app.mail.wake();
    }
    tracing::info!(user_id = %auth.user.id, "email change asked");
    Ok(true)
}

/// Stores a verification token for `address` and queues its mail.
async fn queue_verification(
    app: &App,
    conn: &mut crate::store::DbConn,
    auth: &Authenticated,
    address: &EmailAddress,
    now: chrono::NaiveDateTime,
    app_url: &str,
) -> Result<Option<MailKind>, AppError> {
    let token = mail_tokens::new_token();
    let link = mails::link(app_url, TokenKind::Verification, &token.value);
    let mail = app.mail.outbox_row(
        &mails::verification(&address.shown, &auth.user.user_name, app_url, &link),
        now,
    );
    let row = NewAccountToken {
        token_hash: &token.hash,
        kind: TokenKind::Verification.as_str(),
        user_id: Some(&auth.user.id),
        email: Some(&address.shown),
        role: None,
        created_at: now,
        expires_at: clock::later(now, TokenKind::Verification.lifetime()),
        session_id: None,
    };
    let queued = account_rows::store_token_with_mail(conn, &row, &mail).await?;
    Ok(queued.then_some(MailKind::Verification))
}
