//! One authql replica in the test process: its own `App` (its own pool,
//! pointed at one node or at HAProxy) and router, spoken to as the HTTP
//! layer would.

use std::net::SocketAddr;
use std::sync::Arc;

use authql::config::Config;
use authql::core::app::App;
use authql::secret::Secret;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Every replica signs with this key, as replicas of one service do.
const JWT_SECRET: &str = "cluster-test-secret-cluster-test-secret-01";

pub const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { \
    accessToken refreshToken session { id } user { userName } } }";
pub const REFRESH: &str =
    "mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken } }";
pub const ME: &str = "{ me { userName } }";

#[derive(Clone)]
pub struct Replica {
    pub app: Arc<App>,
    router: Router,
}

/// An answer: its first error code (`OK` without one) and its body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub code: String,
    pub body: Value,
}

impl Answer {
    pub fn data(&self, field: &str) -> &Value {
        &self.body["data"][field]
    }
}

impl Replica {
    /// A replica on `database_url`, with these variables on top.
    pub fn start(database_url: &str, extra: &[(&str, &str)]) -> Replica {
        let mut vars: Vec<(String, String)> = [
            ("DATABASE_URL", database_url),
            ("JWT_SECRET", JWT_SECRET),
            ("PASSWORD_HASH_CONCURRENCY", "2"),
            ("PASSWORD_MIN_LENGTH", "1"),
            ("DB_POOL_TIMEOUT_SECS", "2"),
            ("DB_QUERY_TIMEOUT_SECS", "3"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_lookup(|name| {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("replica config");
        let secret = Secret::new(JWT_SECRET);
        let keys =
            authql::core::keys::jwt_key::resolve(&config.access_signing, &secret).expect("keys");
        let app = Arc::new(App::new(config, &secret, &keys).expect("app"));
        let router = authql::api::http::router(app.clone()).expect("router");
        Replica { app, router }
    }

    pub async fn graphql(&self, query: &str, variables: Value, bearer: Option<&str>) -> Answer {
        let mut request = Request::post("/graphql").header("content-type", "application/json");
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        let mut request = request.body(Body::from(body)).expect("request");
        let peer: SocketAddr = "198.51.100.7:40000".parse().expect("peer");
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self.router.clone().oneshot(request).await.expect("router");
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("OK")
            .to_owned();
        Answer { code, body }
    }

    pub async fn login(&self, user_name: &str, password: &str) -> Answer {
        self.graphql(
            LOGIN,
            json!({ "input": { "userName": user_name, "password": password } }),
            None,
        )
        .await
    }

    pub async fn refresh(&self, token: &str) -> Answer {
        self.graphql(REFRESH, json!({ "token": token }), None).await
    }

    pub async fn me(&self, access_token: &str) -> Answer {
        self.graphql(ME, json!({}), Some(access_token)).await
    }

    /// Creates a user through the same service as `authql user add`.
    pub async fn add_user(&self, user_name: &str, password: &str) {
        authql::core::users::add_user(&self.app, user_name, &Secret::new(password), "user")
            .await
            .expect("user added");
    }
}
