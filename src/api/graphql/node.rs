//! Relay's `Node`: `User` and `Session` share an `id` field, unique across
//! both (ids are random), and `node(id:)` finds either by it, so that
//! clients that refetch by id (Relay's `@refetchable`) work on them.
//!
//! Who may see what is the rule of the rest of the API: the signed-in user,
//! their own open sessions, and, for an admin, any user or open session.
//! Anything else is null, never an error, so an id tells a caller nothing
//! about whether it exists.

use async_graphql::{Context, ID, Interface, ResultExt};

use crate::api::graphql::context::caller;
use crate::api::graphql::types::{Session, User};
use crate::core::{sessions, users};

/// An object with an id unique across every type.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
#[allow(
    clippy::large_enum_variant,
    reason = "one is made per `node` field and dropped with its answer"
)]
pub(crate) enum Node {
    User(User),
    Session(Session),
}

/// `node(id:)`: the object with this id that the caller may see, or None.
pub(crate) async fn find(ctx: &Context<'_>, id: &str) -> async_graphql::Result<Option<Node>> {
    let (app, auth) = caller(ctx).await?;
    if id == auth.user.id {
        return Ok(Some(Node::User(User(auth.user.clone()))));
    }
    let is_admin = users::is_admin(&auth.user);
    if let Some((record, user)) = sessions::find_open(app, id).await.extend()? {
        if user.id != auth.user.id && !is_admin {
            return Ok(None);
        }
        return Ok(Some(Node::Session(Session {
            current: record.id == auth.session.id,
            record,
            user,
        })));
    }
    if !is_admin {
        return Ok(None);
    }
    let user = users::find(app, id).await.extend()?;
    Ok(user.map(|user| Node::User(User(user))))
}
