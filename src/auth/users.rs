//! Managing users from the command line: create, disable, enable.

use crate::app::App;
use crate::auth::input;
use crate::auth::sessions::EndReason;
use crate::clock::{Clock, SystemClock};
use crate::db::DbPool;
use crate::db::models::users::{self, NewUser};
use crate::error::AppError;
use crate::secret::Secret;
use crate::vocabulary::UserStatus;

/// Why a user command failed.
#[derive(Debug, thiserror::Error)]
pub enum UserCommandError {
    #[error("a user named {0:?} already exists")]
    Duplicate(String),
    #[error("no user is named {0:?}")]
    Unknown(String),
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

/// Creates an active user; returns its id.
pub async fn add_user(
    app: &App,
    user_name: &str,
    password: &Secret,
    role: &str,
) -> Result<String, UserCommandError> {
    input::check_new_user_name(user_name)?;
    input::check_password(password.expose())?;
    if role.trim().is_empty() || role.chars().count() > 64 {
        return Err(UserCommandError::Invalid(
            "role must be 1 to 64 characters".into(),
        ));
    }
    let password_hash = app.passwords.hash(password).await?;
    let id = crate::auth::ids::new_id();
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
        },
    )
    .await;
    match inserted {
        Ok(()) => Ok(id),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(UserCommandError::Duplicate(user_name.to_owned())),
        Err(other) => Err(other.into()),
    }
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
    let mut conn = pool.get().await.map_err(AppError::from)?;
    let found = users::set_status(
        &mut conn,
        &key,
        status,
        EndReason::UserDisabled,
        SystemClock.now(),
    )
    .await?;
    if !found {
        return Err(UserCommandError::Unknown(user_name.to_owned()));
    }
    Ok(())
}
