//! Configuration: every variable of the contract (and a few of our own), read
//! from the environment and `.env`, validated once at start.
//!
//! Contract variables: `DATABASE_URL`, `LISTEN_ADDR`, `JWT_SECRET`, `JWT_ISSUER`,
//! `JWT_AUDIENCE`, `ACCESS_TOKEN_TTL_SECS`, `REFRESH_TOKEN_TTL_SECS`,
//! `SESSION_MAX_LIFETIME_SECS`, `REFRESH_REUSE_GRACE_SECS`, `LOGIN_MAX_FAILURES`,
//! `LOGIN_LOCKOUT_SECS`, `TRUSTED_PROXIES`, `GRAPHQL_INTROSPECTION`,
//! `PASSWORD_MIN_LENGTH`, `MAX_SESSIONS_PER_USER`, `JWT_ALGORITHM`,
//! `JWT_PRIVATE_KEY_FILE`, `JWT_PREVIOUS_PUBLIC_KEY_FILES`,
//! `HTTP_HEADER_TIMEOUT_SECS`, `HTTP_BODY_TIMEOUT_SECS`, `HTTP_MAX_CONNECTIONS`,
//! `CORS_ALLOWED_ORIGINS`, `CORS_ALLOWED_HEADERS`, `COOKIE_SECURE`, `COOKIE_SAMESITE`, `COOKIE_DOMAIN`,
//! `GRAPHIQL_ASSETS_DIR`, `SIGNUP_MODE`, `PUBLIC_APP_URL`, `SMTP_URL`, `MAIL_FROM`,
//! `RUST_LOG` (read by the log setup in `main`).
//!
//! Ours: `LOGIN_IP_MAX_FAILURES`, `LOGIN_IP_LOCKOUT_SECS`, `LOG_FORMAT`,
//! `SESSION_RETENTION_DAYS`, `PRUNE_INTERVAL_SECS`, `SHUTDOWN_TIMEOUT_SECS`, `JWT_SECRET_FILE`,
//! `DB_POOL_SIZE`, `DB_POOL_TIMEOUT_SECS`, `DB_QUERY_TIMEOUT_SECS`,
//! `ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`, `ARGON2_PARALLELISM`,
//! `PASSWORD_HASH_CONCURRENCY`, `PASSWORD_CHECK_WAIT_MS`, `JWKS_MAX_AGE_SECS`, `HTTP_IDLE_TIMEOUT_SECS`,
//! `HTTP_REQUEST_TIMEOUT_SECS`, `SESSION_EVENTS_POLL_MS`, `MAX_SOCKETS_PER_USER`,
//! `WS_INIT_TIMEOUT_SECS`, `WS_MAX_MESSAGES_PER_SEC`, `UNVERIFIED_ACCOUNT_DAYS`,
//! `MAIL_RETENTION_DAYS`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use chrono::TimeDelta;
use ipnet::IpNet;

pub mod accounts;
pub mod browser;
pub mod credentials;
pub mod factors;
pub mod http;
pub mod keys;
pub mod live;
pub mod passkeys;
pub mod store;
mod vars;

pub use accounts::{AccountSettings, SignupMode};
pub use browser::BrowserSettings;
pub use credentials::Argon2Cost;
pub use factors::FactorSettings;
pub use http::HttpLimits;
pub use keys::{AccessSigning, JwtSecretSource, PrivateKeySource, SigningAlgorithm};
pub use live::LiveSettings;
pub use store::{DatabaseUrl, PoolSettings};
use vars::Vars;

use crate::secret::Secret;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value.to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err("expected text or json".into()),
        }
    }
}

