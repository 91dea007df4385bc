//! `reportSignIn`: the owner follows a new-device alert's link and says the
//! sign-in was not theirs. The reported session ends, with every session
//! opened since from the same device name and network (an attacker's
//! refreshes of their sign-in, or their next ones); older sessions, the
//! owner's own, stay open. The account's right password then answers
//! `PASSWORD_RESET_REQUIRED` until a reset (`requestPasswordReset`, or an
//! operator's `user set-password`) sets a new one: whoever signed in knew
//! it. A passkey sign-in is refused the same way meanwhile, as the session
//! it would open could not be told from the attacker's.

use crate::core::accounts::mail_tokens::{self, TokenKind};
use crate::core::app::App;
use crate::core::client::{ClientInfo, same_network};
use crate::core::security_events::{self, Source};
use crate::core::sessions::record;
use crate::error::AppError;
use crate::store::sign_in_reports::{self, Reported};
use crate::vocabulary::{EndReason, SecurityEventKind};

/// Reports the sign-in of an alert's `token` (see the module doc);
/// `INVALID_TOKEN` when it is unknown, used or expired (nothing changed).
/// Returns how many sessions ended.
pub(crate) async fn report_sign_in(
    app: &App,
    token: &str,
    client: &ClientInfo,
) -> Result<usize, AppError> {
    if !mail_tokens::looks_like_token(token) {
        return Err(AppError::InvalidToken);
    }
    let token_hash = mail_tokens::token_hash(token);
    let now = app.clock.now();
    let source = Source::request(client, None);
    let event = |user_id: &str| {
        security_events::event(SecurityEventKind::SignInReported, user_id, now, &source)
    };
    let mut conn = app.pool.get().await?;
    let reported = sign_in_reports::report(
        &mut conn,
        &token_hash,
        TokenKind::SignInReport.as_str(),
        &same_network,
        &event,
        now,
    )
    .await?;
    match reported {
        Reported::Done { user_id, ended } => {
            tracing::warn!(%user_id, ended, "sign-in reported as not the user's: password locked until a reset");
            let reason = EndReason::ReportedByUser;
            record::ended(Some(&app.metrics), &user_id, None, reason, ended);
            Ok(ended)
        }
        Reported::InvalidToken => Err(AppError::InvalidToken),
    }
}
