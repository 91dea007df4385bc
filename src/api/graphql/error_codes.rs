//! Gives every error of an answer its contract code. Errors raised by the
//! service carry their [`Code`] as their typed source (see `crate::error`);
//! parse and validation errors get theirs from the extension below; whatever
//! async-graphql raises past those (a bad argument value, with a path) gets
//! its code in [`finish`], which also reports the answer's outcome. The
//! validation hook also tells a watching request that it passed.
//!
//! An answer holds at most [`MAX_ERRORS`] errors (the contract's Limits): a
//! 59 KB document of 5,000 unused variables drew 5,000 errors, a 773 KB
//! answer. The first ones are kept; the cap is applied where the schema
//! finishes a request (every transport) and again in [`finish`].
//!
//! The parse hook is also a backstop: whatever text reaches the schema
//! unparsed (a transport that forgot `admission::admit`) has its nesting
//! scanned before async-graphql's parser runs on it (see `admission`).

use std::sync::Arc;

use crate::secret::ExposeSecret;

use async_graphql::ErrorExtensions;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};

use crate::api::graphql::nesting::{NestingRefusal, check_nesting};
use crate::api::graphql::parsed_documents::ValidationWatch;
use crate::error::{AppError, Code, Outcome};

/// Most errors in one answer.
pub(crate) const MAX_ERRORS: usize = 100;

/// Drops the errors past [`MAX_ERRORS`], keeping the first ones.
pub(crate) fn cap_errors(errors: &mut Vec<ServerError>) {
    errors.truncate(MAX_ERRORS);
}

/// The extension factory to register on the schema.
pub(crate) struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

/// Gives an error `code` unless it already has one.
pub(crate) fn with_code(mut error: ServerError, code: Code) -> ServerError {
    let code = *error.source::<Code>().unwrap_or(&code);
    error.source = Some(Arc::new(code));
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
    error
}

/// An answer made of one error.
pub(crate) fn error_response(message: impl Into<String>, code: Code) -> Response {
    Response::from_errors(vec![with_code(ServerError::new(message, None), code)])
}

/// Gives every error of the response its code and returns the outcome: `Ok`,
/// or the first error's code.
pub(crate) fn finish(response: &mut Response) -> Outcome {
    cap_errors(&mut response.errors);
    response.errors = std::mem::take(&mut response.errors)
        .into_iter()
        .map(|error| {
            // Without a code of ours, the error is async-graphql's: with no
            // path it is about the document, with a path about an input.
            let fallback = if error.path.is_empty() {
                Code::GraphqlValidationFailed
            } else {
                Code::BadUserInput
            };
            with_code(error, fallback)
        })
        .collect();
    match response.errors.first().and_then(|e| e.source::<Code>()) {
        Some(code) => Outcome::Failed(*code),
        None => Outcome::Ok,
    }
}

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        cap_errors(&mut response.errors);
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // Cheap for a document already parsed (then `next` does not parse).
        check_nesting(query).map_err(|NestingRefusal(message, code)| {
            with_code(ServerError::new(message, None), code)
        })?;
        next.run(ctx, query, variables)
            .await
            .map_err(|error| with_code(error, Code::GraphqlParseFailed))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|error| with_code(error, Code::GraphqlValidationFailed))
                .collect()
        });
        if result.is_ok()
            && let Some(watch) = ctx.data_opt::<ValidationWatch>()
        {
            watch.note_passed();
        }
        result
    }
}

/// How an `AppError` becomes a GraphQL error: its message, and
/// `extensions.code` (with `retryAfter`, `requiredAal` and `maxAgeSecs`,
/// `mfaToken` and `factors` where the contract gives them).
impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
            }
            AppError::ServiceUnavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
            }
            _ => {}
        }
        let mut error = async_graphql::Error::new(self.to_string());
        error.source = Some(Arc::new(self.code()));
        error.extend_with(|_, extensions| {
            extensions.set("code", self.code().as_str());
            match self {
                AppError::TooManyAttempts { retry_after_secs } => {
                    extensions.set("retryAfter", *retry_after_secs);
                }
                AppError::ReauthenticationRequired {
                    required_aal,
                    max_age_secs,
                } => {
                    extensions.set("requiredAal", *required_aal);
                    extensions.set("maxAgeSecs", *max_age_secs);
                }
                AppError::MfaRequired { mfa_token, factors } => {
                    extensions.set("mfaToken", mfa_token.expose_secret());
                    extensions.set("factors", factors.clone());
                }
                _ => {}
            }
        })
    }
}
