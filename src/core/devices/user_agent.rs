//! Reading a User-Agent into a browser and an operating system, named as a
//! device name says them ("Chrome", "macOS"), once per distinct User-Agent.
//!
//! The reading is woothee's (see the parent module for why that crate),
//! renamed where its names are not the ones people use or carry a version
//! ("Mac OSX", "Windows 10", "iPhone"). A client it does not know, such as
//! a command-line tool or a library (`curl/8.5.0`, `python-requests/2.31`),
//! is named by the first product of its User-Agent, without the version.
//!
//! Readings are kept in a [`BoundedMap`] of [`MAX_READINGS`] by the
//! User-Agent's text: a client sends the same one with every sign-in, and
//! a reading costs a few microseconds optimised but some tens of them in a
//! debug build. The map is the process's, like woothee's own compiled
//! patterns: a reading depends on the text alone, so there is nothing for
//! an `App` to configure or to reset, and the device name stays a function
//! of what a request holds.

use std::sync::LazyLock;

use woothee::parser::Parser;
use woothee::woothee::VALUE_UNKNOWN;

use crate::core::bounded_map::BoundedMap;

/// Most User-Agents whose reading is kept (each at most 512 characters).
const MAX_READINGS: usize = 512;

/// Longest product name taken from a User-Agent that woothee does not know.
const MAX_PRODUCT_CHARS: usize = 32;

static READINGS: LazyLock<BoundedMap<String, Reading, MAX_READINGS>> =
    LazyLock::new(BoundedMap::default);

/// What a User-Agent says of its device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Reading {
    pub browser: Option<String>,
    pub os: Option<String>,
}

/// The reading of `user_agent`, kept from an earlier request or read now.
pub(super) fn read(user_agent: &str) -> Reading {
    let kept = READINGS.get(user_agent).map(|reading| reading.clone());
    if let Some(reading) = kept {
        return reading;
    }
    let reading = read_afresh(user_agent);
    READINGS.insert(user_agent.to_owned(), reading.clone());
    reading
}

fn read_afresh(user_agent: &str) -> Reading {
    let parsed = Parser::new().parse(user_agent);
    let browser = parsed
        .as_ref()
        .and_then(|parsed| browser_name(parsed.name))
        .or_else(|| product_name(user_agent));
    let os = parsed.as_ref().and_then(|parsed| os_name(parsed.os));
    Reading { browser, os }
}

/// woothee's browser (or crawler, or tool) name as a device name says it.
/// None for a library, which its product names better ("curl", not
/// "HTTP Library").
fn browser_name(name: &str) -> Option<String> {
    let name = match name {
        VALUE_UNKNOWN | "HTTP Library" => return None,
        "SamsungBrowser" => "Samsung Internet",
        "Webview" => "WebView",
        "misc crawler" => "Crawler",
        other => other,
    };
    Some(name.to_owned())
}

/// woothee's operating system as a device name says it: no version
/// ("Windows 10" is "Windows"), and Apple's names as Apple writes them.
fn os_name(os: &str) -> Option<String> {
    let name = match os {
        VALUE_UNKNOWN => return None,
        "Windows Phone OS" => "Windows Phone",
        windows if windows.starts_with("Windows") => "Windows",
        "Mac OSX" => "macOS",
        "Mac OS Classic" => "Mac OS",
        "iPhone" | "iPod" | "iOS" => "iOS",
        "iPad" => "iPadOS",
        "BlackBerry 10" => "BlackBerry",
        other => other,
    };
    Some(name.to_owned())
}

/// The name of the User-Agent's first product (`curl` of `curl/8.5.0`):
/// a short token of letters, digits and `-_.` followed by its version, and
/// not `Mozilla`, which every browser claims to be.
fn product_name(user_agent: &str) -> Option<String> {
    let (product, _version) = user_agent.trim_start().split_once('/')?;
    let readable = product.len() <= MAX_PRODUCT_CHARS
        && product.starts_with(|c: char| c.is_ascii_alphabetic())
        && product
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    (readable && !product.eq_ignore_ascii_case("mozilla")).then(|| product.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_is_kept_and_the_same_as_a_fresh_one() {
        let user_agent =
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 kept";
        let first = read(user_agent);
        assert!(
            READINGS.get(user_agent).is_some(),
            "kept after the first read"
        );
        assert_eq!(read(user_agent), first);
        assert_eq!(read_afresh(user_agent), first);
        assert_eq!(first.browser.as_deref(), Some("Firefox"));
        assert_eq!(first.os.as_deref(), Some("Linux"));
    }

    #[test]
    fn tools_are_named_by_their_product() {
        for (user_agent, name) in [
            ("curl/8.5.0", Some("curl")),
            ("Wget/1.21.4", Some("Wget")),
            ("python-requests/2.31.0", Some("python-requests")),
            ("Go-http-client/1.1", Some("Go-http-client")),
            (
                "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
                Some("node-fetch"),
            ),
            ("Mozilla/5.0", None),
            ("asdf", None),
            ("/1.0", None),
            ("1password/8", None),
            ("caf\u{e9}/1.0", None),
            ("a tool/1.0", None),
        ] {
            assert_eq!(product_name(user_agent).as_deref(), name, "{user_agent}");
        }
    }

    #[test]
    fn operating_systems_carry_no_version() {
        for (woothee_os, name) in [
            ("Windows 10", "Windows"),
            ("Windows 7", "Windows"),
            ("Windows UNKNOWN Ver", "Windows"),
            ("Windows Phone OS", "Windows Phone"),
            ("Mac OSX", "macOS"),
            ("iPhone", "iOS"),
            ("iPad", "iPadOS"),
            ("Linux", "Linux"),
        ] {
            assert_eq!(os_name(woothee_os).as_deref(), Some(name));
        }
        assert_eq!(os_name(VALUE_UNKNOWN), None);
    }
}
