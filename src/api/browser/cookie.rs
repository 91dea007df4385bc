//! The refresh cookie `authql_refresh`: how it is set, cleared and read.
//!
//! Written by hand rather than with the `cookie` crate: authql sets one
//! cookie with fixed attributes and reads one name from `Cookie`, and a
//! refresh token is URL-safe base64, so no value ever needs encoding.

use axum::http::{HeaderMap, HeaderValue, header};

pub use crate::config::browser::{CookieSettings, SameSite, is_valid_domain};

/// The cookie's name.
pub const COOKIE_NAME: &str = "authql_refresh";
/// The cookie is sent to `/graphql` only, never to the other routes.
pub const COOKIE_PATH: &str = "/graphql";

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
