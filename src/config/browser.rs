//! What browsers need: `CORS_ALLOWED_ORIGINS` (origins in one normal form),
//! `CORS_ALLOWED_HEADERS` (request headers their pages may send), the refresh cookie's attributes (`COOKIE_SECURE`, `COOKIE_SAMESITE`,
//! `COOKIE_DOMAIN`) and `GRAPHIQL_ASSETS_DIR`.
//!
//! Origins are compared in one normal form: scheme and host in lower case,
//! the port always explicit (80 for `http`, 443 for `https` when omitted), so
//! `https://App.example.com` and `https://app.example.com:443` are one origin.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::{ConfigError, Vars};

/// The browser settings of the configuration.
#[derive(Clone, Debug, Default)]
pub struct BrowserSettings {
    /// `CORS_ALLOWED_ORIGINS`: origins whose pages may call `/graphql` with
    /// credentials.
    pub allowed_origins: Vec<Origin>,
    /// `CORS_ALLOWED_HEADERS`: request headers those pages may send besides
    /// `Content-Type` and `Authorization` (tracing and client-awareness
    /// headers), in lower case.
    pub allowed_headers: Vec<axum::http::HeaderName>,
    /// `COOKIE_SECURE`, `COOKIE_SAMESITE`, `COOKIE_DOMAIN`.
    pub cookie: CookieSettings,
    /// `GRAPHIQL_ASSETS_DIR`: GraphiQL's files on disk instead of the CDN.
    pub graphiql_assets_dir: Option<PathBuf>,
}

/// The `SameSite` attribute (`COOKIE_SAMESITE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
    None,
}

impl FromStr for SameSite {
    type Err = String;

    fn from_str(text: &str) -> Result<SameSite, String> {
        match text.to_ascii_lowercase().as_str() {
            "lax" => Ok(SameSite::Lax),
            "strict" => Ok(SameSite::Strict),
            "none" => Ok(SameSite::None),
            _ => Err(format!("expected Lax, Strict or None, got {text:?}")),
        }
    }
}

impl fmt::Display for SameSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
            SameSite::None => "None",
        })
    }
}

/// The cookie's attributes, from `COOKIE_SECURE`, `COOKIE_SAMESITE` and
/// `COOKIE_DOMAIN`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieSettings {
    pub secure: bool,
    pub same_site: SameSite,
    /// None: host-only.
    pub domain: Option<String>,
}

impl Default for CookieSettings {
    fn default() -> Self {
        CookieSettings {
            secure: true,
            same_site: SameSite::Lax,
            domain: None,
        }
    }
}

/// Whether a `COOKIE_DOMAIN` value can go into a header as it is.
pub fn is_valid_domain(domain: &str) -> bool {
    let domain = domain.strip_prefix('.').unwrap_or(domain);
    !domain.is_empty()
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// One origin in normal form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub(crate) scheme: Scheme,
    pub(crate) host: String,
    pub(crate) port: u16,
}

/// The schemes a browser origin can have that authql is reached over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// Why a text is not an origin.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("{0:?} is not an origin: expected http://HOST[:PORT] or https://HOST[:PORT]")]
    Shape(String),
    #[error("{0:?} has a path, query or user part; an origin is scheme, host and port only")]
    NotBare(String),
}

impl FromStr for Origin {
    type Err = OriginError;

    fn from_str(text: &str) -> Result<Origin, OriginError> {
        let shape = || OriginError::Shape(text.to_owned());
        let (scheme, rest) = text.split_once("://").ok_or_else(shape)?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(shape()),
        };
        // One trailing slash is how people paste origins; anything more is a URL.
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@']) {
            return Err(OriginError::NotBare(text.to_owned()));
        }
        let (host, port) = host_and_port(rest, scheme).ok_or_else(shape)?;
        Ok(Origin { scheme, host, port })
    }
}

/// Splits `host[:port]` (an IPv6 host in brackets), lower-casing the host.
pub(crate) fn host_and_port(authority: &str, scheme: Scheme) -> Option<(String, u16)> {
    let (host, port) = match authority.rsplit_once(':') {
        // "[::1]" alone: the colon is inside the brackets.
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (authority, None),
    };
    let port = match port {
        None => scheme.default_port(),
        Some(port) => port.parse().ok().filter(|port| *port != 0)?,
    };
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':'));
    valid.then(|| (host.to_ascii_lowercase(), port))
}

impl fmt::Display for Origin {
    /// As a browser serializes it: the default port left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)?;
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// `CORS_ALLOWED_HEADERS`: comma-separated header names, each once, without
/// the two that are always allowed.
fn allowed_headers(listed: String) -> Result<Vec<axum::http::HeaderName>, ConfigError> {
    use axum::http::{HeaderName, header};
    let mut names: Vec<HeaderName> = Vec::new();
    for name in listed
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| ConfigError {
            variable: "CORS_ALLOWED_HEADERS",
            problem: format!("{name:?} is not a header name"),
        })?;
        let always = name == header::CONTENT_TYPE || name == header::AUTHORIZATION;
        if !always && !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

/// `CORS_ALLOWED_ORIGINS`, `CORS_ALLOWED_HEADERS`, the cookie's attributes
/// and `GRAPHIQL_ASSETS_DIR`.
pub(super) fn browser_settings<F: Fn(&str) -> Option<String>>(
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
    let allowed_headers = allowed_headers(vars.raw("CORS_ALLOWED_HEADERS").unwrap_or_default())?;
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
    if let Some(domain) = cookie.domain.as_deref().filter(|d| !is_valid_domain(d)) {
        return Err(ConfigError {
            variable: "COOKIE_DOMAIN",
            problem: format!("{domain:?} is not a domain name"),
        });
    }
    Ok(BrowserSettings {
        allowed_origins,
        allowed_headers,
        cookie,
        graphiql_assets_dir: vars.raw("GRAPHIQL_ASSETS_DIR").map(|d| d.trim().into()),
    })
}
