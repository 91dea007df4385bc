//! Accounts: the flows of the contract's "Accounts" section. Sign-up in its
//! three modes (`sign_up`), proving an address and changing it
//! (`verification`), password recovery (`recovery`) and invitations
//! (`invitations`), over addresses (`address`), one-use tokens
//! (`mail_tokens`) and the mails that carry them (`mails`). Every mail is
//! queued in the transaction of the change that causes it and sent by
//! `crate::core::mail`; no flow waits for SMTP.

pub(crate) mod address;
pub(crate) mod deferred;
pub(crate) mod invitations;
pub(crate) mod mail_tokens;
pub(crate) mod mails;
pub(crate) mod recovery;
pub(crate) mod sign_up;
pub(crate) mod verification;

use crate::core::accounts::mail_tokens::TokenKind;
use crate::core::app::App;
use crate::error::AppError;

/// `FORBIDDEN` for an operation that only sends mail, on a server without
/// `SMTP_URL` (or `PUBLIC_APP_URL`, which its links need).
pub(crate) fn mail_enabled(app: &App) -> Result<(), AppError> {
    if app.config.accounts.mail_enabled() {
        Ok(())
    } else {
        Err(AppError::Forbidden("mail is not configured on this server"))
    }
}

/// The work a known address's request does before it answers (a token, a
/// mail sealed into its row), done for an unknown address too and thrown
/// away, so that the two answers take the same time even where sealing is
/// slow (an unoptimised build, a busy machine).
pub(crate) fn decoy(app: &App, address: &str, kind: TokenKind) {
    let token = mail_tokens::new_token();
    let app_url = app.config.accounts.public_app_url.as_deref().unwrap_or("");
    let link = mails::link(app_url, kind, &token.value);
    let mail = match kind {
        TokenKind::PasswordReset => mails::password_reset(address, address, app_url, &link),
        _ => mails::verification(address, address, app_url, &link),
    };
    let row = app.mail.outbox_row(&mail, app.clock.now());
    std::hint::black_box((token.hash, row));
}
