//! Devices: the name a session and a security event show for the device
//! that made a request ("Firefox on Linux"): the client's own `deviceInfo`
//! when it sent one, else the browser and the operating system read from
//! its User-Agent and client hints, else "Unknown device". A name never
//! holds a version, so that one device keeps its name across updates.
//!
//! The client hints (`Sec-CH-UA`, `Sec-CH-UA-Platform`; see
//! [`client_hints`]) are what a Chromium browser says of itself on purpose,
//! so where sent they win over the User-Agent, which every browser fills
//! with the names of others ("Mozilla", "like Gecko", "Safari"): Brave
//! and Opera say who they are only there.
//!
//! The User-Agent is read with the `woothee` crate ([`user_agent`]). The
//! other choice was `ua-parser`, the uap-core project's regexes (the
//! reference data set, 362 browser and 201 OS patterns, shipped inside the
//! crate; device patterns not needed). Measured with a throwaway program
//! over the same seven User-Agents (Firefox, Chrome, Safari, iOS Safari,
//! Android Chrome, Edge, curl), mimalloc as here, RSS from
//! `/proc/self/status`, three runs each, optimised build:
//!
//! | | to build it | first name | RSS added | per User-Agent |
//! |---|---|---|---|---|
//! | `ua-parser` (browser and OS) | 37–51 ms | 37–51 ms | 14.6 MB | 4–5 µs |
//! | `woothee` | nothing | 0.34 ms | 1.0 MB | 3–9 µs |
//!
//! (a debug build: 383–430 ms and 16.2 MB against 1.7–4.2 ms and 2.5 MB).
//! uap-core's set would take three quarters of the 20 MB idle budget the
//! moment the first session opens, and its parse of a JSON or YAML copy of
//! the data file; woothee is plain Rust with a few patterns compiled on
//! first use, names every browser and system a device name needs, and
//! tells tools apart from browsers. Both read the same names for the seven.
//! Nothing is read at start: the first sign-in pays the 0.34 ms.

mod client_hints;
mod user_agent;

pub(crate) mod alerts;
pub(crate) mod cookie;
pub(crate) mod known;

use crate::core::client::ClientInfo;
use crate::core::input::DEVICE_INFO_MAX_CHARS;

/// The name shown when nothing tells what the device is.
pub(crate) const UNKNOWN_DEVICE: &str = "Unknown device";

/// The device name the contract gives a session opened by `client`: the
/// client's own `deviceInfo` when it sent one, else a name read from its
/// User-Agent and client hints, else "Unknown device". At most 255
/// characters, as `deviceInfo` is.
pub(crate) fn device_name(device_info: Option<&str>, client: &ClientInfo) -> String {
    if let Some(given) = device_info.map(str::trim).filter(|given| !given.is_empty()) {
        return given.chars().take(DEVICE_INFO_MAX_CHARS).collect();
    }
    read_from_headers(client).unwrap_or_else(|| UNKNOWN_DEVICE.to_owned())
}

