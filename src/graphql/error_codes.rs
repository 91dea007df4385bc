//! Gives every error of an answer its contract code. Errors raised by the
//! service carry their [`Code`] as their typed source (see `crate::error`);
//! parse and validation errors get theirs from the extension below; whatever
//! async-graphql raises past those (a bad argument value, with a path) gets
//! its code in [`finish`], which also reports the answer's outcome. The
//! validation hook also tells a watching request that it passed.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};

use crate::error::{Code, Outcome};
use crate::graphql::parsed_documents::ValidationWatch;

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
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
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
