//! `App`: the domain's services (configuration, pool, keys, hasher, session
//! checks, metrics, clock), built once and shared behind an `Arc`. What only
//! transport needs (detached requests, sockets, GraphiQL's files) is held by
//! `api::http::HttpState`.

use std::sync::Arc;

use crate::config::Config;
use crate::core::clock::{Clock, SystemClock};
use crate::core::credentials::password::Passwords;
use crate::core::keys::Keys;
use crate::core::keys::signing_key::KeyError;
use crate::core::mail::Mailer;
use crate::core::metrics::Metrics;
use crate::core::sessions::checks::SessionChecks;
use crate::core::tokens::access_token::AccessTokens;
use crate::core::tokens::refresh_token::RefreshTokens;
use crate::store::{DbPool, PoolBuildError};

/// The shared state of a running service.
pub struct App {
    pub config: Config,
    pub pool: DbPool,
    /// Bearer-token session lookups, coalesced into batches.
    pub(crate) session_checks: SessionChecks,
    pub access_tokens: AccessTokens,
    pub refresh_tokens: RefreshTokens,
    /// The public keys that verify access tokens (RFC 7517 JSON), rendered
    /// once; None with `HS256`.
    pub jwks: Option<String>,
    pub passwords: Passwords,
    /// At most two password checks in flight per client address.
    pub(crate) address_gates: crate::core::credentials::address_gates::AddressGates,
    pub metrics: Metrics,
    /// Seals queued mails and wakes this replica's sender.
    pub mail: Mailer,
    /// Seals TOTP secrets at rest (see `crate::core::factors`).
    pub(crate) totp_seal: crate::core::keys::sealing::Sealer,
    /// The passkeys' relying party and the key that seals their ceremonies.
    pub(crate) passkeys: crate::core::passkeys::RelyingParty,
    /// Token writes made after the answer (see `accounts::deferred`).
    pub(crate) deferred_writes: crate::core::accounts::deferred::DeferredWrites,
    /// Where every service reads "now"; tests move it.
    pub clock: Arc<dyn Clock>,
    /// This replica's copy of the user directory, for admins' searches.
    pub(crate) directory: crate::core::admin::directory_copy::DirectoryCopy,
}

/// Why the service state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Pool(#[from] PoolBuildError),
    #[error("cannot start the password hashing threads: {0}")]
    HashThreads(std::io::Error),
    #[error("the access-token keys: {0}")]
    Keys(#[from] KeyError),
}

/// How handlers hold the [`App`].
pub type AppState = Arc<App>;

impl App {
    /// Builds the state with the keys [`Keys::load`] found for `config`.
    pub fn new(config: Config, keys: &Keys) -> Result<App, StartError> {
        App::with_clock(config, keys, Arc::new(SystemClock))
    }

    /// Builds the state on a clock of the caller's.
    pub fn with_clock(
        config: Config,
        keys: &Keys,
        clock: Arc<dyn Clock>,
    ) -> Result<App, StartError> {
        let pool = DbPool::new(&config.database_url, config.pool)?;
        Ok(App {
            access_tokens: AccessTokens::new(
                &keys.access,
                &config.jwt_issuer,
                &config.jwt_audience,
                config.access_token_ttl,
            )?,
            jwks: keys.jwks_document(),
            refresh_tokens: RefreshTokens::new(&keys.jwt_secret),
            mail: Mailer::new(&keys.jwt_secret),
            totp_seal: crate::core::factors::totp::sealer(&keys.jwt_secret),
            passkeys: crate::core::passkeys::RelyingParty::new(&config, &keys.jwt_secret),
            deferred_writes: Default::default(),
            directory: Default::default(),
            passwords: Passwords::new(config.argon2_cost, config.password_hash_concurrency)
                .map_err(StartError::HashThreads)?,
            address_gates: Default::default(),
            metrics: Metrics::new(),
            clock,
            session_checks: SessionChecks::new(pool.clone()),
            pool,
            config,
        })
    }
}