/// The validated configuration. Durations are held as the types the code
/// computes with: `TimeDelta` for date arithmetic, `Duration` for timers.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub listen_addr: SocketAddr,
    pub http: HttpLimits,
    pub jwt_secret: JwtSecretSource,
    pub access_signing: AccessSigning,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: TimeDelta,
    pub refresh_token_ttl: TimeDelta,
    pub session_max_lifetime: TimeDelta,
    pub refresh_reuse_grace: TimeDelta,
    pub login_max_failures: u32,
    pub login_lockout: TimeDelta,
    /// Failed logins from one client address, across all user names, before
    /// that address is refused for `login_ip_lockout`.
    pub login_ip_max_failures: u32,
    pub login_ip_lockout: TimeDelta,
    pub trusted_proxies: Vec<IpNet>,
    pub graphql_introspection: bool,
    pub log_format: LogFormat,
    /// Ended or expired sessions are deleted this long after they ended.
    pub session_retention: TimeDelta,
    /// How often the server prunes old rows.
    pub prune_interval: Duration,
    /// How long a shutdown waits for in-flight requests.
    pub shutdown_timeout: Duration,
    /// Pool size, how long a request waits for a connection, and how long
    /// one statement or transaction may take.
    pub pool: PoolSettings,
    pub argon2_cost: Argon2Cost,
    pub password_hash_concurrency: usize,
    /// Longest a password check waits to start (its address's turn, the
    /// throttle's slots and a hashing thread) before it is refused with
    /// `TOO_MANY_ATTEMPTS`; at most the contract's 10 s, lower in tests.
    pub password_check_wait: Duration,
    /// Fewest characters of a new password (`user add`, `user set-password`,
    /// `changePassword`); login does not check it.
    pub password_min_length: usize,
    /// Most open sessions per user; 0 is no limit. The login that would pass
    /// it ends the least recently active one first.
    pub max_sessions_per_user: u32,
    /// CORS, the refresh cookie and GraphiQL's files.
    pub browsers: BrowserSettings,
    /// Live session events: how often a replica reads what changed, and the
    /// bounds of each socket.
    pub live: LiveSettings,
    /// Sign-up, mail and their links.
    pub accounts: AccountSettings,
    /// TOTP's issuer name.
    pub factors: FactorSettings,
    /// The passkeys' relying-party id and origins.
    pub passkeys: passkeys::PasskeySettings,
}

