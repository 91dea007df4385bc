//! The GraphQL documents tests send more than once, each written once in
//! `documents/` (where an editor highlights and checks it), and readings of
//! the `AuthPayload` they answer with.
//!
//! A new operation is one file there and one line here; the API tests check
//! that every document here validates against the served schema.

use serde_json::Value;

/// Every field of `AuthPayload`. Variables: `input`.
pub const LOGIN: &str = include_str!("../documents/login.graphql");
/// `refreshToken` with the fields tests look at. Variables: `token`; without
/// it the refresh cookie is used.
pub const REFRESH: &str = include_str!("../documents/refresh.graphql");
/// `me { id userName }`.
pub const ME: &str = include_str!("../documents/me.graphql");
/// `mySessions`.
pub const MY_SESSIONS: &str = include_str!("../documents/my_sessions.graphql");
/// `logout`.
pub const LOGOUT: &str = include_str!("../documents/logout.graphql");
/// `logoutAll`. Variables: `exceptCurrent` (default false).
pub const LOGOUT_ALL: &str = include_str!("../documents/logout_all.graphql");
/// `logoutSession`. Variables: `id`.
pub const LOGOUT_SESSION: &str = include_str!("../documents/logout_session.graphql");
/// `changePassword`. Variables: `input`.
pub const CHANGE_PASSWORD: &str = include_str!("../documents/change_password.graphql");
/// The `sessionEvents` subscription, every field.
pub const SESSION_EVENTS: &str = include_str!("../documents/session_events.graphql");

/// Every document above with its name, for the test that checks them all.
pub const ALL: [(&str, &str); 9] = [
    ("login", LOGIN),
    ("refresh", REFRESH),
    ("me", ME),
    ("my_sessions", MY_SESSIONS),
    ("logout", LOGOUT),
    ("logout_all", LOGOUT_ALL),
    ("logout_session", LOGOUT_SESSION),
    ("change_password", CHANGE_PASSWORD),
    ("session_events", SESSION_EVENTS),
];

/// The access token of an `AuthPayload`.
pub fn access_token(payload: &Value) -> String {
    payload["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_owned()
}

/// The refresh token of an `AuthPayload`.
pub fn refresh_token(payload: &Value) -> String {
    payload["refreshToken"]
        .as_str()
        .expect("refreshToken")
        .to_owned()
}

/// The session id of an `AuthPayload`.
pub fn session_id(payload: &Value) -> String {
    payload["session"]["id"]
        .as_str()
        .expect("session id")
        .to_owned()
}
