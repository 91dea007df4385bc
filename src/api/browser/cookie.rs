//! The refresh cookie `authql_refresh`: how it is set, cleared and read.
//!
//! Written by hand rather than with the `cookie` crate: authql sets one
//! cookie with fixed attributes and reads one name from `Cookie`, and a
//! refresh token is URL-safe base64, so no value ever needs encoding.

use std::fmt;
use std::str::FromStr;

use axum::http::{HeaderMap, HeaderValue, header};

/// The cookie's name.
pub const COOKIE_NAME: &str = "authql_refresh";
/// The cookie is sent to `/graphql` only, never to the other routes.
pub const COOKIE_PATH: &str = "/graphql";

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

impl CookieSettings {
    /// `Set-Cookie` that holds `token` for `max_age_secs` seconds.
    pub fn set(&self, token: &str, max_age_secs: i64) -> Option<HeaderValue> {
        self.header(token, max_age_secs.max(0))
    }

    /// `Set-Cookie` that makes the browser drop the cookie.
    pub fn clear(&self) -> Option<HeaderValue> {
        self.header("", 0)
    }

    fn header(&self, value: &str, max_age_secs: i64) -> Option<HeaderValue> {
        let mut text =
            format!("{COOKIE_NAME}={value}; Path={COOKIE_PATH}; Max-Age={max_age_secs}; HttpOnly");
        if self.secure {
            text.push_str("; Secure");
        }
        text.push_str("; SameSite=");
        text.push_str(&self.same_site.to_string());
        if let Some(domain) = &self.domain {
            text.push_str("; Domain=");
            text.push_str(domain);
        }
        // Only fails for bytes a header cannot hold, which neither a refresh
        // token nor a checked domain has.
        HeaderValue::from_str(&text).ok()
    }
}

/// The refresh cookie's value, when the request carries one. Several
/// `Cookie` headers (HTTP/2 splits them) read as one list; the first
/// `authql_refresh` wins, as browsers send the most specific path first.
pub fn read(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// Whether a `COOKIE_DOMAIN` value can go into a header as it is.
pub fn is_valid_domain(domain: &str) -> bool {
    let domain = domain.strip_prefix('.').unwrap_or(domain);
    !domain.is_empty()
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_follow_the_settings() {
        let settings = CookieSettings::default();
        assert_eq!(
            settings.set("abc", 60).expect("header"),
            "authql_refresh=abc; Path=/graphql; Max-Age=60; HttpOnly; Secure; SameSite=Lax"
        );
        let settings = CookieSettings {
            secure: false,
            same_site: SameSite::Strict,
            domain: Some("example.com".into()),
        };
        assert_eq!(
            settings.clear().expect("header"),
            "authql_refresh=; Path=/graphql; Max-Age=0; HttpOnly; SameSite=Strict; Domain=example.com"
        );
    }

    #[test]
    fn reads_its_own_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            "theme=dark; authql_refresh=tok1".parse().expect("value"),
        );
        headers.append(
            header::COOKIE,
            "authql_refresh=tok2".parse().expect("value"),
        );
        assert_eq!(read(&headers).as_deref(), Some("tok1"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "authql_refresh=; other=1".parse().expect("value"),
        );
        assert_eq!(read(&headers), None);
        assert_eq!(read(&HeaderMap::new()), None);
    }
}
