//! The User-Agent client hints that Chromium browsers send unasked:
//! `Sec-CH-UA`, the browser's brands (`"Chromium";v="124", "Google
//! Chrome";v="124", "Not-A.Brand";v="99"`), and `Sec-CH-UA-Platform`, its
//! operating system (`"Windows"`). Both are structured fields (RFC 8941): a
//! list of strings with parameters, and one string.
//!
//! A brand list names, besides the browser, the engine it is built on
//! ("Chromium") and a GREASE brand: "Not", "A" and "Brand" joined by
//! punctuation that changes from version to version ("Not A(Brand",
//! "Not/A)Brand"), there so that servers cannot match the list as a whole.
//! The browser is the first brand that is neither; "Chromium" only when no
//! other is named. A header that is not a well-formed list is ignored, as
//! RFC 8941 asks, and the User-Agent speaks instead.

/// Longest brand or platform shown, in characters: real ones are a word or
/// two, so anything longer is not a name.
const MAX_NAME_CHARS: usize = 32;

/// The browser a `Sec-CH-UA` list names, as a device name says it
/// ("Chrome" for "Google Chrome"), or None when it names none.
pub(super) fn browser(brand_list: &str) -> Option<String> {
    let brands = brand_names(brand_list)?;
    let meaningful: Vec<&str> = brands
        .iter()
        .map(|brand| brand.trim())
        .filter(|brand| !is_grease(brand) && readable(brand))
        .collect();
    let brand = meaningful
        .iter()
        .find(|brand| **brand != "Chromium")
        .or(meaningful.first())?;
    Some(
        match *brand {
            "Google Chrome" => "Chrome",
            "Microsoft Edge" => "Edge",
            "Android WebView" => "WebView",
            "YaBrowser" => "Yandex Browser",
            other => other,
        }
        .to_owned(),
    )
}

/// The operating system a `Sec-CH-UA-Platform` value names, as a device
/// name says it, or None for "Unknown" and anything unreadable.
pub(super) fn platform(platform: &str) -> Option<String> {
    let platform = platform.trim();
    // Browsers quote it, as the field's type asks; a bare word is taken too.
    let name = match sf_string(platform) {
        Some((name, rest)) if rest.trim().is_empty() => name,
        Some(_) => return None,
        None if platform.starts_with('"') => return None,
        None => platform.to_owned(),
    };
    let name = name.trim();
    if !readable(name) || name.eq_ignore_ascii_case("unknown") {
        return None;
    }
    Some(
        match name {
            "Chrome OS" | "Chromium OS" => "ChromeOS",
            other => other,
        }
        .to_owned(),
    )
}

/// Whether a brand is GREASE: "Not", "A" and "Brand" with any punctuation
/// between, before or after.
fn is_grease(brand: &str) -> bool {
    let letters: String = brand
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    letters == "notabrand"
}

/// Short enough to be a name, and nothing that would not show.
fn readable(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.chars().any(char::is_control)
}

/// The strings of a structured-field list of strings, parameters skipped;
/// None when it is not one.
fn brand_names(list: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut rest = list.trim();
    while !rest.is_empty() {
        let (name, after) = sf_string(rest)?;
        names.push(name);
        rest = after_parameters(after)?.trim_start();
    }
    Some(names)
}

/// What follows a member's parameters (`;v="124"`) and the comma after
/// them: empty at the end of the list, None when malformed.
fn after_parameters(mut rest: &str) -> Option<&str> {
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        match rest.chars().next() {
            None => return Some(""),
            Some(',') => {
                let next = &rest[1..];
                // A list may not end with a comma.
                return (!next.trim().is_empty()).then_some(next);
            }
            Some(';') => {
                let parameter = rest[1..].trim_start_matches(' ');
                let key_len = parameter
                    .find(|c: char| {
                        !(c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.*".contains(c))
                    })
                    .unwrap_or(parameter.len());
                if key_len == 0 {
                    return None;
                }
                rest = &parameter[key_len..];
                if let Some(value) = rest.strip_prefix('=') {
                    rest = match sf_string(value) {
                        Some((_, after)) => after,
                        // A token, number or boolean value: up to the next delimiter.
                        None if value.starts_with('"') => return None,
                        None => {
                            let end = value.find([';', ',', ' ']).unwrap_or(value.len());
                            &value[end..]
                        }
                    };
                }
            }
            Some(_) => return None,
        }
    }
}

/// A structured-field string at the start of `text` (`"Google Chrome"`,
/// with `\"` and `\\` escapes), and what follows it.
fn sf_string(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('"')?.char_indices();
    let mut value = String::new();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[1 + at + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped @ ('"' | '\\'))) => value.push(escaped),
                _ => return None,
            },
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_is_the_brand_that_is_neither_grease_nor_the_engine() {
        for (list, browser_name) in [
            (
                r#""Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99""#,
                "Chrome",
            ),
            (
                r#""Not A(Brand";v="8", "Chromium";v="132", "Microsoft Edge";v="132""#,
                "Edge",
            ),
            (
                r#""Brave";v="131", "Chromium";v="131", "Not_A Brand";v="24""#,
                "Brave",
            ),
            (
                r#"" Not A;Brand";v="99", "Chromium";v="90", "Opera";v="76""#,
                "Opera",
            ),
            (r#""Not/A)Brand";v="8", "Chromium";v="126""#, "Chromium"),
            (
                r#""Android WebView";v="131", "Chromium";v="131""#,
                "WebView",
            ),
        ] {
            assert_eq!(browser(list).as_deref(), Some(browser_name), "{list}");
        }
    }

    #[test]
    fn a_list_of_nothing_meaningful_or_malformed_names_no_browser() {
        for list in [
            "",
            r#""Not?A_Brand";v="99""#,
            r#""Not=A?Brand";v="24", "";v="1""#,
            r#"Chromium;v="124""#,
            r#""Google Chrome";v="124", "#,
            r#""Google Chrome";v="124" "Chromium""#,
            r#""Google Chrome"#,
            r#""Google Chrome";v="124"#,
            r#""A brand name far too long to be one that a browser sends";v="1""#,
        ] {
            assert_eq!(browser(list), None, "{list}");
        }
    }

    #[test]
    fn brand_parameters_and_escapes_are_read_as_structured_fields() {
        assert_eq!(
            browser(r#""Not\"A\\Brand";v="8";full, "Vivaldi" ; v=7 , "Chromium";v="1""#).as_deref(),
            Some("Vivaldi")
        );
    }

    #[test]
    fn platforms_are_named_as_device_names_say_them() {
        for (value, name) in [
            (r#""Windows""#, Some("Windows")),
            (r#""macOS""#, Some("macOS")),
            (r#" "Linux" "#, Some("Linux")),
            (r#""Android""#, Some("Android")),
            (r#""Chrome OS""#, Some("ChromeOS")),
            (r#""Chromium OS""#, Some("ChromeOS")),
            ("iOS", Some("iOS")),
            (r#""Unknown""#, None),
            (r#""""#, None),
            (r#""Windows"; x"#, None),
            (r#""Windows"#, None),
        ] {
            assert_eq!(platform(value).as_deref(), name, "{value}");
        }
    }
}
