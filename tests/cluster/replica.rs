//! One authql replica in the test process: a test-kit server (its own pool,
//! pointed at one node or at HAProxy, and its own router), spoken to as the
//! HTTP layer would.

use std::sync::Arc;
use std::time::Duration;

use authql_testkit::documents::{LOGIN, ME, REFRESH};
use authql_testkit::{Builder, MailServer, TestDb, TestServer};
use serde_json::{Value, json};

/// The TCP peer every replica sees.
const PEER: &str = "198.51.100.7:40000";

#[derive(Clone)]
pub struct Replica {
    server: Arc<TestServer>,
}

/// An answer as the scenarios count it: its first error code (`OK`
/// without one) and its body.
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

impl From<authql_testkit::Answer> for Answer {
    fn from(answer: authql_testkit::Answer) -> Answer {
        Answer {
            code: answer.first_code().unwrap_or("OK").to_owned(),
            body: answer.body,
        }
    }
}

impl Replica {
    /// A replica on `database_url` (the cluster's, migrated), with these
    /// variables read first. Every replica signs with the kit's key, as
    /// replicas of one service do.
    pub fn start(database_url: &str, extra: &[(&str, &str)]) -> Replica {
        Replica::start_with(TestServer::builder(), database_url, extra)
    }

    /// As [`Replica::start`], sending mail to `mail` (its sender running).
    pub fn start_with_mail(database_url: &str, mail: &MailServer) -> Replica {
        Replica::start_with(TestServer::builder().with_mail(mail), database_url, &[])
    }

    fn start_with(builder: Builder, database_url: &str, extra: &[(&str, &str)]) -> Replica {
        let server = builder
            .database(TestDb::existing(database_url))
            .with_vars(extra)
            .with_config(|c| {
                c.pool.wait_timeout = Duration::from_secs(2);
                c.pool.query_timeout = Duration::from_secs(3);
            })
            .serve();
        Replica {
            server: Arc::new(server),
        }
    }

    pub async fn graphql(&self, query: &str, variables: Value, bearer: Option<&str>) -> Answer {
        let mut call = self.server.call(query).variables(variables).peer(PEER);
        if let Some(token) = bearer {
            call = call.bearer(token);
        }
        call.await.into()
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

    /// The replica's "now" in unix seconds: the real clock, which TOTP
    /// codes are computed for.
    pub fn now_unix(&self) -> i64 {
        self.server.now_unix()
    }

    pub async fn me(&self, access_token: &str) -> Answer {
        self.graphql(ME, json!({}), Some(access_token)).await
    }

    /// Creates a user with a verified address, as `authql user add --email`.
    pub async fn add_user_with_email(&self, user_name: &str, password: &str, email: &str) {
        authql::core::users::add_user(
            &self.server.app,
            user_name,
            &authql::secret::Secret::from(password),
            "user",
            Some(email),
        )
        .await
        .expect("add user");
    }

    /// Bodies this replica ran again after a lock or certification
    /// conflict, since it started.
    pub fn conflict_retries(&self) -> u64 {
        self.server.app.pool.usage().conflict_retries
    }

    /// Creates an admin, as `authql user add --role admin`.
    pub async fn add_admin(&self, user_name: &str, password: &str) {
        authql::core::users::add_user(
            &self.server.app,
            user_name,
            &authql::secret::Secret::from(password),
            "admin",
            None,
        )
        .await
        .expect("add admin");
    }

    /// Creates a user through the same service as `authql user add`.
    pub async fn add_user(&self, user_name: &str, password: &str) {
        self.server.add_user(user_name, password).await;
    }
}
