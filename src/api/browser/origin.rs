//! Web origins (scheme, host, port) as browsers send them in `Origin`, and
//! the rule of which origins may use the refresh cookie.
//!
//! Origins are compared in one normal form: scheme and host in lower case,
//! the port always explicit (80 for `http`, 443 for `https` when omitted), so
//! `https://App.example.com` and `https://app.example.com:443` are one origin.

use axum::http::{HeaderMap, header};

use crate::config::browser::host_and_port;
pub use crate::config::browser::{Origin, OriginError, Scheme};

impl Origin {
    /// The `Origin` header of a request, when it has one that parses
    /// (`Origin: null`, sent by sandboxed pages, does not).
    pub fn of_request(headers: &HeaderMap) -> Option<Result<Origin, OriginError>> {
        let value = headers.get(header::ORIGIN)?;
        Some(
            value
                .to_str()
                .map_err(|_| OriginError::Shape(String::from_utf8_lossy(value.as_bytes()).into()))
                .and_then(str::parse),
        )
    }

    /// The origin the request was addressed to: its `Host`, over `scheme`.
    pub fn addressed(headers: &HeaderMap, scheme: Scheme) -> Option<Origin> {
        let host = headers.get(header::HOST)?.to_str().ok()?;
        let (host, port) = host_and_port(host, scheme)?;
        Some(Origin { scheme, host, port })
    }
}

/// Whether a request may use the refresh cookie: it has no `Origin`, or its
/// `Origin` is listed in `CORS_ALLOWED_ORIGINS`, or it is the service's own
/// (the scheme it was reached over, its `Host` and port). Any other origin
/// is another site trying to spend the cookie for its own ends.
pub fn may_use_cookie(headers: &HeaderMap, listed: &[Origin], own_scheme: Scheme) -> bool {
    match Origin::of_request(headers) {
        None => true,
        Some(Err(_)) => false,
        Some(Ok(origin)) => {
            listed.contains(&origin) || Origin::addressed(headers, own_scheme) == Some(origin)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> Origin {
        text.parse().expect("an origin")
    }

    #[test]
    fn default_ports_and_case_are_one_origin() {
        assert_eq!(
            origin("https://App.Example.com"),
            origin("https://app.example.com:443")
        );
        assert_eq!(
            origin("http://localhost:5173/"),
            origin("HTTP://LOCALHOST:5173")
        );
        assert_ne!(
            origin("http://localhost:5173"),
            origin("http://localhost:5174")
        );
        assert_ne!(
            origin("http://app.example.com"),
            origin("https://app.example.com")
        );
        assert_eq!(
            origin("https://app.example.com:443").to_string(),
            "https://app.example.com"
        );
        assert_eq!(origin("http://[::1]:8080").to_string(), "http://[::1]:8080");
    }

    #[test]
    fn urls_and_other_schemes_are_not_origins() {
        for text in [
            "app.example.com",
            "ftp://app.example.com",
            "https://",
            "https://app.example.com:0",
            "https://app.example.com:99999",
            "null",
        ] {
            assert!(
                matches!(text.parse::<Origin>(), Err(OriginError::Shape(_))),
                "{text}"
            );
        }
        for text in [
            "https://app.example.com/path",
            "https://u@app.example.com",
            "http://a.b/?q",
        ] {
            assert!(
                matches!(text.parse::<Origin>(), Err(OriginError::NotBare(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn the_cookie_is_for_no_origin_a_listed_one_or_our_own() {
        let listed = [origin("http://localhost:5173")];
        let with = |origin: Option<&str>| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, "auth.example.com:8080".parse().expect("host"));
            if let Some(origin) = origin {
                headers.insert(header::ORIGIN, origin.parse().expect("origin"));
            }
            may_use_cookie(&headers, &listed, Scheme::Http)
        };
        assert!(with(None));
        assert!(with(Some("http://localhost:5173")));
        assert!(with(Some("http://auth.example.com:8080")));
        assert!(!with(Some("https://auth.example.com:8080")));
        assert!(!with(Some("http://evil.example")));
        assert!(!with(Some("null")));
    }
}
