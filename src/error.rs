//! `AppError`: what services return and the only error type that reaches
//! async-graphql. Each user-facing variant is one [`Code`] of the contract.
//! Internal variants keep their cause for the log; the client sees a generic
//! message, so no SQL, driver text or path ever leaves the process.
//!
//! Resolvers turn an `AppError` into a GraphQL error with async-graphql's own
//! `ResultExt::extend`; the error carries its `Code` as its typed source, and
//! the HTTP layer writes `extensions.code` from it for every error in one pass
//! (`crate::api::graphql::error_codes::finish`), which is also where errors that
//! async-graphql raises itself get theirs.
//!
//! This file is the floor: it knows no layer. How a storage failure becomes
//! an `AppError` is written in `store::failures`, how an `AppError` becomes
//! a GraphQL error in `api::graphql::error_codes`.

use diesel::result::Error as DieselError;

/// The contract's error codes: every value `extensions.code` can take.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::IntoStaticStr,
    strum::EnumIter,
    strum::EnumString,
    strum::Display,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    Unauthenticated,
    TokenExpired,
    SessionRevoked,
    InvalidCredentials,
    AccountDisabled,
    TooManyAttempts,
    InvalidRefreshToken,
    RefreshTokenReused,
    NotFound,
    BadUserInput,
    GraphqlParseFailed,
    GraphqlValidationFailed,
    ServiceUnavailable,
    InternalServerError,
    Forbidden,
    NameTaken,
    InvalidToken,
    EmailNotVerified,
    ReauthenticationRequired,
    MfaRequired,
    PersistedQueryNotFound,
    PasswordResetRequired,
}

impl Code {
    /// The code as the wire and the metrics write it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// How a request or an operation ended, for metrics labels and log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed(Code),
}

impl Outcome {
    /// `OK`, or the error's code.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "OK",
            Outcome::Failed(code) => code.as_str(),
        }
    }

    /// Every outcome, for registering metrics at zero.
    pub fn all() -> impl Iterator<Item = Outcome> {
        use strum::IntoEnumIterator;
        std::iter::once(Outcome::Ok).chain(Code::iter().map(Outcome::Failed))
    }
}

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
    /// A wrong second factor: the contract's `INVALID_CREDENTIALS`, with a
    /// message about the code rather than the password.
    #[error("this code is wrong, expired or already used")]
    InvalidCode,
    /// A passkey answer that does not verify (an unknown credential, a bad
    /// signature, another origin, a counter that went backwards): the
    /// contract's `INVALID_CREDENTIALS`.
    #[error("this passkey could not be verified")]
    InvalidPasskey,
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
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("this user name is taken")]
    NameTaken,
    #[error("this link is invalid, used or expired")]
    InvalidToken,
    #[error(
        "this account's email address is not verified yet: follow the link of the verification mail"
    )]
    EmailNotVerified,
    #[error("this operation needs a recent sign-in: sign in again (or re-authenticate) and retry")]
    ReauthenticationRequired { required_aal: u8, max_age_secs: u64 },
    /// The right password of an account with a second factor: no session
    /// yet; `completeLogin` with this token and a code opens it.
    #[error("a second factor is needed: call completeLogin with extensions.mfaToken and a code")]
    MfaRequired {
        mfa_token: crate::secret::Secret,
        factors: Vec<&'static str>,
    },
    /// The right password of an account whose sign-in was reported as not
    /// the user's (`reportSignIn`): only a reset lifts it.
    #[error(
        "a sign-in to this account was reported as not yours: reset the password (requestPasswordReset) before signing in"
    )]
    PasswordResetRequired,
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
    #[error("a coalesced session check: {0}")]
    SharedLookup(String),
}

impl AppError {
    /// The contract's code for this error.
    pub fn code(&self) -> Code {
        match self {
            AppError::Unauthenticated => Code::Unauthenticated,
            AppError::TokenExpired => Code::TokenExpired,
            AppError::SessionRevoked => Code::SessionRevoked,
            AppError::InvalidCredentials | AppError::InvalidCode | AppError::InvalidPasskey => {
                Code::InvalidCredentials
            }
            AppError::AccountDisabled => Code::AccountDisabled,
            AppError::TooManyAttempts { .. } => Code::TooManyAttempts,
            AppError::InvalidRefreshToken => Code::InvalidRefreshToken,
            AppError::RefreshTokenReused => Code::RefreshTokenReused,
            AppError::NotFound => Code::NotFound,
            AppError::BadUserInput(_) => Code::BadUserInput,
            AppError::ServiceUnavailable(_) => Code::ServiceUnavailable,
            AppError::Internal(_) => Code::InternalServerError,
            AppError::Forbidden(_) => Code::Forbidden,
            AppError::NameTaken => Code::NameTaken,
            AppError::InvalidToken => Code::InvalidToken,
            AppError::EmailNotVerified => Code::EmailNotVerified,
            AppError::ReauthenticationRequired { .. } => Code::ReauthenticationRequired,
            AppError::MfaRequired { .. } => Code::MfaRequired,
            AppError::PasswordResetRequired => Code::PasswordResetRequired,
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
