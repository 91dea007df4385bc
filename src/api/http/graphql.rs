//! `/graphql`: GraphQL over HTTP with the contract's transport rules.
//! POST takes `application/json` only (else 415) and at most 64 KiB (else
//! 413), arriving within `HTTP_BODY_TIMEOUT_SECS` (else 408 and the
//! connection closes); GET serves GraphiQL, or runs a `?query=` that is not a
//! mutation.

use std::time::Instant;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{BatchRequest, BatchResponse, Request, Response, ServerError};
use async_graphql_axum::GraphQLResponse;
use axum::body::to_bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};

use super::HttpState;
use super::media_type::AnswerType;
use super::request_parts::{MAX_BODY_BYTES, client_info, own_scheme};
use crate::api::browser::cookie;
use crate::api::browser::origin::may_use_cookie;
use crate::api::graphql::context::{RefreshCookie, RequestInputs};
use crate::api::graphql::error_codes::{error_response, finish, with_code};
use crate::api::graphql::parsed_documents::{Validation, ValidationWatch};
use crate::api::graphql::{RequestContext, admission, password_fields};
use crate::api::http::detached::Saturated;
use crate::core::devices::cookie::{DeviceCookie, DeviceId};
use crate::error::{Code, Outcome};
use crate::secret::Secret;

/// Most operations in one batched request.
pub(crate) const MAX_BATCH_OPERATIONS: usize = 10;

/// POST: run a GraphQL request (or a batch) sent as JSON.
pub(crate) async fn post_graphql(
    State(state): State<HttpState>,
    request: axum::extract::Request,
) -> HttpResponse {
    let (parts, body) = request.into_parts();
    let answer_type = AnswerType::asked_by(&parts.headers);
    if !is_json(&parts.headers) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /graphql takes Content-Type: application/json\n",
        )
            .into_response();
    }
    let body_timeout = state.app.config.http.body_timeout;
    let body = match tokio::time::timeout(body_timeout, to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            return (StatusCode::PAYLOAD_TOO_LARGE, "request body over 64 KiB\n").into_response();
        }
        Err(_) => {
            // The rest of the body may still come; only closing stops it.
            return (
                StatusCode::REQUEST_TIMEOUT,
                [(header::CONNECTION, "close")],
                "the request body did not arrive in time\n",
            )
                .into_response();
        }
    };
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(_) => {
            let error = error_response(
                "the body is not a GraphQL request in JSON",
                Code::GraphqlParseFailed,
            );
            let answer = (StatusCode::BAD_REQUEST, GraphQLResponse::from(error)).into_response();
            return answer_type.apply(answer);
        }
    };
    let inputs = request_inputs(&state, &parts);
    answer(
        answer_type,
        run_to_completion(&state, batch, inputs, Kinds::Any).await,
    )
}

/// A GraphQL answer in the media type the client asked for.
fn answer(answer_type: AnswerType, response: impl Into<GraphQLResponse>) -> HttpResponse {
    answer_type.apply(response.into().into_response())
}

/// Which operations a transport runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kinds {
    /// POST: queries and mutations.
    Any,
    /// GET `?query=`: queries only, never a mutation.
    QueriesOnly,
}

/// Runs a request's operations on a task of their own and waits for them. A
/// client that hangs up drops this handler's future but not the task, so no
/// statement is cut half way and what the client asked for is done or not
/// done as a whole (see `crate::store`, "Interrupted queries").
async fn run_to_completion(
    state: &HttpState,
    batch: BatchRequest,
    inputs: RequestInputs,
    kinds: Kinds,
) -> BatchResponse {
    let running = state.clone();
    let work = async move { run_batch(&running, batch, &inputs, kinds).await };
    match state.detached.run(work).await {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => {
            tracing::error!(%error, "a GraphQL request's task failed");
            BatchResponse::Single(error_response(
                "internal server error",
                Code::InternalServerError,
            ))
        }
        Err(Saturated) => {
            tracing::warn!("too many requests running at once; answering SERVICE_UNAVAILABLE");
            BatchResponse::Single(error_response(
                "the service is overloaded; try again",
                Code::ServiceUnavailable,
            ))
        }
    }
}

