//! `/auth/verify`: the check a reverse proxy makes before it lets a request
//! through (nginx `auth_request`, Traefik `ForwardAuth`, Envoy `ext_authz`
//! in HTTP mode). It runs the very guard `me` runs, so revocation is as
//! instant behind the proxy as it is here: one session read, and the
//! `lastActiveAt` write at most once a minute, nothing else.
//!
//! Any method is answered, and any path below `/auth/verify/`: Envoy sends
//! the client's own method and appends the client's path; nginx and Traefik
//! send `GET /auth/verify`. The request body is never read.
//!
//! Answers: 200 with `X-Auth-User-Id`, `X-Auth-User-Name`, `X-Auth-Role`,
//! `X-Auth-Session-Id`, `X-Auth-AAL` (the session's assurance level as it
//! is now, so a gateway can ask for 2 itself) and the same in a JSON body; 401 with
//! `WWW-Authenticate: Bearer` and `X-Auth-Error: <code>` for a missing or
//! refused token; 503 when the database cannot be reached, 500 for anything
//! else. None is ever cached.
//!
//! Roles are tokens (`a-z A-Z 0-9 _ . : -`, checked when a user is made), but
//! a row written before that rule may hold anything, CR/LF included. Such a
//! role goes into `X-Auth-Role` percent-encoded, every byte outside the token
//! alphabet (`%` too): a token passes unchanged, and anything else arrives
//! with a `%` in it, so it can never read as a real role, and the header
//! can never be split. The JSON body holds the role as stored. Answering 200
//! keeps the user signed in; refusing would lock them out for a row they did
//! not write.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::HttpState;
use crate::core::sessions::{self, Authenticated};
use crate::error::{AppError, Code, InternalCause, Outcome};

pub(crate) const USER_ID: HeaderName = HeaderName::from_static("x-auth-user-id");
pub(crate) const USER_NAME: HeaderName = HeaderName::from_static("x-auth-user-name");
pub(crate) const ROLE: HeaderName = HeaderName::from_static("x-auth-role");
pub(crate) const SESSION_ID: HeaderName = HeaderName::from_static("x-auth-session-id");
pub(crate) const AAL: HeaderName = HeaderName::from_static("x-auth-aal");
pub(crate) const ERROR: HeaderName = HeaderName::from_static("x-auth-error");

/// The JSON body of a granted check.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Granted<'a> {
    user_id: &'a str,
    user_name: &'a str,
    role: &'a str,
    session_id: &'a str,
    /// The session's assurance level as it is now.
    aal: i32,
}

/// The JSON body of a refused check.
#[derive(serde::Serialize)]
struct Refused {
    error: &'static str,
}

/// Checks the request's bearer token as `me` would.
pub(crate) async fn verify(State(state): State<HttpState>, headers: HeaderMap) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let checked = sessions::authenticate(&state.app, authorization).await;
    let outcome = match &checked {
        Ok(_) => Outcome::Ok,
        Err(error) => Outcome::Failed(error.code()),
    };
    state.app.metrics.forward_auth(outcome);
    match checked {
        Ok(auth) => granted(&auth),
        Err(error) => refused(&error),
    }
}

fn granted(auth: &Authenticated) -> Response {
    let role = role_header_text(&auth.user.role);
    let identity = [
        (USER_ID, &auth.user.id),
        (USER_NAME, &auth.user.user_name),
        (ROLE, &role),
        (SESSION_ID, &auth.session.id),
    ];
    let mut values = Vec::with_capacity(identity.len());
    for (name, value) in identity {
        // Names are UTF-8 without control characters, which a header holds
        // as they are, and roles are encoded to fit. Anything else cannot be
        // handed on whole, and a proxy must not pass a request with half an
        // identity.
        match HeaderValue::from_bytes(value.as_bytes()) {
            Ok(value) => values.push((name, value)),
            Err(_) => {
                tracing::error!(header = %name, user_id = %auth.user.id, "identity not fit for a header");
                return refused(&AppError::internal(InternalCause::Invariant(
                    "identity not fit for a header",
                )));
            }
        }
    }
    let body = Granted {
        user_id: &auth.user.id,
        user_name: &auth.user.user_name,
        role: &auth.user.role,
        session_id: &auth.session.id,
        aal: auth.session.aal,
    };
    let mut response = axum::Json(body).into_response();
    response.headers_mut().extend(values);
    response
        .headers_mut()
        .insert(AAL, HeaderValue::from(auth.session.aal));
    response
}

/// The role as `X-Auth-Role` carries it: unchanged when it is a token, else
/// with every byte outside the token alphabet percent-encoded.
fn role_header_text(role: &str) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(role.len());
    for byte in role.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b':' | b'-') {
            text.push(char::from(byte));
        } else {
            let _ = write!(text, "%{byte:02X}");
        }
    }
    text
}

fn refused(error: &AppError) -> Response {
    let code = error.code();
    let status = match code {
        Code::Unauthenticated | Code::TokenExpired | Code::SessionRevoked => {
            StatusCode::UNAUTHORIZED
        }
        Code::ServiceUnavailable => {
            tracing::warn!(error = %error.detail(), "forward auth: database unavailable");
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => {
            tracing::error!(error = %error.detail(), "forward auth failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let mut response = (
        status,
        axum::Json(Refused {
            error: code.as_str(),
        }),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(ERROR, HeaderValue::from_static(code.as_str()));
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::role_header_text;

    #[test]
    fn roles_that_are_tokens_pass_unchanged_and_others_are_encoded() {
        assert_eq!(role_header_text("ops:read.v-1_A"), "ops:read.v-1_A");
        assert_eq!(role_header_text("a\r\nb c%"), "a%0D%0Ab%20c%25");
        assert_eq!(role_header_text("r\u{f4}le"), "r%C3%B4le");
    }
}
