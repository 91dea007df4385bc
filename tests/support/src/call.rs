//! One GraphQL operation on its way to the router: the document, then what
//! the test adds (variables, a bearer token, headers, the TCP peer).
//!
//! ```ignore
//! let answer = server.call(LOGOUT_SESSION).bearer(&token).variables(json!({ "id": id })).await;
//! ```

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::answer::Answer;
use crate::server::DEFAULT_PEER;

/// A GraphQL operation to POST as JSON; `.await` sends it.
#[must_use = "a call is sent when awaited"]
pub struct Call {
    router: Router,
    document: String,
    variables: Value,
    headers: Vec<(String, String)>,
    peer: SocketAddr,
}

impl Call {
    pub(crate) fn new(router: Router, document: &str) -> Call {
        Call {
            router,
            document: document.to_owned(),
            variables: json!({}),
            headers: Vec::new(),
            peer: DEFAULT_PEER.parse().expect("peer address"),
        }
    }

    pub fn variables(mut self, variables: Value) -> Call {
        self.variables = variables;
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, access_token: &str) -> Call {
        self.header("authorization", &format!("Bearer {access_token}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn headers(self, headers: &[(&str, &str)]) -> Call {
        headers
            .iter()
            .fold(self, |call, (name, value)| call.header(name, value))
    }

    /// The TCP peer the router sees (`203.0.113.7:50123` unless told).
    pub fn peer(mut self, peer: &str) -> Call {
        self.peer = peer.parse().expect("peer address");
        self
    }

    /// Sends it on a task of its own once `start` lets it go, so that
    /// several really run at the same time.
    pub fn spawn_after(self, start: Arc<tokio::sync::Barrier>) -> tokio::task::JoinHandle<Answer> {
        tokio::spawn(async move {
            start.wait().await;
            self.send().await
        })
    }

    pub async fn send(self) -> Answer {
        let mut request = Request::post("/graphql").header("content-type", "application/json");
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let body = json!({ "query": self.document, "variables": self.variables });
        let mut request = request.body(Body::from(body.to_string())).expect("request");
        request.extensions_mut().insert(ConnectInfo(self.peer));
        oneshot(self.router, request).await
    }
}

impl IntoFuture for Call {
    type Output = Answer;
    type IntoFuture = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Sends one request through a router and reads the whole answer.
pub(crate) async fn oneshot(router: Router, request: Request<Body>) -> Answer {
    let response = router.oneshot(request).await.expect("router answers");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes().to_vec();
    Answer::new(parts.status, parts.headers, bytes)
}