/// Runs one operation, or each of a batch in turn.
async fn run_batch(
    state: &HttpState,
    batch: BatchRequest,
    inputs: &RequestInputs,
    kinds: Kinds,
) -> BatchResponse {
    match batch {
        BatchRequest::Single(request) => {
            let request = match state.persisted.resolve(request) {
                Ok(request) => request,
                Err(refused) => return BatchResponse::Single(Response::from_errors(vec![refused])),
            };
            let mut requests = match password_fields_checked(vec![request]).await {
                Ok(requests) => requests,
                Err(refused) => return BatchResponse::Single(Response::from_errors(vec![refused])),
            };
            match requests.pop() {
                Some(request) => {
                    BatchResponse::Single(execute(state, request, inputs, kinds).await)
                }
                None => BatchResponse::Single(error_response(
                    "internal server error",
                    Code::InternalServerError,
                )),
            }
        }
        BatchRequest::Batch(requests) if requests.len() > MAX_BATCH_OPERATIONS => {
            BatchResponse::Single(error_response(
                format!("a batch holds at most {MAX_BATCH_OPERATIONS} operations"),
                Code::GraphqlValidationFailed,
            ))
        }
        BatchRequest::Batch(requests) => {
            // Each operation's persisted query first, so that the password
            // fields are counted in the documents that will run; one that
            // does not resolve answers its own place in the batch.
            let mut refusals = Vec::with_capacity(requests.len());
            let mut runnable = Vec::with_capacity(requests.len());
            for request in requests {
                match state.persisted.resolve(request) {
                    Ok(request) => {
                        refusals.push(None);
                        runnable.push(request);
                    }
                    Err(refused) => refusals.push(Some(Response::from_errors(vec![refused]))),
                }
            }
            let mut runnable = match password_fields_checked(runnable).await {
                Ok(requests) => requests.into_iter(),
                Err(refused) => return BatchResponse::Single(Response::from_errors(vec![refused])),
            };
            let mut responses = Vec::with_capacity(refusals.len());
            for refusal in refusals {
                let response = match refusal {
                    Some(refused) => refused,
                    None => match runnable.next() {
                        Some(request) => execute(state, request, inputs, kinds).await,
                        None => error_response("internal server error", Code::InternalServerError),
                    },
                };
                responses.push(response);
            }
            BatchResponse::Batch(responses)
        }
    }
}

/// Refuses, before any of them runs, requests that hold more than one
/// password-checking field in all (see `graphql::password_fields`). A
/// document too deep to parse, or not parsing, counts nothing here: `execute`
/// refuses it on its own.
/// [`check_password_fields`] over the request's documents, which it parses:
/// off the async workers when they are long, as every judgement is.
async fn password_fields_checked(requests: Vec<Request>) -> Result<Vec<Request>, ServerError> {
    let (requests, checked) =
        admission::judge_many_off_workers(requests, check_password_fields).await?;
    checked.map(|()| requests)
}

fn check_password_fields(requests: &mut [Request]) -> Result<(), ServerError> {
    let mut total = 0usize;
    for request in requests {
        if admission::check_nesting(&request.query).is_err() {
            continue;
        }
        let operation_name = request.operation_name.clone();
        if let Ok(document) = request.parsed_query() {
            total =
                total.saturating_add(password_fields::count(document, operation_name.as_deref()));
        }
    }
    password_fields::check_total(total)
}

/// The query string of a GET.
#[derive(serde::Deserialize)]
pub(crate) struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    /// JSON, as the request body's `extensions` (a persisted query's hash).
    extensions: Option<String>,
}

/// GET: GraphiQL for a browser, or a query (never a mutation) from `?query=`
/// (the router sends a WebSocket handshake to `socket` instead).
pub(crate) async fn get_graphql(
    state: HttpState,
    Query(params): Query<GetParams>,
    request: axum::extract::Request,
) -> HttpResponse {
    // A hash-only persisted query comes with `extensions` and no `query`.
    if params.query.is_none() && params.extensions.is_none() {
        return super::graphiql::page(&state);
    }
    let (parts, _) = request.into_parts();
    let answer_type = AnswerType::asked_by(&parts.headers);
    let mut graphql_request = Request::new(params.query.unwrap_or_default());
    if let Some(extensions) = params.extensions {
        match serde_json::from_str(&extensions) {
            Ok(extensions) => graphql_request.extensions = extensions,
            Err(_) => {
                let error = error_response("extensions must be a JSON object", Code::BadUserInput);
                return answer(answer_type, error);
            }
        }
    }
    if let Some(name) = params.operation_name {
        graphql_request = graphql_request.operation_name(name);
    }
    if let Some(variables) = params.variables {
        match serde_json::from_str(&variables) {
            Ok(variables) => graphql_request = graphql_request.variables(variables),
            Err(_) => {
                let error = error_response("variables must be a JSON object", Code::BadUserInput);
                return answer(answer_type, error);
            }
        }
    }
    let inputs = request_inputs(&state, &parts);
    let batch = BatchRequest::Single(graphql_request);
    answer(
        answer_type,
        run_to_completion(&state, batch, inputs, Kinds::QueriesOnly).await,
    )
}

