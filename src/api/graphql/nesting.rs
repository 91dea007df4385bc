//! How deep a document's brackets nest, read before it is parsed: the
//! parser recurses once per level, so a document nested thousands deep must
//! be refused before it reaches the parser (`admission::admit` runs this
//! first on every transport; `error_codes` runs it on any document that
//! reaches it unparsed).

use crate::error::Code;

/// Why a document was refused before its parse: the message and the
/// contract's code (the caller makes it the error of its transport).
#[derive(Debug)]
pub(crate) struct NestingRefusal(pub(crate) String, pub(crate) Code);

/// Deepest bracket nesting (`{`, `[`, `(`) parsed at all. The parser's own
/// recursion limits begin at 32 levels; the schema's depth limit (16) is below.
pub(crate) const MAX_NESTING: usize = 32;

/// How far a document's brackets nest, or None when they do not balance.
/// Brackets inside strings, block strings and comments do not count.
fn bracket_depth(document: &str) -> Option<usize> {
    let bytes = document.as_bytes();
    let mut open: Vec<u8> = Vec::new();
    let mut deepest = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                loop {
                    if i >= bytes.len() {
                        return None;
                    }
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 2;
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') | Some(b'\r') => return None,
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            opener @ (b'{' | b'[' | b'(') => {
                open.push(opener);
                deepest = deepest.max(open.len());
            }
            closer @ (b'}' | b']' | b')') => {
                let expected = match closer {
                    b'}' => b'{',
                    b']' => b'[',
                    _ => b'(',
                };
                if open.pop() != Some(expected) {
                    return None;
                }
            }
            _ => {}
        }
        i += 1;
    }
    open.is_empty().then_some(deepest)
}

/// Refuses a document nested past [`MAX_NESTING`] before it is parsed. One
/// that does not balance is left to the parser, which reports the syntax
/// error, unless it is also too deep to parse safely.
pub(crate) fn check_nesting(document: &str) -> Result<(), NestingRefusal> {
    match bracket_depth(document) {
        Some(depth) if depth <= MAX_NESTING => Ok(()),
        Some(_) => Err(NestingRefusal(
            format!("the document nests deeper than {MAX_NESTING} levels"),
            Code::GraphqlValidationFailed,
        )),
        None => {
            // Unbalanced: a syntax error. Parse only if it cannot be deep.
            let openers = document.bytes().filter(|b| b"{[(".contains(b)).count();
            if openers <= MAX_NESTING {
                Ok(())
            } else {
                Err(NestingRefusal(
                    "the document's brackets do not balance".to_owned(),
                    Code::GraphqlParseFailed,
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_brackets_outside_strings_and_comments() {
        assert_eq!(bracket_depth("{ me { id } }"), Some(2));
        assert_eq!(bracket_depth("{ a(x: [[1]]) }"), Some(4));
        assert_eq!(bracket_depth("{ a(x: \"{{{{\") } # {{{{"), Some(2));
        assert_eq!(
            bracket_depth("{ a(x: \"\"\" {{ \\\"\"\" {{ \"\"\") }"),
            Some(2)
        );
        assert_eq!(bracket_depth("{ a(x: \"\\\"{\") }"), Some(2));
        assert_eq!(bracket_depth("{ me { id }"), None);
        assert_eq!(bracket_depth("{ me ) }"), None);
        assert_eq!(bracket_depth("{ a(x: \"open) }"), None);
    }
}