/// A variable that is set to something unusable.
#[derive(Debug, thiserror::Error)]
#[error("invalid {variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl Config {
    /// Reads `.env` (the environment wins over it), then the environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => {
                return Err(ConfigError {
                    variable: ".env",
                    problem: e.to_string(),
                });
            }
        }
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any source of variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let vars = Vars(&lookup);
        let jwt_secret = match vars.raw("JWT_SECRET") {
            Some(secret) if secret.len() < 32 => {
                return Err(ConfigError {
                    variable: "JWT_SECRET",
                    problem: format!("must be 32 bytes or more, got {}", secret.len()),
                });
            }
            Some(secret) => JwtSecretSource::Given(Secret::from(secret)),
            None => JwtSecretSource::GeneratedFile(
                vars.parse("JWT_SECRET_FILE", "authql-jwt-secret".into())?,
            ),
        };
        let browsers = browser::browser_settings(&vars)?;
        let accounts = accounts::account_settings(&vars)?;
        // Their defaults are the app's URL and the CORS origins.
        let passkeys = passkeys::passkey_settings(
            &vars,
            accounts.public_app_url.as_deref(),
            &browsers.allowed_origins,
        )?;
        let config = Config {
            database_url: vars.parse("DATABASE_URL", DatabaseUrl::Sqlite("authql.db".into()))?,
            listen_addr: vars.parse("LISTEN_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080)))?,
            http: HttpLimits {
                header_timeout: vars.timer("HTTP_HEADER_TIMEOUT_SECS", 10, 1)?,
                idle_timeout: vars.timer("HTTP_IDLE_TIMEOUT_SECS", 60, 1)?,
                body_timeout: vars.timer("HTTP_BODY_TIMEOUT_SECS", 10, 1)?,
                request_timeout: vars.timer("HTTP_REQUEST_TIMEOUT_SECS", 30, 1)?,
                max_connections: vars.bounded("HTTP_MAX_CONNECTIONS", 8192, 1, MAX_CONNECTIONS)?,
            },
            jwt_secret,
            access_signing: AccessSigning {
                algorithm: vars.parse("JWT_ALGORITHM", SigningAlgorithm::Hs256)?,
                private_key: match vars.raw("JWT_PRIVATE_KEY_FILE") {
                    Some(path) => PrivateKeySource::Given(path.trim().into()),
                    None => PrivateKeySource::GeneratedFile("authql-jwt-key.pem".into()),
                },
                previous_public_keys: vars
                    .raw("JWT_PREVIOUS_PUBLIC_KEY_FILES")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|path| !path.is_empty())
                    .map(PathBuf::from)
                    .collect(),
                jwks_max_age: vars.timer("JWKS_MAX_AGE_SECS", 300, 0)?,
            },
            jwt_issuer: vars.non_empty("JWT_ISSUER", "authql")?,
            jwt_audience: vars.non_empty("JWT_AUDIENCE", "authql")?,
            access_token_ttl: vars.delta("ACCESS_TOKEN_TTL_SECS", 900, 1)?,
            refresh_token_ttl: vars.delta("REFRESH_TOKEN_TTL_SECS", 2_592_000, 1)?,
            session_max_lifetime: vars.delta("SESSION_MAX_LIFETIME_SECS", 7_776_000, 1)?,
            refresh_reuse_grace: vars.delta("REFRESH_REUSE_GRACE_SECS", 10, 0)?,
            login_max_failures: vars.positive("LOGIN_MAX_FAILURES", 5)?,
            login_lockout: vars.delta("LOGIN_LOCKOUT_SECS", 900, 1)?,
            login_ip_max_failures: vars.positive("LOGIN_IP_MAX_FAILURES", 100)?,
            login_ip_lockout: vars.delta("LOGIN_IP_LOCKOUT_SECS", 900, 1)?,
            trusted_proxies: parse_proxies(vars.raw("TRUSTED_PROXIES").as_deref().unwrap_or(""))?,
            graphql_introspection: vars.parse("GRAPHQL_INTROSPECTION", true)?,
            log_format: vars.parse("LOG_FORMAT", LogFormat::Text)?,
            session_retention: TimeDelta::days(i64::from(vars.bounded::<u32>(
                "SESSION_RETENTION_DAYS",
                30,
                0,
                MAX_DAYS,
            )?)),
            prune_interval: vars.timer("PRUNE_INTERVAL_SECS", 3600, 1)?,
            shutdown_timeout: vars.timer("SHUTDOWN_TIMEOUT_SECS", 30, 1)?,
            pool: PoolSettings {
                max_size: vars.positive("DB_POOL_SIZE", 10)?,
                wait_timeout: vars.timer("DB_POOL_TIMEOUT_SECS", 5, 1)?,
                query_timeout: vars.timer("DB_QUERY_TIMEOUT_SECS", 10, 1)?,
            },
            argon2_cost: Argon2Cost {
                memory_kib: vars
                    .at_least("ARGON2_MEMORY_KIB", Argon2Cost::OWASP_MINIMUM.memory_kib)?,
                iterations: vars
                    .at_least("ARGON2_ITERATIONS", Argon2Cost::OWASP_MINIMUM.iterations)?,
                parallelism: vars
                    .at_least("ARGON2_PARALLELISM", Argon2Cost::OWASP_MINIMUM.parallelism)?,
            },
            password_min_length: vars.bounded(
                "PASSWORD_MIN_LENGTH",
                8,
                1,
                credentials::PASSWORD_MAX_BYTES,
            )?,
            max_sessions_per_user: vars.parse("MAX_SESSIONS_PER_USER", 0)?,
            password_hash_concurrency: vars.positive(
                "PASSWORD_HASH_CONCURRENCY",
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )?,
            password_check_wait: Duration::from_millis(vars.bounded(
                "PASSWORD_CHECK_WAIT_MS",
                10_000,
                1,
                10_000,
            )?),
            browsers,
            live: LiveSettings {
                // At most a second, so that an event reaches its sockets
                // within the contract's 2 s (an expiry, announced late
                // against clock skew, less late the slower the poll: see
                // `core::live::event::expiry_announced_after`).
                poll_interval: Duration::from_millis(vars.bounded(
                    "SESSION_EVENTS_POLL_MS",
                    500,
                    50,
                    1000,
                )?),
                max_sockets_per_user: vars.positive("MAX_SOCKETS_PER_USER", 16)?,
                init_timeout: vars.timer("WS_INIT_TIMEOUT_SECS", 10, 1)?,
                max_messages_per_sec: vars.positive("WS_MAX_MESSAGES_PER_SEC", 20)?,
            },
            accounts,
            factors: factors::factor_settings(&vars)?,
            passkeys,
        };
        Ok(config)
    }
}

/// The most connections a server may hold: tokio's semaphore bound is far
/// above any file limit, this is a sanity bound.
const MAX_CONNECTIONS: usize = 1 << 20;

/// The longest duration accepted, in days: a century.
const MAX_DAYS: u32 = 100 * 366;