/// Runs one operation with its own request context, and
/// records it: one log line and the request metrics. Every document goes
/// through `admission::admit` first (a kept one skips only the parse).
async fn execute(
    state: &HttpState,
    mut request: Request,
    inputs: &RequestInputs,
    kinds: Kinds,
) -> Response {
    let started = Instant::now();
    let kept = state.documents.lookup(&mut request);
    let (mut request, admitted) = judge(state, request, kinds).await;
    let operation_name = request.operation_name.clone();
    let (operation, mut response) = match admitted {
        Err(refused) => ("invalid".to_owned(), Response::from_errors(vec![refused])),
        Ok(()) => {
            if kept.is_none() {
                state.documents.keep(&mut request);
            }
            let operation = crate::api::graphql::operation::label(&mut request);
            let request = request.data(RequestContext::new(inputs.clone()));
            let response = match kept.unwrap_or(Validation::Needed) {
                Validation::Passed => state.schemas.prevalidated.execute(request).await,
                Validation::Needed => execute_validating(state, request).await,
            };
            (operation, response)
        }
    };
    let outcome = finish(&mut response);
    record(
        state,
        &operation,
        operation_name.as_deref(),
        outcome,
        started,
    );
    response
}

/// Admits the request (and on GET, refuses a mutation), off the async
/// workers when the document is long.
async fn judge(
    state: &HttpState,
    request: Request,
    kinds: Kinds,
) -> (Request, Result<(), ServerError>) {
    let introspection = state.app.config.graphql_introspection;
    admission::judge_off_workers(request, move |request: &mut Request| {
        admission::admit(request, introspection).and_then(|()| refuse_writes(request, kinds))
    })
    .await
}

/// On a transport that runs queries only, refuses a document that would run
/// a mutation (or a subscription). Called once the document is admitted, so
/// parsed.
fn refuse_writes(request: &mut Request, kinds: Kinds) -> Result<(), ServerError> {
    if kinds == Kinds::Any {
        return Ok(());
    }
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return Ok(());
    };
    if selects_mutation(&document.operations, operation_name.as_deref()) {
        return Err(with_code(
            ServerError::new("mutations must be sent with POST", None),
            Code::GraphqlValidationFailed,
        ));
    }
    Ok(())
}

/// Runs `request` on the schema that validates in full, and remembers a
/// document with no variables that passed, for the next request like it.
async fn execute_validating(state: &HttpState, request: Request) -> Response {
    if !request.variables.is_empty() {
        return state.schemas.full.execute(request).await;
    }
    let (query, operation_name) = (request.query.clone(), request.operation_name.clone());
    let watch = ValidationWatch::default();
    let response = state
        .schemas
        .full
        .execute(request.data(watch.clone()))
        .await;
    if watch.passed() {
        state
            .documents
            .passed_validation(&query, operation_name.as_deref());
    }
    response
}

/// One log line and the request metrics for an operation.
fn record(
    state: &HttpState,
    operation: &str,
    operation_name: Option<&str>,
    outcome: Outcome,
    started: Instant,
) {
    let elapsed = started.elapsed();
    state.app.metrics.request(operation, outcome, elapsed);
    tracing::info!(
        target: "authql::request",
        %operation,
        operation_name = operation_name.unwrap_or(""),
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        outcome = outcome.as_str(),
        "graphql request"
    );
}

/// Whether the operation a request would run is a mutation or subscription.
fn selects_mutation(operations: &DocumentOperations, operation_name: Option<&str>) -> bool {
    let is_write = |ty: OperationType| ty != OperationType::Query;
    match crate::api::graphql::operation::selected(operations, operation_name) {
        Some(operation) => is_write(operation.node.ty),
        // Several operations and no name: async-graphql refuses the document;
        // refuse here too if any of them writes.
        None if operation_name.is_none() => match operations {
            DocumentOperations::Multiple(ops) => ops.values().any(|op| is_write(op.node.ty)),
            DocumentOperations::Single(op) => is_write(op.node.ty),
        },
        // A name that matches nothing: async-graphql answers that error.
        None => false,
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// What every operation of the request is given: its bearer header, the
/// client, and its refresh cookie as the cross-site rule lets it be used.
fn request_inputs(state: &HttpState, parts: &axum::http::request::Parts) -> RequestInputs {
    let mut client = client_info(state, parts);
    let browsers = &state.app.config.browsers;
    let may_use_cookies = || {
        let own_scheme = own_scheme(state, parts);
        may_use_cookie(&parts.headers, &browsers.allowed_origins, own_scheme)
    };
    let refresh_cookie = match cookie::read(&parts.headers) {
        None => RefreshCookie::Absent,
        Some(token) if may_use_cookies() => RefreshCookie::Usable(Secret::from(token)),
        Some(_) => RefreshCookie::CrossSite,
    };
    // Junk in the device cookie (malformed, over-long) is no device at all.
    client.device_cookie = match cookie::read_device(&parts.headers)
        .as_deref()
        .and_then(DeviceId::parse)
    {
        None => DeviceCookie::Absent,
        Some(device_id) if may_use_cookies() => DeviceCookie::Usable(device_id),
        Some(device_id) => DeviceCookie::CrossSite(device_id),
    };
    RequestInputs {
        authorization: authorization(&parts.headers),
        client,
        refresh_cookie,
    }
}

fn authorization(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
