//! What one request carries into the resolvers: its `Authorization` header,
//! the client's address and agent, its refresh cookie, and the session the
//! header resolved to (looked up at most once per request, and only by
//! fields that need it).

use async_graphql::{Context, ResultExt};
use tokio::sync::OnceCell;

use crate::core::app::AppState;
use crate::core::client::ClientInfo;
use crate::core::sessions::{self, Authenticated};
use crate::error::{AppError, InternalCause};
use crate::secret::Secret;

/// The `authql_refresh` cookie of a request, as the cross-site rule lets
/// resolvers see it.
#[derive(Clone, Debug)]
pub(crate) enum RefreshCookie {
    /// The request carries none.
    Absent,
    /// It carries one, but from an origin that may not use it.
    CrossSite,
    /// It carries one that may be used.
    Usable(Secret),
}

/// What the HTTP layer hands each operation of a request.
#[derive(Clone, Debug)]
pub(crate) struct RequestInputs {
    pub authorization: Option<String>,
    pub client: ClientInfo,
    pub refresh_cookie: RefreshCookie,
}

/// Per-request data, put into the GraphQL request by the HTTP layer.
pub(crate) struct RequestContext {
    authorization: Option<String>,
    pub client: ClientInfo,
    pub refresh_cookie: RefreshCookie,
    authenticated: OnceCell<Authenticated>,
}

impl RequestContext {
    pub(crate) fn new(inputs: RequestInputs) -> Self {
        RequestContext {
            authorization: inputs.authorization,
            client: inputs.client,
            refresh_cookie: inputs.refresh_cookie,
            authenticated: OnceCell::new(),
        }
    }

    /// The caller's live session, or the contract's guard error.
    pub(crate) async fn authenticated(&self, app: &AppState) -> Result<&Authenticated, AppError> {
        self.authenticated
            .get_or_try_init(|| sessions::authenticate(app, self.authorization.as_deref()))
            .await
    }
}

/// The app state and request context of a resolver.
pub(crate) fn parts<'a>(
    ctx: &'a Context<'_>,
) -> async_graphql::Result<(&'a AppState, &'a RequestContext)> {
    let missing = || AppError::internal(InternalCause::Invariant("request context missing"));
    let app = ctx.data::<AppState>().map_err(|_| missing()).extend()?;
    let request = ctx
        .data::<RequestContext>()
        .map_err(|_| missing())
        .extend()?;
    Ok((app, request))
}

/// The app state and the authenticated caller of a resolver that needs a
/// bearer token, or the guard's error with its code.
pub(crate) async fn caller<'a>(
    ctx: &'a Context<'_>,
) -> async_graphql::Result<(&'a AppState, &'a Authenticated)> {
    let (app, request) = parts(ctx)?;
    let auth = request.authenticated(app).await.extend()?;
    Ok((app, auth))
}
