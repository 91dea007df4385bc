//! `App`: everything a request needs (configuration, pool, keys, hasher),
//! built once and shared behind an `Arc`.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::password::Passwords;
use crate::auth::tokens::{AccessTokens, RefreshTokens};
use crate::config::Config;
use crate::db::{DbPool, PoolBuildError, PoolSettings};
use crate::metrics::Metrics;
use crate::secret::Secret;

/// The shared state of a running service.
pub struct App {
    pub config: Config,
    pub pool: DbPool,
    pub access_tokens: AccessTokens,
    pub refresh_tokens: RefreshTokens,
    pub passwords: Passwords,
    pub metrics: Metrics,
}

/// Why the service state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Pool(#[from] PoolBuildError),
    #[error("cannot start the password hashing threads: {0}")]
    HashThreads(std::io::Error),
}

/// How handlers hold the [`App`].
pub type AppState = Arc<App>;

impl App {
    /// Builds the state; `jwt_secret` is the resolved `JWT_SECRET`.
    pub fn new(config: Config, jwt_secret: &Secret) -> Result<App, StartError> {
        let pool = DbPool::new(
            &config.database_url,
            PoolSettings {
                max_size: config.db_pool_size,
                wait_timeout: Duration::from_secs(config.db_pool_timeout_secs),
                query_timeout: Duration::from_secs(config.db_query_timeout_secs),
            },
        )?;
        Ok(App {
            access_tokens: AccessTokens::new(
                jwt_secret,
                &config.jwt_issuer,
                &config.jwt_audience,
                config.access_token_ttl_secs,
            ),
            refresh_tokens: RefreshTokens::new(jwt_secret),
            passwords: Passwords::new(config.argon2_cost, config.password_hash_concurrency)
                .map_err(StartError::HashThreads)?,
            metrics: Metrics::new(),
            pool,
            config,
        })
    }
}
