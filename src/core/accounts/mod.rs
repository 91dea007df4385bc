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
