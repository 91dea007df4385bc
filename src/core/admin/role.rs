//! `setUserRole`: a user's role, read by the session check of the user's
//! next request (so `me.role`, `X-Auth-Role` and the admin check change at
//! once, on every replica); tokens already issued keep their old `role`
//! claim until they expire, and nothing here trusts that claim.

use crate::core::admin::directory::Listed;
use crate::core::admin::{ADMIN_ROLE, Admin, audit, check_user_id, reread, settled};
use crate::core::app::App;
use crate::core::input;
use crate::error::AppError;
use crate::store::admin::{self as admin_rows, KeepAnAdmin};

/// Gives the user `role` (1 to 64 of `a-z A-Z 0-9 _ . : -`, else
/// `BAD_USER_INPUT`); the last active admin cannot lose the admin role
/// (`BAD_USER_INPUT`). Answers the user as it is after the change.
pub(crate) async fn set_role(
    app: &App,
    admin: &Admin,
    user_id: &str,
    role: &str,
) -> Result<Listed, AppError> {
    input::check_role(role)?;
    check_user_id(user_id)?;
    let now = app.clock.now();
    let action = audit::action(
        admin,
        "setUserRole",
        Some(user_id),
        Some(role.to_owned()),
        now,
    );
    let keep = KeepAnAdmin {
        admin_role: ADMIN_ROLE,
    };
    let mut conn = app.pool.get().await?;
    let outcome = admin_rows::set_role(&mut conn, user_id, role, keep, &action, now).await?;
    settled(outcome, "the last active admin cannot lose the admin role")?;
    tracing::info!(%user_id, role, "role set");
    reread(app, user_id).await
}
