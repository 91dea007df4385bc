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
//! `CORS_ALLOWED_ORIGINS`, `COOKIE_SECURE`, `COOKIE_SAMESITE`, `COOKIE_DOMAIN`,
//! `GRAPHIQL_ASSETS_DIR`, `RUST_LOG` (read by the log setup in `main`).
//!
//! Ours: `LOGIN_IP_MAX_FAILURES`, `LOGIN_IP_LOCKOUT_SECS`, `LOG_FORMAT`,
//! `SESSION_RETENTION_DAYS`, `PRUNE_INTERVAL_SECS`, `SHUTDOWN_TIMEOUT_SECS`, `JWT_SECRET_FILE`,
//! `DB_POOL_SIZE`, `DB_POOL_TIMEOUT_SECS`, `DB_QUERY_TIMEOUT_SECS`,
//! `ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`, `ARGON2_PARALLELISM`,
//! `PASSWORD_HASH_CONCURRENCY`, `PASSWORD_CHECK_WAIT_MS`, `JWKS_MAX_AGE_SECS`, `HTTP_IDLE_TIMEOUT_SECS`,
//! `HTTP_REQUEST_TIMEOUT_SECS`, `SESSION_EVENTS_POLL_MS`, `MAX_SOCKETS_PER_USER`,
//! `WS_INIT_TIMEOUT_SECS`, `WS_MAX_MESSAGES_PER_SEC`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use chrono::TimeDelta;
use ipnet::IpNet;

use crate::api::browser::BrowserSettings;
use crate::api::browser::cookie::{self, CookieSettings, SameSite};
use crate::api::browser::origin::Origin;
use crate::core::keys::signing_key::SigningAlgorithm;
use crate::core::secret::Secret;
use crate::store::PoolSettings;

/// Where the data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An embedded SQLite file, created on first use.
    Sqlite(PathBuf),
    /// A MySQL or MariaDB server; the whole `mysql://` URL.
    Mysql(String),
}

/// The MySQL driver moves a connection to a loopback host onto the server's
/// Unix socket unless told not to (`prefer_socket`), which would quietly go
/// around a proxy or load balancer listening on loopback. A host given as
/// TCP stays TCP, unless the URL itself asks for the socket.
fn tcp_as_written(url: &str) -> String {
    let asks_itself = url.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| pair.starts_with("prefer_socket="))
    });
    if asks_itself {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&prefer_socket=false")
    } else {
        format!("{url}?prefer_socket=false")
    }
}

impl fmt::Debug for DatabaseUrl {
    // The MySQL URL may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Mysql(_) => f.write_str("mysql://…"),
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() || path.contains(":memory:") {
                return Err("sqlite:// needs a file path (an in-memory database is not shared between connections)".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some(rest) = url.strip_prefix("mysql://") {
            let database = rest.rsplit_once('/').map(|(_, db)| db).unwrap_or("");
            let database = database.split('?').next().unwrap_or("");
            if database.is_empty() {
                return Err(
                    "mysql:// URL needs a database name: mysql://USER:PASS@HOST:PORT/DB".into(),
                );
            }
            return Ok(DatabaseUrl::Mysql(tcp_as_written(url)));
        }
        Err("expected sqlite://PATH or mysql://USER:PASS@HOST:PORT/DB".into())
    }
}

/// Where the HS256 key comes from.
#[derive(Clone, Debug)]
pub enum JwtSecretSource {
    /// `JWT_SECRET`, already checked to be 32 bytes or more.
    Given(Secret),
    /// Generated once and kept in this file (`JWT_SECRET_FILE`).
    GeneratedFile(PathBuf),
}

/// Where the private key of `EdDSA`/`ES256` comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrivateKeySource {
    /// `JWT_PRIVATE_KEY_FILE`: it must exist.
    Given(PathBuf),
    /// Generated on the first start and kept in this file.
    GeneratedFile(PathBuf),
}

/// How access tokens are signed.
#[derive(Clone, Debug)]
pub struct AccessSigning {
    /// `JWT_ALGORITHM`, pinned: tokens of any other are refused.
    pub algorithm: SigningAlgorithm,
    /// Used by `EdDSA` and `ES256` only.
    pub private_key: PrivateKeySource,
    /// PEM public keys that still verify and are still published.
    pub previous_public_keys: Vec<PathBuf>,
    /// How long others may cache `/.well-known/jwks.json`.
    pub jwks_max_age: Duration,
}

/// How long clients may take, and how many may be connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// A whole request head, from its first byte (from the accept for a
    /// connection's first request).
    pub header_timeout: Duration,
    /// A keep-alive connection between a response and the next request.
    pub idle_timeout: Duration,
    /// The whole request body, from the end of the head.
    pub body_timeout: Duration,
    /// A whole request, head to answer; past it the answer is 503.
    pub request_timeout: Duration,
    /// Open client connections at most; more wait to be accepted.
    pub max_connections: usize,
}