/// "Browser on OS", or whichever of the two is known, from the client
/// hints where they say it and the User-Agent for the rest.
fn read_from_headers(client: &ClientInfo) -> Option<String> {
    let reading = client
        .user_agent
        .as_deref()
        .map(user_agent::read)
        .unwrap_or_default();
    let browser = client
        .brands_hint
        .as_deref()
        .and_then(client_hints::browser)
        .or(reading.browser);
    let os = client
        .platform_hint
        .as_deref()
        .and_then(client_hints::platform)
        .or(reading.os);
    match (browser, os) {
        (Some(browser), Some(os)) => Some(format!("{browser} on {os}")),
        (Some(only), None) | (None, Some(only)) => Some(only),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_user_agent(user_agent: &str) -> String {
        let client = ClientInfo {
            user_agent: Some(user_agent.to_owned()),
            ..ClientInfo::default()
        };
        device_name(None, &client)
    }

    fn with_hints(
        user_agent: Option<&str>,
        brands: Option<&str>,
        platform: Option<&str>,
    ) -> String {
        let client = ClientInfo {
            user_agent: user_agent.map(str::to_owned),
            brands_hint: brands.map(str::to_owned),
            platform_hint: platform.map(str::to_owned),
            ..ClientInfo::default()
        };
        device_name(None, &client)
    }

    const CHROME_ON_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    #[test]
    fn browsers_and_systems_of_real_user_agents() {
        for (user_agent, name) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on macOS",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            (CHROME_ON_WINDOWS, "Chrome on Windows"),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome on macOS",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
                "Safari on iPadOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
                "Firefox on iOS",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome on ChromeOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
                "Samsung Internet on Android",
            ),
        ] {
            assert_eq!(from_user_agent(user_agent), name, "{user_agent}");
        }
    }

    #[test]
    fn tools_crawlers_and_apps_get_a_short_name() {
        assert_eq!(from_user_agent("curl/8.5.0"), "curl");
        assert_eq!(from_user_agent("Wget/1.21.4"), "Wget");
        assert_eq!(from_user_agent("python-requests/2.31.0"), "python-requests");
        assert_eq!(
            from_user_agent(
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
            ),
            "Googlebot"
        );
        assert_eq!(
            from_user_agent("MyApp/1.0 CFNetwork/1410.0.3 Darwin/22.6.0"),
            "MyApp on iOS"
        );
    }

    #[test]
    fn nothing_readable_is_an_unknown_device() {
        assert_eq!(device_name(None, &ClientInfo::default()), UNKNOWN_DEVICE);
        for user_agent in ["", "-", "Mozilla/5.0", "asdf", "\u{0}\u{1}/1", "(((((("] {
            assert_eq!(
                from_user_agent(user_agent),
                UNKNOWN_DEVICE,
                "{user_agent:?}"
            );
        }
        assert_eq!(
            with_hints(None, Some(r#""Not A(Brand";v="8""#), Some(r#""Unknown""#)),
            UNKNOWN_DEVICE
        );
    }

    #[test]
    fn names_never_hold_a_version() {
        let name =
            from_user_agent("Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko");
        assert_eq!(name, "Internet Explorer on Windows");
        assert_eq!(from_user_agent("Java/17.0.2"), "Java");
    }

    #[test]
    fn device_info_wins_trimmed_and_bounded() {
        let client = ClientInfo {
            user_agent: Some(CHROME_ON_WINDOWS.to_owned()),
            ..ClientInfo::default()
        };
        assert_eq!(device_name(Some(" Kim's laptop "), &client), "Kim's laptop");
        assert_eq!(device_name(Some("  "), &client), "Chrome on Windows");
        assert_eq!(device_name(None, &client), "Chrome on Windows");
        let long = "x".repeat(DEVICE_INFO_MAX_CHARS + 10);
        assert_eq!(
            device_name(Some(&long), &client).chars().count(),
            DEVICE_INFO_MAX_CHARS
        );
    }

    #[test]
    fn client_hints_say_what_they_say_and_the_user_agent_the_rest() {
        let brave = r#""Brave";v="131", "Chromium";v="131", "Not_A Brand";v="24""#;
        assert_eq!(
            with_hints(Some(CHROME_ON_WINDOWS), Some(brave), None),
            "Brave on Windows"
        );
        assert_eq!(
            with_hints(Some(CHROME_ON_WINDOWS), None, Some(r#""Linux""#)),
            "Chrome on Linux",
            "the platform overrides the User-Agent's system"
        );
        let chrome = r#""Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99""#;
        assert_eq!(
            with_hints(None, Some(chrome), Some(r#""Windows""#)),
            "Chrome on Windows"
        );
        assert_eq!(with_hints(None, Some(chrome), None), "Chrome");
        assert_eq!(with_hints(None, None, Some(r#""macOS""#)), "macOS");
        // GREASE alone says nothing: the User-Agent names the browser.
        assert_eq!(
            with_hints(
                Some(CHROME_ON_WINDOWS),
                Some(r#""Not)A;Brand";v="99""#),
                Some(r#""Windows""#)
            ),
            "Chrome on Windows"
        );
        // A malformed list is ignored, not half read.
        assert_eq!(
            with_hints(
                Some(CHROME_ON_WINDOWS),
                Some(r#""Opera";v="1", Chromium"#),
                None
            ),
            "Chrome on Windows"
        );
    }

    /// Headers near real ones (one character changed) and far from them
    /// (anything) never panic and always give a name that fits the column.
    #[test]
    fn any_headers_give_a_bounded_name() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};

        fn near(real: &'static str) -> impl Strategy<Value = String> {
            let len = real.chars().count();
            prop_oneof![
                any::<String>(),
                (0..len, any::<char>()).prop_map(move |(at, c)| {
                    let mut chars: Vec<char> = real.chars().collect();
                    chars[at] = c;
                    chars.into_iter().collect()
                }),
            ]
        }
        let headers = (
            near(CHROME_ON_WINDOWS),
            near(r#""Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99""#),
            near(r#""Windows""#),
        );
        let mut runner = TestRunner::new(Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&headers, |(user_agent, brands, platform)| {
                let name = with_hints(Some(&user_agent), Some(&brands), Some(&platform));
                prop_assert!(!name.is_empty());
                prop_assert!(name.chars().count() <= DEVICE_INFO_MAX_CHARS);
                Ok(())
            })
            .unwrap();
    }
}