fn parse_proxies(list: &str) -> Result<Vec<IpNet>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| ConfigError {
                    variable: "TRUSTED_PROXIES",
                    problem: format!("{entry:?} is neither an IP address nor a CIDR"),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_match_the_contract() {
        let config = config_with(&[]).expect("defaults are valid");
        assert_eq!(config.database_url, DatabaseUrl::Sqlite("authql.db".into()));
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.access_token_ttl, TimeDelta::seconds(900));
        assert_eq!(config.refresh_token_ttl, TimeDelta::days(30));
        assert_eq!(config.session_max_lifetime, TimeDelta::days(90));
        assert_eq!(config.refresh_reuse_grace, TimeDelta::seconds(10));
        assert_eq!(
            (config.login_max_failures, config.login_lockout),
            (5, TimeDelta::seconds(900))
        );
        assert_eq!(config.pool.max_size, 10);
        assert_eq!(config.password_min_length, 8);
        assert_eq!(config.max_sessions_per_user, 0);
        assert_eq!(config.pool.query_timeout, Duration::from_secs(10));
        assert!(config.graphql_introspection);
        assert!(config.trusted_proxies.is_empty());
        assert_eq!(config.argon2_cost, Argon2Cost::OWASP_MINIMUM);
        assert!(matches!(
            config.jwt_secret,
            JwtSecretSource::GeneratedFile(_)
        ));
        assert_eq!(config.access_signing.algorithm, SigningAlgorithm::Hs256);
        let http = config.http;
        assert_eq!(http.header_timeout, Duration::from_secs(10));
        assert_eq!(http.idle_timeout, Duration::from_secs(60));
        assert_eq!(http.body_timeout, Duration::from_secs(10));
        assert_eq!(http.request_timeout, Duration::from_secs(30));
        assert_eq!(http.max_connections, 8192);
        assert_eq!(
            config.access_signing.private_key,
            PrivateKeySource::GeneratedFile("authql-jwt-key.pem".into())
        );
        assert!(config.access_signing.previous_public_keys.is_empty());
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases = [
            ("JWT_SECRET", "too-short"),
            ("DATABASE_URL", "postgres://x/y"),
            ("DATABASE_URL", "mysql://root@localhost:3306"),
            ("LISTEN_ADDR", "nowhere"),
            ("ACCESS_TOKEN_TTL_SECS", "0"),
            ("REFRESH_TOKEN_TTL_SECS", "-5"),
            ("LOGIN_MAX_FAILURES", "many"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, not-an-ip"),
            ("GRAPHQL_INTROSPECTION", "maybe"),
            ("ARGON2_MEMORY_KIB", "1024"),
            ("JWT_ALGORITHM", "RS256"),
            ("HTTP_HEADER_TIMEOUT_SECS", "0"),
            ("HTTP_MAX_CONNECTIONS", "0"),
        ];
        for (variable, value) in cases {
            let error = config_with(&[(variable, value)]).expect_err(variable);
            assert_eq!(error.variable, variable);
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("invalid {variable}: "))
            );
        }
    }

    #[test]
    fn proxies_take_addresses_and_cidrs() {
        let config = config_with(&[("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7,::1")]).unwrap();
        assert_eq!(config.trusted_proxies.len(), 3);
        assert!(
            config.trusted_proxies[1].contains(&"192.168.1.7".parse::<std::net::IpAddr>().unwrap())
        );
    }

    #[test]
    fn cors_allowed_headers_are_header_names_listed_once() {
        let config = config_with(&[(
            "CORS_ALLOWED_HEADERS",
            " traceparent, Sentry-Trace,baggage, traceparent, content-type, ",
        )])
        .expect("valid header names");
        let names: Vec<&str> = config
            .browsers
            .allowed_headers
            .iter()
            .map(|name| name.as_str())
            .collect();
        // Content-Type and Authorization are always allowed: not listed again.
        assert_eq!(names, ["traceparent", "sentry-trace", "baggage"]);
        assert!(
            config_with(&[])
                .expect("defaults")
                .browsers
                .allowed_headers
                .is_empty()
        );
        let refused = config_with(&[("CORS_ALLOWED_HEADERS", "traceparent, x trace")])
            .expect_err("a space is not allowed in a header name");
        assert_eq!(refused.variable, "CORS_ALLOWED_HEADERS");
        assert!(refused.problem.contains("x trace"), "{}", refused.problem);
    }
}
