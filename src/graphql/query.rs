//! Query fields: `me` and `mySessions`.

use async_graphql::{Context, Object};

use crate::auth::sessions;
use crate::error::GraphqlResult;
use crate::graphql::context::parts;
use crate::graphql::types::{Session, User};

#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// The signed-in user. Needs `Authorization: Bearer <accessToken>`.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let (app, request) = parts(ctx).graphql()?;
        let auth = request.authenticated(app).await.graphql()?;
        Ok(User(auth.user.clone()))
    }

    /// The signed-in user's sessions that have not ended, the most recently
    /// active first. Needs a bearer token.
    async fn my_sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Session>> {
        let (app, request) = parts(ctx).graphql()?;
        let auth = request.authenticated(app).await.graphql()?;
        let records = sessions::list_open(app, auth).await.graphql()?;
        Ok(records
            .into_iter()
            .map(|record| Session {
                current: record.id == auth.session.id,
                record,
            })
            .collect())
    }
}
