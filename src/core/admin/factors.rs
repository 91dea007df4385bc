//! `resetUserFactors`: for a user who lost their authenticator. TOTP (on
//! or half enrolled), the recovery codes and every passkey go, and every
//! session of the user ends (`ENDED_BY_ADMIN`), so that whoever holds a
//! session made with the lost factor is out too; the user then signs in
//! with the password alone and enrols again.

use crate::core::admin::{Admin, audit, check_user_id, settled};
use crate::core::app::App;
use crate::core::sessions::{EndReason, record};
use crate::error::AppError;
use crate::store::admin as admin_rows;

/// Removes the user's second factors and ends every session of the user;
/// `NOT_FOUND` for no such user.
pub(crate) async fn reset_factors(app: &App, admin: &Admin, user_id: &str) -> Result<(), AppError> {
    check_user_id(user_id)?;
    let now = app.clock.now();
    let detail = Some("TOTP, recovery codes and passkeys removed".to_owned());
    let action = audit::action(admin, "resetUserFactors", Some(user_id), detail, now);
    let mut conn = app.pool.get().await?;
    let outcome = admin_rows::reset_factors(&mut conn, user_id, &action, now).await?;
    let ended = settled(outcome, "")?;
    record::ended(
        Some(&app.metrics),
        user_id,
        None,
        EndReason::EndedByAdmin,
        ended,
    );
    tracing::info!(%user_id, ended, "second factors reset by an admin");
    Ok(())
}