/// Argon2id cost, never below OWASP's minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Argon2Cost {
    /// OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    pub const OWASP_MINIMUM: Argon2Cost = Argon2Cost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
}

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
    pub live: crate::core::live::LiveSettings,
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
            Some(secret) => JwtSecretSource::Given(Secret::new(secret)),
            None => JwtSecretSource::GeneratedFile(
                vars.parse("JWT_SECRET_FILE", "authql-jwt-secret".into())?,
            ),
        };
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
                crate::core::input::PASSWORD_MAX_BYTES,
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
            browsers: browser_settings(&vars)?,
            live: crate::core::live::LiveSettings {
                // At most a second, so that an event reaches its sockets
                // within the contract's 2 s.
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
        };
        Ok(config)
    }
}

/// `CORS_ALLOWED_ORIGINS`, the cookie's attributes and `GRAPHIQL_ASSETS_DIR`.
fn browser_settings<F: Fn(&str) -> Option<String>>(
    vars: &Vars<'_, F>,
) -> Result<BrowserSettings, ConfigError> {
    let allowed_origins = vars
        .raw("CORS_ALLOWED_ORIGINS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            origin.parse::<Origin>().map_err(|e| ConfigError {
                variable: "CORS_ALLOWED_ORIGINS",
                problem: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cookie = CookieSettings {
        secure: vars.parse("COOKIE_SECURE", true)?,
        same_site: vars.parse("COOKIE_SAMESITE", SameSite::Lax)?,
        domain: vars.raw("COOKIE_DOMAIN").map(|d| d.trim().to_owned()),
    };
    if cookie.same_site == SameSite::None && !cookie.secure {
        return Err(ConfigError {
            variable: "COOKIE_SAMESITE",
            problem: "None requires COOKIE_SECURE=true (browsers drop such cookies)".into(),
        });
    }
    if let Some(domain) = cookie
        .domain
        .as_deref()
        .filter(|d| !cookie::is_valid_domain(d))
    {
        return Err(ConfigError {
            variable: "COOKIE_DOMAIN",
            problem: format!("{domain:?} is not a domain name"),
        });
    }
    Ok(BrowserSettings {
        allowed_origins,
        cookie,
        graphiql_assets_dir: vars.raw("GRAPHIQL_ASSETS_DIR").map(|d| d.trim().into()),
    })
}

/// Typed reads of variables, each failure naming its variable.
struct Vars<'a, F: Fn(&str) -> Option<String>>(&'a F);

impl<F: Fn(&str) -> Option<String>> Vars<'_, F> {
    /// The value, or None when unset or blank.
    fn raw(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn parse<T: FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.raw(name) {
            None => Ok(default),
            Some(value) => value.trim().parse().map_err(|e: T::Err| ConfigError {
                variable: name,
                problem: e.to_string(),
            }),
        }
    }

    fn at_least<T>(&self, name: &'static str, minimum: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
        T::Err: fmt::Display,
    {
        let value = self.parse(name, minimum)?;
        if value < minimum {
            return Err(ConfigError {
                variable: name,
                problem: format!("must be at least {minimum}, got {value}"),
            });
        }
        Ok(value)
    }

    fn positive<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Display + Copy + From<u8>,
        T::Err: fmt::Display,
    {
        let value = self.parse(name, default)?;
        if value < T::from(1) {
            return Err(ConfigError {
                variable: name,
                problem: "must be 1 or more".into(),
            });
        }
        Ok(value)
    }

    /// A whole number from `minimum` to `maximum`.
    fn bounded<T>(
        &self,
        name: &'static str,
        default: T,
        minimum: T,
        maximum: T,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + fmt::Display + Copy,
        T::Err: fmt::Display,
    {
        let value = self.parse(name, default)?;
        if value < minimum || value > maximum {
            return Err(ConfigError {
                variable: name,
                problem: format!("must be {minimum} to {maximum}, got {value}"),
            });
        }
        Ok(value)
    }

    /// Whole seconds from `minimum` up to a century (larger values would
    /// overflow date arithmetic and mean nothing), for date arithmetic.
    fn delta(
        &self,
        name: &'static str,
        default: u32,
        minimum: u32,
    ) -> Result<TimeDelta, ConfigError> {
        let secs = self.bounded(name, default, minimum, MAX_DAYS * 24 * 3600)?;
        Ok(TimeDelta::seconds(i64::from(secs)))
    }

    /// Whole seconds from `minimum` up to a century, for timers.
    fn timer(
        &self,
        name: &'static str,
        default: u32,
        minimum: u32,
    ) -> Result<Duration, ConfigError> {
        let secs = self.bounded(name, default, minimum, MAX_DAYS * 24 * 3600)?;
        Ok(Duration::from_secs(u64::from(secs)))
    }

    fn non_empty(&self, name: &'static str, default: &str) -> Result<String, ConfigError> {
        Ok(self.raw(name).unwrap_or_else(|| default.to_owned()))
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
}
