//! Invitations: a mail with a link to create an account with a role
//! (`authql user invite`, and the admin's `inviteUser`), whatever
//! `SIGNUP_MODE` is. The account is made when the link's `signUp` succeeds
//! (see `sign_up`).

use crate::core::accounts::address::EmailAddress;
use crate::core::accounts::mail_tokens::{self, TokenKind};
use crate::core::accounts::{mail_enabled, mails};
use crate::core::app::App;
use crate::core::mail::MailKind;
use crate::core::{clock, input};
use crate::error::AppError;
use crate::store::accounts::{self as account_rows, NewAccountToken};

/// Stores an invitation to `email` with `role` and queues its mail; false
/// when the address had its most invitations for now (nothing stored).
pub(crate) async fn invite(app: &App, email: &str, role: &str) -> Result<bool, AppError> {
    mail_enabled(app)?;
    let address = EmailAddress::parse(email)?;
    input::check_role(role)?;
    let now = app.clock.now();
    let app_url = app.config.accounts.public_app_url.as_deref().unwrap_or("");
    let token = mail_tokens::new_token();
    let link = mails::link(app_url, TokenKind::Invitation, &token.value);
    let mail = app
        .mail
        .outbox_row(&mails::invitation(&address.shown, app_url, &link), now);
    let row = NewAccountToken {
        token_hash: &token.hash,
        kind: TokenKind::Invitation.as_str(),
        user_id: None,
        email: Some(&address.shown),
        role: Some(role),
        created_at: now,
        expires_at: clock::later(now, TokenKind::Invitation.lifetime()),
        session_id: None,
    };
    let mut conn = app.pool.get().await?;
    let queued = account_rows::store_token_with_mail(&mut conn, &row, &mail).await?;
    if queued {
        tracing::info!(role, "invitation queued");
        app.metrics.mail_queued(MailKind::Invitation);
        app.mail.wake();
    }
    Ok(queued)
}
