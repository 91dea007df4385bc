//! Operators' changes to users, written once for both ways in: an admin's
//! GraphQL request and an `authql user` command. Each module holds one
//! kind of change (`status`, `role`, `sessions`, `factors`, `mail`) or
//! reading (`directory`, `audit`); the CLI and the resolvers call the
//! same functions, telling them who acts ([`Actor`]).
//!
//! # Who may
//!
//! A user whose role is [`ADMIN_ROLE`], as the session check read it with
//! this request (no statement of its own: the check already reads the
//! user's row, so a role or status changed a moment ago through any
//! replica holds on the next request, whatever the token's `role` claim
//! says). Every change also needs recent authentication
//! (`crate::core::factors::recent`). Refusals come in the contract's
//! order: the guard's codes (already given by the time a caller is
//! known), `FORBIDDEN` ([`authorize`]), `REAUTHENTICATION_REQUIRED`
//! ([`authorize_change`]), mail not configured, then the input.
//!
//! # What an admin's change leaves behind
//!
//! An audit entry (actor, action, target, detail, client address) and an
//! `ADMIN_ACTION` event for the user touched, both in the transaction of
//! the change (`crate::store::admin`). The user's event names what was
//! done but not the admin's address or session: those are the audit log's,
//! which only admins read. An operator's command leaves neither (there is
//! no actor to name; the shell has its own history), and is not held to
//! the rule of the last admin: the shell is the way back in.

pub(crate) mod audit;
pub(crate) mod directory;
pub(crate) mod directory_copy;
pub(crate) mod factors;
pub(crate) mod mail;
pub(crate) mod role;
pub(crate) mod sessions;
pub(crate) mod status;

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::factors::recent::{self, Need};
use crate::core::sessions::Authenticated;
use crate::error::AppError;
use crate::store::admin::{KeepAnAdmin, Outcome};
use crate::store::users::UserRecord;

/// The role that may use the admin API.
pub(crate) const ADMIN_ROLE: &str = "admin";

/// Whether `user` holds the admin role (as read with its session's check).
pub(crate) fn is_admin(user: &UserRecord) -> bool {
    user.role == ADMIN_ROLE
}

/// An admin whose change was allowed: who, and from which address.
#[derive(Debug, Clone)]
pub(crate) struct Admin {
    pub user_id: String,
    pub ip_address: Option<String>,
}

/// Who makes a change.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Actor<'a> {
    /// `authql user ...` on the server's shell.
    Operator,
    /// An admin through the API.
    Admin(&'a Admin),
}

impl Actor<'_> {
    /// The last-admin rule for this actor's changes (admins only).
    fn keep_an_admin(self) -> Option<KeepAnAdmin<'static>> {
        match self {
            Actor::Operator => None,
            Actor::Admin(_) => Some(KeepAnAdmin {
                admin_role: ADMIN_ROLE,
            }),
        }
    }
}

/// `FORBIDDEN` unless the caller is an admin: for the admin queries.
pub(crate) fn authorize(auth: &Authenticated) -> Result<(), AppError> {
    if is_admin(&auth.user) {
        Ok(())
    } else {
        Err(AppError::Forbidden("this needs the admin role"))
    }
}

/// [`authorize`], then recent authentication (`REAUTHENTICATION_REQUIRED`):
/// for the admin mutations. Answers the admin as the audit log names them.
pub(crate) async fn authorize_change(
    app: &App,
    auth: &Authenticated,
    client: &ClientInfo,
) -> Result<Admin, AppError> {
    authorize(auth)?;
    recent::require(app, auth, Need::Recent).await?;
    Ok(Admin {
        user_id: auth.user.id.clone(),
        ip_address: client.ip_address.map(|ip| ip.to_string()),
    })
}

/// `NOT_FOUND` unless `user_id` could be an id (no statement for junk).
fn check_user_id(user_id: &str) -> Result<(), AppError> {
    if crate::core::ids::looks_like_id(user_id) {
        Ok(())
    } else {
        Err(AppError::UnknownUser)
    }
}

/// A change's stored outcome as the caller sees it: `NOT_FOUND` for no
/// such user, `BAD_USER_INPUT` (`last_admin`) for the last admin.
fn settled<T>(outcome: Outcome<T>, last_admin: &str) -> Result<T, AppError> {
    match outcome {
        Outcome::Done(done) => Ok(done),
        Outcome::NoSuchUser => Err(AppError::UnknownUser),
        Outcome::LastAdmin => Err(AppError::BadUserInput(last_admin.to_owned())),
    }
}

/// The user as it is now, after a change: `NOT_FOUND` if it went meanwhile.
async fn reread(app: &App, user_id: &str) -> Result<directory::Listed, AppError> {
    directory::user(app, user_id)
        .await?
        .ok_or(AppError::UnknownUser)
}
