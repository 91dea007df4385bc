//! authql's cookies: the refresh cookie `authql_refresh` (how it is set,
//! cleared and read) and the device cookie `authql_device` (set at every
//! sign-in, see `core::devices::known`).
//!
//! Written by hand rather than with the `cookie` crate: authql sets two
//! cookies with fixed attributes and reads two names from `Cookie`, and
//! both values are URL-safe base64, so no value ever needs encoding.

use axum::http::{HeaderMap, HeaderValue, header};

pub use crate::config::browser::{CookieSettings, SameSite, is_valid_domain};

/// The cookie's name.
pub const COOKIE_NAME: &str = "authql_refresh";
/// The cookie is sent to `/graphql` only, never to the other routes.
pub const COOKIE_PATH: &str = "/graphql";
/// The device cookie's name.
pub const DEVICE_COOKIE_NAME: &str = "authql_device";

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

    /// `Set-Cookie` for the device cookie holding `device_id` for
    /// `max_age_secs`: `SameSite=Lax` and host-only whatever the refresh
    /// cookie's settings (the contract fixes them), `Secure` as
    /// `COOKIE_SECURE`.
    pub fn set_device(&self, device_id: &str, max_age_secs: i64) -> Option<HeaderValue> {
        let mut text = format!(
            "{DEVICE_COOKIE_NAME}={device_id}; Path={COOKIE_PATH}; Max-Age={}; HttpOnly",
            max_age_secs.max(0)
        );
        if self.secure {
            text.push_str("; Secure");
        }
        text.push_str("; SameSite=Lax");
        HeaderValue::from_str(&text).ok()
    }
}

/// The refresh cookie's value, when the request carries one. Several
/// `Cookie` headers (HTTP/2 splits them) read as one list; the first
/// `authql_refresh` wins, as browsers send the most specific path first.
pub fn read(headers: &HeaderMap) -> Option<String> {
    read_named(headers, COOKIE_NAME)
}

/// The device cookie's value, when the request carries one (read as
/// [`read`] reads the refresh cookie); its shape is for the caller to judge.
pub fn read_device(headers: &HeaderMap) -> Option<String> {
    read_named(headers, DEVICE_COOKIE_NAME)
}

fn read_named(headers: &HeaderMap, cookie_name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
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

    #[test]
    fn the_device_cookie_has_its_own_name_and_fixed_attributes() {
        let settings = CookieSettings {
            secure: false,
            same_site: SameSite::Strict,
            domain: Some("example.com".into()),
        };
        assert_eq!(
            settings.set_device("dev", 34_560_000).expect("header"),
            "authql_device=dev; Path=/graphql; Max-Age=34560000; HttpOnly; SameSite=Lax"
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "authql_refresh=tok; authql_device=dev"
                .parse()
                .expect("value"),
        );
        assert_eq!(read_device(&headers).as_deref(), Some("dev"));
        assert_eq!(read(&headers).as_deref(), Some("tok"));
    }
}
