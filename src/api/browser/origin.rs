//! Web origins (scheme, host, port) as browsers send them in `Origin`, and
//! the rule of which origins may use the refresh cookie.
//!
//! Origins are compared in one normal form: scheme and host in lower case,
//! the port always explicit (80 for `http`, 443 for `https` when omitted), so
//! `https://App.example.com` and `https://app.example.com:443` are one origin.

use std::fmt;
use std::str::FromStr;

use axum::http::{HeaderMap, header};

/// One origin in normal form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: Scheme,
    host: String,
    port: u16,
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
fn host_and_port(authority: &str, scheme: Scheme) -> Option<(String, u16)> {
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
