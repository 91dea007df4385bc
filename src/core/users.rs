//! Managing users from the command line: create, disable, enable, set a
//! password, list and end sessions. The changes an admin can make too
//! (status, sessions, invitations) go through `crate::core::admin`, the
//! one service of both.

use crate::core::accounts::address::EmailAddress;
use crate::core::admin::{self, Actor};
use crate::core::app::App;
use crate::core::clock::Clock;
use crate::core::input;
use crate::core::sessions;
use crate::error::AppError;
use crate::secret::{ExposeSecret, Secret};
use crate::store::DbPool;
use crate::store::admin::UserKey;
use crate::store::sessions::SessionView;
use crate::store::users::{self, NewUser, UserRecord};
use crate::vocabulary::UserStatus;

/// Why a user command failed.
#[derive(Debug, thiserror::Error)]
pub enum UserCommandError {
    #[error("a user named {0:?} already exists")]
    Duplicate(String),
    #[error("a user with the email address {0:?} already exists")]
    DuplicateEmail(String),
    #[error("no user is named {0:?}")]
    Unknown(String),
    #[error("{user:?} has no open session {session_id:?}")]
    UnknownSession { user: String, session_id: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{}", .0.detail())]
    Service(AppError),
}

impl From<AppError> for UserCommandError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::BadUserInput(message) => UserCommandError::Invalid(message),
            other => UserCommandError::Service(other),
        }
    }
}

impl From<diesel::result::Error> for UserCommandError {
    fn from(error: diesel::result::Error) -> Self {
        UserCommandError::Service(error.into())
    }
}

// The admin check lives with the admin service; kept here by name too,
// for the callers that ask about users.
pub(crate) use crate::core::admin::is_admin;

/// The user with this id, whoever asks: callers decide who may see it.
pub(crate) async fn find(app: &App, user_id: &str) -> Result<Option<UserRecord>, AppError> {
    let mut conn = app.pool.get().await?;
    Ok(users::find_by_id(&mut conn, user_id).await?)
}

/// Creates an active user, its name kept in NFC; returns its id.
pub async fn add_user(
    app: &App,
    user_name: &str,
    password: &Secret,
    role: &str,
    email: Option<&str>,
) -> Result<String, UserCommandError> {
    let user_name = &input::new_user_name(user_name);
    input::check_new_user_name(user_name)?;
    input::check_role(role)?;
    let address = email.map(EmailAddress::parse).transpose()?;
    input::check_new_password(password.expose_secret(), app.config.password_min_length)?;
    let password_hash = app.passwords.hash(password).await?;
    let id = crate::core::ids::new_id();
    let now = app.clock.now();
    let user_name_key = input::fold_user_name(user_name);
    let mut conn = app.pool.get().await.map_err(AppError::from)?;
    let inserted = users::insert(
        &mut conn,
        &NewUser {
            id: &id,
            user_name,
            user_name_key: &user_name_key,
            password_hash: &password_hash,
            role,
            status: UserStatus::Active,
            created_at: now,
            updated_at: now,
            email: address.as_ref().map(|a| a.shown.as_str()),
            email_key: address.as_ref().map(|a| a.key.as_str()),
            email_verified_at: address.as_ref().map(|_| now),
        },
    )
    .await;
    match inserted {
        Ok(()) => Ok(id),
        Err(error) if crate::store::is_unique_violation(&error) => {
            let name_taken = users::find_by_name_key(&mut conn, &user_name_key).await?;
            match (name_taken, address) {
                (None, Some(address)) => Err(UserCommandError::DuplicateEmail(address.shown)),
                _ => Err(UserCommandError::Duplicate(user_name.to_owned())),
            }
        }
        Err(other) => Err(other.into()),
    }
}

/// Mails an invitation to `email` with `role`; false when the address got
/// the most invitations for now (nothing was queued).
pub async fn invite(app: &App, email: &str, role: &str) -> Result<bool, UserCommandError> {
    Ok(admin::mail::invite(app, Actor::Operator, email, role).await?)
}

/// Disables a user and ends all of its sessions in one transaction.
pub async fn disable_user(pool: &DbPool, user_name: &str) -> Result<(), UserCommandError> {
    set_status(pool, user_name, UserStatus::Disabled).await
}

/// Lets a disabled user log in again; its ended sessions stay ended.
pub async fn enable_user(pool: &DbPool, user_name: &str) -> Result<(), UserCommandError> {
    set_status(pool, user_name, UserStatus::Active).await
}

async fn set_status(
    pool: &DbPool,
    user_name: &str,
    status: UserStatus,
) -> Result<(), UserCommandError> {
    let key = input::fold_user_name(user_name);
    let now = crate::core::clock::SystemClock.now();
    let user = UserKey::NameKey(&key);
    match admin::status::set_status(pool, None, now, user, status, Actor::Operator).await {
        Ok(_) => Ok(()),
        Err(AppError::UnknownUser) => Err(UserCommandError::Unknown(user_name.to_owned())),
        Err(other) => Err(other.into()),
    }
}

/// The user named `user_name` (in any case), or `Unknown`.
async fn find_user(app: &App, user_name: &str) -> Result<UserRecord, UserCommandError> {
    let mut conn = app.pool.get().await.map_err(AppError::from)?;
    users::find_by_name_key(&mut conn, &input::fold_user_name(user_name))
        .await?
        .ok_or_else(|| UserCommandError::Unknown(user_name.to_owned()))
}

/// Sets a new password and ends every session of the user
/// (`PASSWORD_CHANGED`), in one transaction; returns how many ended.
pub(crate) async fn set_password(
    app: &App,
    user_name: &str,
    password: &Secret,
) -> Result<usize, UserCommandError> {
    input::check_new_password(password.expose_secret(), app.config.password_min_length)?;
    let user = find_user(app, user_name).await?;
    let password_hash = app.passwords.hash(password).await?;
    let ended = sessions::replace_password(app, &user.id, &password_hash).await?;
    tracing::info!(user_id = %user.id, ended, "password set by an operator");
    Ok(ended)
}

/// The user's open sessions, the most recently active first.
pub(crate) async fn list_sessions(
    app: &App,
    user_name: &str,
) -> Result<Vec<SessionView>, UserCommandError> {
    let user = find_user(app, user_name).await?;
    Ok(sessions::list_open(app, &user.id).await?)
}

/// Ends every open session of the user, or the one given
/// (`ENDED_BY_ADMIN`); returns how many ended.
pub(crate) async fn end_sessions(
    app: &App,
    user_name: &str,
    session_id: Option<&str>,
) -> Result<usize, UserCommandError> {
    let user = find_user(app, user_name).await?;
    match admin::sessions::end_sessions(app, Actor::Operator, &user.id, session_id).await {
        Ok(ended) => Ok(ended),
        Err(AppError::NotFound) => Err(UserCommandError::UnknownSession {
            user: user_name.to_owned(),
            session_id: session_id.unwrap_or_default().to_owned(),
        }),
        Err(AppError::UnknownUser) => Err(UserCommandError::Unknown(user_name.to_owned())),
        Err(other) => Err(other.into()),
    }
}
