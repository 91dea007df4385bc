//! Enabling and disabling users: `setUserStatus` and `authql user
//! disable|enable`. A disable ends every session of the user at once
//! (`USER_DISABLED`), and the session check refuses the user's tokens from
//! the next request on, on every replica; an enable verifies an address
//! never verified (the operator's word for it), and ended sessions stay
//! ended. `UNVERIFIED` is no status one sets: an account becomes so only
//! by signing up.

use chrono::NaiveDateTime;

use crate::core::admin::directory::Listed;
use crate::core::admin::{Actor, Admin, audit, check_user_id, reread, settled};
use crate::core::app::App;
use crate::core::metrics::Metrics;
use crate::core::sessions::{EndReason, record};
use crate::error::AppError;
use crate::store::DbPool;
use crate::store::admin::{self as admin_rows, StatusChange, UserKey};
use crate::store::audit_log::AdminAction;
use crate::vocabulary::UserStatus;

/// Sets the status of the user `user` names, as `actor`: the one rule of
/// both ways in. `metrics` is None for an operator's command (its process
/// serves none). `BAD_USER_INPUT` for `UNVERIFIED` or (for an admin) the
/// last active admin's disable; `NOT_FOUND` for no such user.
pub(crate) async fn set_status(
    pool: &DbPool,
    metrics: Option<&Metrics>,
    now: NaiveDateTime,
    user: UserKey<'_>,
    status: UserStatus,
    actor: Actor<'_>,
) -> Result<StatusChange, AppError> {
    check_settable(status)?;
    let record_it;
    let audited: Option<&(dyn Fn(&str) -> AdminAction + Sync)> = match actor {
        Actor::Admin(admin) => {
            // Made inside the transaction, once the user's id is known (an
            // operator names users by name).
            record_it = move |user_id: &str| {
                let detail = Some(status_word(status).to_owned());
                audit::action(admin, "setUserStatus", Some(user_id), detail, now)
            };
            Some(&record_it)
        }
        Actor::Operator => None,
    };
    let mut conn = pool.get().await?;
    let outcome =
        admin_rows::set_status(&mut conn, user, status, actor.keep_an_admin(), audited, now)
            .await?;
    let change = settled(outcome, "the last active admin cannot be disabled")?;
    let reason = EndReason::UserDisabled;
    record::ended(
        metrics,
        &change.user_id,
        None,
        reason,
        change.sessions_ended,
    );
    tracing::info!(user_id = %change.user_id, status = %status, "status set");
    Ok(change)
}

/// `setUserStatus`: the user as it is after the change.
pub(crate) async fn set_by_admin(
    app: &App,
    admin: &Admin,
    user_id: &str,
    status: UserStatus,
) -> Result<Listed, AppError> {
    check_settable(status)?;
    check_user_id(user_id)?;
    set_status(
        &app.pool,
        Some(&app.metrics),
        app.clock.now(),
        UserKey::Id(user_id),
        status,
        Actor::Admin(admin),
    )
    .await?;
    reread(app, user_id).await
}

/// `BAD_USER_INPUT` for `UNVERIFIED`, which only a sign-up makes.
fn check_settable(status: UserStatus) -> Result<(), AppError> {
    if status == UserStatus::Unverified {
        return Err(AppError::BadUserInput(
            "a status can be set to ACTIVE or DISABLED only".into(),
        ));
    }
    Ok(())
}

/// The word the audit log keeps for a status, as the schema spells it.
fn status_word(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => "ACTIVE",
        UserStatus::Disabled => "DISABLED",
        UserStatus::Unverified => "UNVERIFIED",
    }
}
