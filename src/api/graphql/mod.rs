//! The GraphQL schema: types, resolvers, the per-request context and the
//! limits every query is held to.

pub(crate) mod accounts;
pub(crate) mod admin;
pub(crate) mod admin_mutations;
pub(crate) mod admission;
pub(crate) mod context;
pub(crate) mod cookie_delivery;
pub(crate) mod error_codes;
pub(crate) mod expansion;
pub(crate) mod factors;
pub(crate) mod mutation;
pub(crate) mod nesting;
pub(crate) mod node;
pub(crate) mod operation;
pub(crate) mod parsed_documents;
pub(crate) mod passkeys;
pub(crate) mod password_fields;
pub(crate) mod persisted_queries;
pub(crate) mod query;
pub(crate) mod scalars;
pub(crate) mod security_events;
pub(crate) mod session_event;
pub(crate) mod subscription;
pub(crate) mod types;

use async_graphql::{Schema, SchemaBuilder, ValidationMode};

use crate::core::app::AppState;
pub(crate) use context::RequestContext;
use mutation::Mutation;
use query::Query;
use subscription::Subscription;

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Deepest query accepted. GraphiQL's own introspection query needs 13.
pub const MAX_DEPTH: usize = 16;
/// Costliest query accepted (one point per field).
pub const MAX_COMPLEXITY: usize = 256;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .extension(error_codes::ErrorCodes)
}

/// The schema with the service's state, as served.
pub fn build_schema(app: AppState) -> AppSchema {
    served(builder(), app)
}

/// The served schema twice: validating every document in full, and in
/// async-graphql's fast mode for requests whose document, operation name and
/// (absent) variables already passed in full (see `parsed_documents`).
pub struct Schemas {
    pub full: AppSchema,
    pub prevalidated: AppSchema,
}

impl Schemas {
    pub fn build(app: AppState) -> Schemas {
        Schemas {
            full: build_schema(app.clone()),
            prevalidated: served(builder().validation_mode(ValidationMode::Fast), app),
        }
    }
}

fn served(builder: SchemaBuilder<Query, Mutation, Subscription>, app: AppState) -> AppSchema {
    let introspection = app.config.graphql_introspection;
    let builder = builder.data(app);
    if introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The SDL that `authql schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    builder().finish().sdl()
}
