//! CORS for `/graphql`: pages on the origins of `CORS_ALLOWED_ORIGINS` may
//! call it with credentials (the refresh cookie); no other page may read an
//! answer.
//!
//! tower-http's `CorsLayer` writes the headers for a listed origin. Two rules
//! of the contract it cannot express are kept by this gate in front of it:
//! it answers every `OPTIONS` itself, with `Access-Control-Allow-Methods`
//! and `-Headers` whatever the origin, where an unlisted origin must get no
//! `Access-Control-Allow-*` header at all; and its preflight answer is 200,
//! where the contract says 204. So only requests from a listed origin go
//! through the layer, and its preflight answers are turned into 204.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::api::browser::origin::Origin;

/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The CORS rules of one server.
#[derive(Clone)]
pub(crate) struct Cors {
    listed: std::sync::Arc<[Origin]>,
    layer: CorsLayer,
}

impl Cors {
    /// CORS for pages on the `listed` origins, which may send `extra_headers`
    /// besides `Content-Type` and `Authorization`.
    pub(crate) fn new(listed: &[Origin], extra_headers: &[header::HeaderName]) -> Cors {
        let allowed_headers = [header::CONTENT_TYPE, header::AUTHORIZATION]
            .into_iter()
            .chain(extra_headers.iter().cloned())
            .collect::<Vec<_>>();
        let layer = CorsLayer::new()
            // Only listed origins reach the layer (see `gate`), so sending
            // the request's own origin back is sending a listed one.
            .allow_origin(AllowOrigin::mirror_request())
            .allow_credentials(true)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers(allowed_headers)
            .max_age(PREFLIGHT_MAX_AGE);
        Cors {
            listed: listed.into(),
            layer,
        }
    }

    fn lists(&self, request: &Request) -> bool {
        matches!(Origin::of_request(request.headers()), Some(Ok(origin)) if self.listed.contains(&origin))
    }
}

/// The path CORS applies to; the other routes are for proxies, probes and
/// scrapers, not pages.
const CORS_PATH: &str = "/graphql";

/// The middleware, around the whole router: requests to `/graphql` from
/// listed origins through tower-http's layer, the rest straight on, every
/// `/graphql` answer marked `Vary: Origin` (it depends on it).
pub(crate) async fn gate(State(cors): State<Cors>, request: Request, next: Next) -> Response {
    if request.uri().path() != CORS_PATH {
        return next.run(request).await;
    }
    if !cors.lists(&request) {
        let mut response = next.run(request).await;
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("origin"));
        return response;
    }
    let is_options = request.method() == Method::OPTIONS;
    let answered = cors.layer.layer(next).oneshot(request).await;
    // `Next` never fails: its error type is `Infallible`.
    let mut response = match answered {
        Ok(response) => response,
        Err(never) => match never {},
    };
    if is_options && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}
