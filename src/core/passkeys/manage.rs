//! The user's passkeys: `myPasskeys`, `renamePasskey` (no recent
//! authentication: a label guards nothing) and `removePasskey` (recent
//! authentication, at `aal` 2 for an account with a second factor, so a
//! stolen session cannot take away the owner's way back in).

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::factors::recent::{self, Need};
use crate::core::passkeys::PasskeyView;
use crate::core::security_events::{self, Source};
use crate::core::sessions::Authenticated;
use crate::error::AppError;
use crate::store::passkeys as passkey_rows;
use crate::vocabulary::SecurityEventKind;

/// Longest label, in characters.
const MAX_LABEL_CHARS: usize = 64;

/// A label as stored: trimmed, 1 to 64 characters, no control characters.
pub(crate) fn check_label(label: &str) -> Result<String, AppError> {
    let label = label.trim();
    let chars = label.chars().count();
    if chars == 0 || chars > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(AppError::BadUserInput(format!(
            "label must be 1 to {MAX_LABEL_CHARS} characters, without control characters"
        )));
    }
    Ok(label.to_owned())
}

/// The caller's passkeys, newest first.
pub(crate) async fn list(app: &App, user_id: &str) -> Result<Vec<PasskeyView>, AppError> {
    let mut conn = app.pool.get().await?;
    let rows = passkey_rows::of_user(&mut conn, user_id).await?;
    Ok(rows.into_iter().map(PasskeyView::from).collect())
}

/// How many passkeys the user has.
pub(crate) async fn count(app: &App, user_id: &str) -> Result<i64, AppError> {
    let mut conn = app.pool.get().await?;
    Ok(passkey_rows::count_of_user(&mut conn, user_id).await?)
}

/// Renames one of the caller's passkeys; `NOT_FOUND` for any other id.
pub(crate) async fn rename(
    app: &App,
    auth: &Authenticated,
    passkey_id: &str,
    label: &str,
) -> Result<PasskeyView, AppError> {
    let label = check_label(label)?;
    let mut conn = app.pool.get().await?;
    passkey_rows::rename(&mut conn, &auth.user.id, passkey_id, &label)
        .await?
        .map(PasskeyView::from)
        .ok_or(AppError::NotFound)
}

/// Removes one of the caller's passkeys; `NOT_FOUND` for any other id.
pub(crate) async fn remove(
    app: &App,
    auth: &Authenticated,
    passkey_id: &str,
    client: &ClientInfo,
) -> Result<bool, AppError> {
    recent::require(app, auth, Need::Recent).await?;
    let source = Source::in_session(client, &auth.session.id);
    let kind = SecurityEventKind::PasskeyRemoved;
    let removed = security_events::event(kind, &auth.user.id, app.clock.now(), &source);
    let mut conn = app.pool.get().await?;
    if !passkey_rows::remove(&mut conn, &auth.user.id, passkey_id, &removed).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(user_id = %auth.user.id, %passkey_id, "passkey removed");
    Ok(true)
}
