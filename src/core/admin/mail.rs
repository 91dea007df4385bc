//! The admin mutations that only send mail: `inviteUser` (and `authql user
//! invite`, the same invitation) and `sendPasswordReset`. Without
//! `SMTP_URL` both are `FORBIDDEN`, after the admin and recency checks and
//! before the input is looked at (the contract's order).

use crate::core::accounts::{invitations, mail_enabled, recovery};
use crate::core::admin::{Actor, Admin, audit, check_user_id};
use crate::core::app::App;
use crate::error::AppError;
use crate::vocabulary::UserStatus;

/// Mails an invitation to `email` with `role`, as `actor`; false when the
/// address had its most invitations for now (nothing was queued).
pub(crate) async fn invite(
    app: &App,
    actor: Actor<'_>,
    email: &str,
    role: &str,
) -> Result<bool, AppError> {
    let action = match actor {
        Actor::Admin(admin) => {
            let detail = Some(format!("{email} as {role}"));
            Some(audit::action(
                admin,
                "inviteUser",
                None,
                detail,
                app.clock.now(),
            ))
        }
        Actor::Operator => None,
    };
    invitations::invite(app, email, role, action.as_ref()).await
}

/// Mails the user a password-reset link. `NOT_FOUND` for no such user;
/// `BAD_USER_INPUT` for a user without a verified address or a disabled
/// one. Past the address's mail limits nothing is sent, and the answer is
/// `true` all the same (as `requestPasswordReset`'s).
pub(crate) async fn send_password_reset(
    app: &App,
    admin: &Admin,
    user_id: &str,
) -> Result<bool, AppError> {
    mail_enabled(app)?;
    check_user_id(user_id)?;
    let user = {
        let mut conn = app.pool.get().await?;
        crate::store::users::find_by_id(&mut conn, user_id)
            .await?
            .ok_or(AppError::UnknownUser)?
    };
    if user.status == UserStatus::Disabled {
        return Err(AppError::BadUserInput("the user is disabled".into()));
    }
    if user.email.is_none() || user.email_verified_at.is_none() {
        return Err(AppError::BadUserInput(
            "the user has no verified email address".into(),
        ));
    }
    let action = audit::action(
        admin,
        "sendPasswordReset",
        Some(user_id),
        None,
        app.clock.now(),
    );
    let queued = recovery::send_reset_mail(app, &user, &action).await?;
    tracing::info!(%user_id, queued, "password reset mailed by an admin");
    Ok(true)
}
