//! Password recovery: `requestPasswordReset` mails a link when a verified,
//! active account has the address (the answer and its time are the same
//! either way), and `resetPassword` with its token sets a new password and
//! ends every session of the account. An admin's `sendPasswordReset`
//! mails the same link at once ([`send_reset_mail`]).

use crate::core::accounts::address::EmailAddress;
use crate::core::accounts::deferred::TokenMail;
use crate::core::accounts::mail_tokens::{self, TokenKind};
use crate::core::accounts::{mail_enabled, mails};
use crate::core::app::{App, AppState};
use crate::core::client::ClientInfo;
use crate::core::mail::MailKind;
use crate::core::security_events::Source;
use crate::core::{clock, input, sessions};
use crate::error::AppError;
use crate::secret::{ExposeSecret, Secret};
use crate::store::accounts::{self as account_rows, NewAccountToken};
use crate::store::audit_log::AdminAction;
use crate::store::users::UserRecord;

/// Mails a reset link when a verified, active account has `email`.
pub(crate) async fn request_password_reset(app: &AppState, email: &str) -> Result<bool, AppError> {
    mail_enabled(app)?;
    let address = EmailAddress::parse(email)?;
    let found = {
        let mut conn = app.pool.get().await?;
        account_rows::find_by_email_key(&mut conn, &address.key).await?
    };
    let user = found.filter(|user| user.is_active() && user.email_verified_at.is_some());
    let Some((user, shown)) = user.and_then(|user| user.email.clone().map(|shown| (user, shown)))
    else {
        super::decoy(app, &address.shown, TokenKind::PasswordReset);
        return Ok(true);
    };
    let now = app.clock.now();
    let token = mail_tokens::new_token();
    let app_url = app.config.accounts.public_app_url.as_deref().unwrap_or("");
    let link = mails::link(app_url, TokenKind::PasswordReset, &token.value);
    let mail = mails::password_reset(&shown, &user.user_name, app_url, &link);
    let queued = {
        let app = app.clone();
        move || {
            app.metrics.mail_queued(MailKind::PasswordReset);
            app.mail.wake();
        }
    };
    app.deferred_writes.store(
        app.pool.clone(),
        TokenMail {
            token_hash: token.hash,
            kind: TokenKind::PasswordReset.as_str(),
            user_id: user.id,
            email: shown,
            created_at: now,
            expires_at: clock::later(now, TokenKind::PasswordReset.lifetime()),
            mail: app.mail.outbox_row(&mail, now),
            mail_kind: MailKind::PasswordReset,
        },
        queued,
    );
    Ok(true)
}

/// Sets a new password with a reset token. A bad new password is
/// `BAD_USER_INPUT` and leaves the token usable; a bad token is
/// `INVALID_TOKEN`.
pub(crate) async fn reset_password(
    app: &App,
    token: &str,
    new_password: &Secret,
    client: &ClientInfo,
) -> Result<bool, AppError> {
    input::check_password(new_password.expose_secret())?;
    input::check_new_password(new_password.expose_secret(), app.config.password_min_length)?;
    if !mail_tokens::looks_like_token(token) {
        return Err(AppError::InvalidToken);
    }
    let token_hash = mail_tokens::token_hash(token);
    let kind = TokenKind::PasswordReset.as_str();
    {
        // Junk and spent tokens cost no hash.
        let mut conn = app.pool.get().await?;
        account_rows::find_usable(&mut conn, &token_hash, kind, app.clock.now())
            .await?
            .ok_or(AppError::InvalidToken)?;
    }
    let deadline = tokio::time::Instant::now() + app.config.password_check_wait;
    let Some(new_hash) = app.passwords.hash_before(new_password, deadline).await? else {
        return Err(AppError::TooManyAttempts {
            retry_after_secs: app.config.password_check_wait.as_secs().max(1),
        });
    };
    let source = Source::request(client, None);
    sessions::reset_password(app, &token_hash, kind, &new_hash, &source).await?;
    Ok(true)
}

/// Mails `user` a reset link now, for an admin's `sendPasswordReset`
/// (audited with `action` in the transaction that stores the token and
/// queues the mail); false when the address had its most reset mails for
/// now (nothing queued). The caller has checked that the user has a
/// verified address and may sign in: `BAD_USER_INPUT` if the address is
/// gone meanwhile.
pub(crate) async fn send_reset_mail(
    app: &App,
    user: &UserRecord,
    action: &AdminAction,
) -> Result<bool, AppError> {
    let Some(shown) = user.email.as_deref() else {
        return Err(AppError::BadUserInput(
            "the user has no email address".into(),
        ));
    };
    let now = app.clock.now();
    let token = mail_tokens::new_token();
    let app_url = app.config.accounts.public_app_url.as_deref().unwrap_or("");
    let link = mails::link(app_url, TokenKind::PasswordReset, &token.value);
    let mail = mails::password_reset(shown, &user.user_name, app_url, &link);
    let row = NewAccountToken {
        token_hash: &token.hash,
        kind: TokenKind::PasswordReset.as_str(),
        user_id: Some(&user.id),
        email: Some(shown),
        role: None,
        created_at: now,
        expires_at: clock::later(now, TokenKind::PasswordReset.lifetime()),
        session_id: None,
    };
    let outbox_row = app.mail.outbox_row(&mail, now);
    let mut conn = app.pool.get().await?;
    let queued =
        account_rows::store_token_with_mail(&mut conn, &row, &outbox_row, Some(action)).await?;
    if queued {
        app.metrics.mail_queued(MailKind::PasswordReset);
        app.mail.wake();
    }
    Ok(queued)
}
