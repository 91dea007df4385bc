//! `AppError`: what services return and the only error type that reaches
//! async-graphql. Each user-facing variant is one code of the contract.
//! Internal variants keep their cause for the log; the client sees a generic
//! message, so no SQL, driver text or path ever leaves the process.

use async_graphql::ErrorExtensions;
use diesel::result::Error as DieselError;

/// Every failure a request can end in.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentication required: send Authorization: Bearer <accessToken>")]
    Unauthenticated,
    #[error("the access token has expired; call refreshToken")]
    TokenExpired,
    #[error("the session has ended; log in again")]
    SessionRevoked,
    #[error("invalid user name or password")]
    InvalidCredentials,
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("too many failed login attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error("this refresh token was already used; the session has been ended")]
    RefreshTokenReused,
    #[error("no such open session")]
    NotFound,
    #[error("{0}")]
    BadUserInput(String),
    #[error("the database is unavailable; nothing was changed")]
    ServiceUnavailable(#[source] InternalCause),
    #[error("internal server error")]
    Internal(#[source] InternalCause),
}

/// The detail behind an internal error, for the log only.
#[derive(Debug, thiserror::Error)]
pub enum InternalCause {
    #[error("database: {0}")]
    Database(#[from] DieselError),
    #[error("connection pool: {0}")]
    Pool(String),
    #[error("password hashing: {0}")]
    PasswordHash(String),
    #[error("token signing: {0}")]
    TokenSigning(#[from] jsonwebtoken::errors::Error),
    #[error("background task: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("{0}")]
    Invariant(&'static str),
}

impl AppError {
    /// The contract's code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::TokenExpired => "TOKEN_EXPIRED",
            AppError::SessionRevoked => "SESSION_REVOKED",
            AppError::InvalidCredentials => "INVALID_CREDENTIALS",
            AppError::AccountDisabled => "ACCOUNT_DISABLED",
            AppError::TooManyAttempts { .. } => "TOO_MANY_ATTEMPTS",
            AppError::InvalidRefreshToken => "INVALID_REFRESH_TOKEN",
            AppError::RefreshTokenReused => "REFRESH_TOKEN_REUSED",
            AppError::NotFound => "NOT_FOUND",
            AppError::BadUserInput(_) => "BAD_USER_INPUT",
            AppError::ServiceUnavailable(_) => "SERVICE_UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The message with its internal cause, for operators (the CLI, logs);
    /// never for a client.
    pub fn detail(&self) -> String {
        match self {
            AppError::Internal(cause) | AppError::ServiceUnavailable(cause) => {
                format!("{self}: {cause}")
            }
            _ => self.to_string(),
        }
    }

    /// An internal error from any of the causes above.
    pub fn internal(cause: impl Into<InternalCause>) -> Self {
        AppError::Internal(cause.into())
    }
}

impl From<DieselError> for AppError {
    fn from(error: DieselError) -> Self {
        // A lost connection means the database went away mid-request.
        if crate::db::is_connection_error(&error) {
            AppError::ServiceUnavailable(error.into())
        } else {
            AppError::Internal(error.into())
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        // Every pool failure (timeout, refused connection) means "cannot reach
        // the database now"; the request has not touched anything yet.
        AppError::ServiceUnavailable(InternalCause::Pool(error.to_string()))
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
            }
            AppError::ServiceUnavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
            }
            _ => {}
        }
        async_graphql::Error::new(self.to_string()).extend_with(|_, extensions| {
            extensions.set("code", self.code());
            if let AppError::TooManyAttempts { retry_after_secs } = self {
                extensions.set("retryAfter", *retry_after_secs);
            }
        })
    }
}

/// Turns service results into resolver results with the contract's code.
///
/// Resolvers use this instead of `?`: async-graphql converts any `Display`
/// type into an error, and that path would drop `extensions.code`.
pub trait GraphqlResult<T> {
    fn graphql(self) -> async_graphql::Result<T>;
}

impl<T> GraphqlResult<T> for Result<T, AppError> {
    fn graphql(self) -> async_graphql::Result<T> {
        self.map_err(|error| error.extend())
    }
}
