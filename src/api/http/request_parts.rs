//! What a request's head says about its client, read the same way by every
//! route that needs it: the client's address (through trusted proxies), its
//! User-Agent and client hints, and the scheme it reached authql over.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::header;

use super::state::HttpState;
use crate::api::browser::origin::Scheme;
use crate::core::client::{ClientInfo, client_address, is_trusted_proxy};
use crate::core::devices::cookie::DeviceCookie;
use crate::core::input;

/// Largest request body accepted, and largest WebSocket message.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// The scheme the client reached authql over: plain HTTP, unless a trusted
/// proxy says with `X-Forwarded-Proto` that it took the request over HTTPS.
pub(crate) fn own_scheme(state: &HttpState, parts: &axum::http::request::Parts) -> Scheme {
    let peer_is_trusted = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(addr)| {
            is_trusted_proxy(addr.ip(), &state.app.config.trusted_proxies)
        });
    let forwarded_https = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    if peer_is_trusted && forwarded_https {
        Scheme::Https
    } else {
        Scheme::Http
    }
}

pub(crate) fn client_info(state: &HttpState, parts: &axum::http::request::Parts) -> ClientInfo {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    // Several X-Forwarded-For headers read as one list, in order.
    let forwarded_for: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let forwarded_for = (!forwarded_for.is_empty()).then(|| forwarded_for.join(","));
    // Agents may send UTF-8 (or worse); keep what can be shown, cut short.
    let header_text = |name: &str, cut: fn(&str) -> String| {
        parts
            .headers
            .get(name)
            .map(|value| cut(&String::from_utf8_lossy(value.as_bytes())))
    };
    ClientInfo {
        ip_address: client_address(
            peer,
            forwarded_for.as_deref(),
            &state.app.config.trusted_proxies,
        ),
        user_agent: header_text(header::USER_AGENT.as_str(), input::cut_user_agent),
        brands_hint: header_text("sec-ch-ua", input::cut_client_hint),
        platform_hint: header_text("sec-ch-ua-platform", input::cut_client_hint),
        // Only `/graphql` reads it, under the cookies' cross-site rule.
        device_cookie: DeviceCookie::Absent,
    }
}
