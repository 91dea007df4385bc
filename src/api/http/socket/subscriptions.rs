//! The subscriptions a socket is running, by the client's id: at most
//! [`MAX_PER_SOCKET`], one per id, and the server's messages about them.
//!
//! async-graphql keeps its own map of running operations but neither bounds
//! it nor refuses an id that is already running (it silently replaces the
//! stream), and it answers an operation that fails before it starts (a
//! validation error) with a `next` carrying the errors and then `complete`,
//! where the protocol says `error`. So the socket tracks ids itself, from
//! the client's `subscribe` and `complete` and from what the protocol
//! stream sends back, and rewrites such a first `next` as an `error` (and
//! drops the `complete` that follows it, which the protocol does not send
//! after an `error`).
//!
//! The protocol stream is polled before the client's next frame is read,
//! so a `complete` it sends for an id is seen before the client can reuse
//! that id.

use std::collections::HashMap;

use serde_json::Value;

use crate::api::graphql::error_codes::MAX_ERRORS;
use crate::error::Code;

/// Subscriptions one socket may run at once.
pub(crate) const MAX_PER_SOCKET: usize = 10;

/// Where one running id is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Admitted; the server has sent nothing for it yet.
    Starting,
    /// The server has sent it at least one result.
    Streaming,
    /// Its first result was errors, sent as `error`: its `complete` is
    /// dropped.
    Refused,
    /// The client sent `complete`; the server's `complete` is on its way.
    Closing,
}

/// Whether a `subscribe` for an id may start.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Room {
    Free,
    /// The id is running: the protocol closes the socket with 4409.
    Duplicate,
    /// [`MAX_PER_SOCKET`] are running.
    Full,
}

/// The ids running on one socket.
#[derive(Debug, Default)]
pub(crate) struct Running {
    by_id: HashMap<String, Stage>,
}

impl Running {
    pub(crate) fn room_for(&self, id: &str) -> Room {
        if self.by_id.contains_key(id) {
            Room::Duplicate
        } else if self.by_id.len() >= MAX_PER_SOCKET {
            Room::Full
        } else {
            Room::Free
        }
    }

    /// A `subscribe` for `id` was admitted and handed on.
    pub(crate) fn started(&mut self, id: String) {
        self.by_id.insert(id, Stage::Starting);
    }

    /// The client sent `complete` for `id`.
    pub(crate) fn completed_by_client(&mut self, id: &str) {
        if let Some(stage) = self.by_id.get_mut(id)
            && *stage != Stage::Refused
        {
            *stage = Stage::Closing;
        }
    }

    /// A message from the protocol stream: the text to send (rewritten
    /// when it must be), or None when it is not to be sent.
    pub(crate) fn said_by_server(&mut self, text: String) -> Option<String> {
        let Ok(Value::Object(mut message)) = serde_json::from_str::<Value>(&text) else {
            return Some(text);
        };
        let id = message
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        match message.get("type").and_then(Value::as_str) {
            Some("complete" | "error") => match self.by_id.remove(&id) {
                Some(Stage::Refused) => None,
                _ => Some(text),
            },
            Some("next") => {
                let Some(payload) = message.get_mut("payload") else {
                    return Some(text);
                };
                let coded = give_codes(payload);
                if self.by_id.get(&id) == Some(&Stage::Starting) {
                    if let Some(errors) = failed_before_start(payload) {
                        self.by_id.insert(id.clone(), Stage::Refused);
                        return Some(
                            serde_json::json!({ "id": id, "type": "error", "payload": errors })
                                .to_string(),
                        );
                    }
                    self.by_id.insert(id, Stage::Streaming);
                }
                Some(if coded {
                    Value::Object(message).to_string()
                } else {
                    text
                })
            }
            _ => Some(text),
        }
    }
}

/// The errors of a result with errors and no data: the operation never
/// started.
fn failed_before_start(payload: &Value) -> Option<&Value> {
    let errors = payload.get("errors")?;
    let has_errors = errors.as_array().is_some_and(|errors| !errors.is_empty());
    let no_data = payload.get("data").is_none_or(Value::is_null);
    (has_errors && no_data).then_some(errors)
}

