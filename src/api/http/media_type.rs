//! The media type of a GraphQL answer, from the request's `Accept`: the
//! GraphQL-over-HTTP specification's `application/graphql-response+json`,
//! unless the client asks for `application/json` and not for the former
//! (older clients, and the spec's legacy mode, read only that one).
//!
//! Written here rather than taken from a crate: the rule is one sentence of
//! the contract over a comma-separated header, and the HTTP crates we use
//! offer content negotiation only as full quality-ranked matching, which
//! would answer `application/json` to `application/json;q=1,
//! application/graphql-response+json;q=0.9` where the contract says not to.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// The GraphQL-over-HTTP specification's own media type.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
/// Plain JSON, for clients that ask for it alone.
const JSON: &str = "application/json";

/// Which of the two media types an answer is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AnswerType {
    GraphqlResponse,
    Json,
}

impl AnswerType {
    /// The contract's choice for a request with these headers.
    pub(crate) fn asked_by(headers: &HeaderMap) -> AnswerType {
        let mut asks_json = false;
        let mut asks_graphql_response = false;
        for value in headers.get_all(header::ACCEPT) {
            let Ok(value) = value.to_str() else { continue };
            for range in value.split(',') {
                match accepted_type(range) {
                    Some(media) if media.eq_ignore_ascii_case(GRAPHQL_RESPONSE) => {
                        asks_graphql_response = true;
                    }
                    Some(media) if media.eq_ignore_ascii_case(JSON) => asks_json = true,
                    _ => {}
                }
            }
        }
        if asks_json && !asks_graphql_response {
            AnswerType::Json
        } else {
            AnswerType::GraphqlResponse
        }
    }

    fn header_value(self) -> HeaderValue {
        match self {
            AnswerType::GraphqlResponse => HeaderValue::from_static(GRAPHQL_RESPONSE),
            AnswerType::Json => HeaderValue::from_static(JSON),
        }
    }

    /// Marks `response` as this media type.
    pub(crate) fn apply(self, mut response: Response) -> Response {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, self.header_value());
        response
    }
}

/// The media type of one `Accept` range, unless its quality is zero (which
/// says "not this one").
fn accepted_type(range: &str) -> Option<&str> {
    let mut parts = range.split(';');
    let media = parts.next()?.trim();
    let refused = parts.any(|param| {
        let Some((name, value)) = param.split_once('=') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("q") && value.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
    });
    (!refused && !media.is_empty()).then_some(media)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(accept: &[&str]) -> AnswerType {
        let mut headers = HeaderMap::new();
        for value in accept {
            headers.append(
                header::ACCEPT,
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        AnswerType::asked_by(&headers)
    }

    #[test]
    fn json_alone_gets_json() {
        assert_eq!(asked(&["application/json"]), AnswerType::Json);
        assert_eq!(
            asked(&["Application/JSON; charset=utf-8"]),
            AnswerType::Json
        );
        assert_eq!(asked(&["text/html", "application/json"]), AnswerType::Json);
        assert_eq!(asked(&["application/json, */*;q=0.5"]), AnswerType::Json);
    }

    #[test]
    fn anything_else_gets_the_graphql_response_type() {
        assert_eq!(asked(&[]), AnswerType::GraphqlResponse);
        assert_eq!(asked(&["*/*"]), AnswerType::GraphqlResponse);
        assert_eq!(
            asked(&["application/graphql-response+json, application/json;q=0.9"]),
            AnswerType::GraphqlResponse
        );
        assert_eq!(
            asked(&["application/json;q=1, application/graphql-response+json;q=0.5"]),
            AnswerType::GraphqlResponse
        );
        // A quality of zero refuses the type: it asks for nothing.
        assert_eq!(
            asked(&["application/json;q=0"]),
            AnswerType::GraphqlResponse
        );
        assert_eq!(
            asked(&["application/json, application/graphql-response+json;q=0"]),
            AnswerType::Json
        );
    }
}
