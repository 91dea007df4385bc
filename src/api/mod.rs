//! The ways in: HTTP (the router, the accept loop and its limits, CORS,
//! forward auth, the WebSocket of live events), GraphQL (schema, resolvers,
//! error extensions) and the browser parts (cookies, origins, GraphiQL's
//! files). Each parses what arrives, calls one function of `core`, and maps
//! the result back.

pub mod browser;
pub mod graphql;
pub mod http;