/// Gives every error of a result that has no code one, as an HTTP answer's
/// errors get theirs: about the document without a path, about an input
/// with one; and keeps at most `MAX_ERRORS` of them, as an HTTP answer does
/// (subscriptions never pass the schema's request hook that caps those).
/// True when the errors were changed.
fn give_codes(payload: &mut Value) -> bool {
    let Some(errors) = payload.get_mut("errors").and_then(Value::as_array_mut) else {
        return false;
    };
    let mut given = errors.len() > MAX_ERRORS;
    errors.truncate(MAX_ERRORS);
    for error in errors.iter_mut().filter_map(Value::as_object_mut) {
        let coded = error
            .get("extensions")
            .and_then(|extensions| extensions.get("code"))
            .is_some_and(Value::is_string);
        if coded {
            continue;
        }
        let has_path = error
            .get("path")
            .and_then(Value::as_array)
            .is_some_and(|path| !path.is_empty());
        let code = if has_path {
            Code::BadUserInput
        } else {
            Code::GraphqlValidationFailed
        };
        let extensions = error
            .entry("extensions")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if !extensions.is_object() {
            *extensions = Value::Object(serde_json::Map::new());
        }
        if let Some(extensions) = extensions.as_object_mut() {
            extensions.insert("code".to_owned(), Value::String(code.as_str().to_owned()));
        }
        given = true;
    }
    given
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn server(message: Value) -> String {
        message.to_string()
    }

    #[test]
    fn ids_are_bounded_and_unique() {
        let mut running = Running::default();
        for n in 0..MAX_PER_SOCKET {
            assert_eq!(running.room_for(&n.to_string()), Room::Free);
            running.started(n.to_string());
        }
        assert_eq!(running.room_for("0"), Room::Duplicate);
        assert_eq!(running.room_for("new"), Room::Full);
        let complete = server(json!({ "id": "3", "type": "complete" }));
        assert!(running.said_by_server(complete).is_some());
        assert_eq!(running.room_for("3"), Room::Free);
    }

    #[test]
    fn a_client_complete_frees_the_id_once_the_server_says_so() {
        let mut running = Running::default();
        running.started("a".into());
        running.completed_by_client("a");
        assert_eq!(running.room_for("a"), Room::Duplicate);
        let complete = server(json!({ "id": "a", "type": "complete" }));
        assert!(running.said_by_server(complete).is_some());
        assert_eq!(running.room_for("a"), Room::Free);
    }

    #[test]
    fn an_error_message_holds_at_most_max_errors() {
        let mut running = Running::default();
        running.started("a".into());
        let many: Vec<Value> = (0..MAX_ERRORS + 50)
            .map(|n| json!({ "message": format!("Unknown field f{n}") }))
            .collect();
        let failed = server(json!({ "id": "a", "type": "next",
            "payload": { "data": null, "errors": many } }));
        let sent: Value =
            serde_json::from_str(&running.said_by_server(failed).expect("sent")).expect("JSON");
        assert_eq!(sent["type"], "error");
        assert_eq!(sent["payload"].as_array().map(Vec::len), Some(MAX_ERRORS));
        assert_eq!(sent["payload"][0]["message"], "Unknown field f0");
    }

    #[test]
    fn errors_before_the_start_are_an_error_message() {
        let mut running = Running::default();
        running.started("a".into());
        let failed = server(json!({ "id": "a", "type": "next",
            "payload": { "data": null, "errors": [{ "message": "Unknown field" }] } }));
        let sent: Value =
            serde_json::from_str(&running.said_by_server(failed).expect("sent")).expect("JSON");
        assert_eq!(sent["type"], "error");
        assert_eq!(sent["id"], "a");
        assert_eq!(
            sent["payload"][0]["extensions"]["code"],
            "GRAPHQL_VALIDATION_FAILED"
        );
        let complete = server(json!({ "id": "a", "type": "complete" }));
        assert_eq!(
            running.said_by_server(complete),
            None,
            "no complete after error"
        );
        assert_eq!(running.room_for("a"), Room::Free);
    }

    #[test]
    fn events_pass_unchanged() {
        let mut running = Running::default();
        running.started("a".into());
        let event = server(json!({ "id": "a", "type": "next",
            "payload": { "data": { "sessionEvents": { "kind": "OPENED" } } } }));
        assert_eq!(running.said_by_server(event.clone()), Some(event.clone()));
        assert_eq!(running.said_by_server(event.clone()), Some(event));
    }
}
