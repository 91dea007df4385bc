//! Passkeys' settings: `WEBAUTHN_RP_ID` and `WEBAUTHN_ORIGINS`, with the
//! contract's defaults taken from `PUBLIC_APP_URL` and
//! `CORS_ALLOWED_ORIGINS` (read first, by the accounts' and browsers'
//! settings).

use std::str::FromStr;

use super::ConfigError;
use super::browser::{Origin, host_and_port};
use super::vars::Vars;

/// The origin a browser shows when nothing else is configured.
const LOCAL_ORIGIN: &str = "http://localhost:8080";

/// Who the passkeys belong to, and where their ceremonies may run.
#[derive(Clone, Debug)]
pub struct PasskeySettings {
    /// The relying-party id: a host name, the passkeys' scope.
    pub rp_id: String,
    /// Origins whose ceremonies are accepted; each is the rp id's host or a
    /// subdomain of it (what browsers allow).
    pub origins: Vec<Origin>,
}

pub(super) fn passkey_settings<F: Fn(&str) -> Option<String>>(
    vars: &Vars<'_, F>,
    public_app_url: Option<&str>,
    cors_origins: &[Origin],
) -> Result<PasskeySettings, ConfigError> {
    let app_origin = public_app_url.and_then(origin_of_url);
    let rp_id = match vars.raw("WEBAUTHN_RP_ID") {
        Some(given) => check_rp_id(given.trim())?,
        None => app_origin
            .as_ref()
            .map_or_else(|| "localhost".to_owned(), |origin| origin.host.clone()),
    };
    let given_origins = vars.raw("WEBAUTHN_ORIGINS");
    let origins = match &given_origins {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(|origin| {
                Origin::from_str(origin).map_err(|error| ConfigError {
                    variable: "WEBAUTHN_ORIGINS",
                    problem: error.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => {
            let mut origins: Vec<Origin> = app_origin.into_iter().collect();
            for origin in cors_origins {
                if !origins.contains(origin) {
                    origins.push(origin.clone());
                }
            }
            if origins.is_empty() {
                origins.extend(Origin::from_str(LOCAL_ORIGIN).ok());
            }
            origins
        }
    };
    if origins.is_empty() {
        return Err(ConfigError {
            variable: "WEBAUTHN_ORIGINS",
            problem: "expected at least one origin".into(),
        });
    }
    // A browser refuses a ceremony whose rp id is not the page's host or a
    // parent of it: origins given for passkeys must fit, said at start
    // rather than at every sign-in. The defaults (CORS's origins, which a
    // server without passkeys sets for other reasons) are taken as they
    // are: one that does not fit is simply never used by a browser.
    if let Some(outside) = origins
        .iter()
        .find(|origin| given_origins.is_some() && !within_rp_id(&origin.host, &rp_id))
    {
        return Err(ConfigError {
            variable: "WEBAUTHN_ORIGINS",
            problem: format!(
                "{outside} is not on the relying-party id {rp_id:?} or a subdomain of it (set WEBAUTHN_RP_ID)"
            ),
        });
    }
    Ok(PasskeySettings { rp_id, origins })
}

/// Whether `host` is `rp_id` or a subdomain of it.
fn within_rp_id(host: &str, rp_id: &str) -> bool {
    host == rp_id
        || host
            .strip_suffix(rp_id)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

/// The origin of an http(s) URL (`PUBLIC_APP_URL`, already checked).
fn origin_of_url(url: &str) -> Option<Origin> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    Origin::from_str(&format!("{scheme}://{authority}")).ok()
}

/// A host name without scheme, port or path, in lower case.
fn check_rp_id(given: &str) -> Result<String, ConfigError> {
    let invalid = || ConfigError {
        variable: "WEBAUTHN_RP_ID",
        problem: format!("{given:?} is not a host name (no scheme, port or path)"),
    };
    if given.is_empty() || given.contains([':', '/', '[']) {
        return Err(invalid());
    }
    let (host, _) = host_and_port(given, super::browser::Scheme::Https).ok_or_else(invalid)?;
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        vars: &[(&str, &str)],
        app: Option<&str>,
        cors: &[&str],
    ) -> Result<PasskeySettings, ConfigError> {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        let vars = Vars(&lookup);
        let cors: Vec<Origin> = cors
            .iter()
            .filter_map(|o| Origin::from_str(o).ok())
            .collect();
        passkey_settings(&vars, app, &cors)
    }

    #[test]
    fn defaults_come_from_the_app_url_and_cors() {
        let found = settings(
            &[],
            Some("https://App.Example.com/base"),
            &["https://admin.example.com"],
        )
        .unwrap();
        assert_eq!(found.rp_id, "app.example.com");
        assert_eq!(found.origins.len(), 2);
        // CORS origins outside the rp id are kept as defaults, not refused.
        let wide = settings(
            &[],
            Some("https://app.example.com"),
            &["https://other.test"],
        )
        .unwrap();
        assert_eq!(wide.origins.len(), 2);
        let alone = settings(&[], None, &[]).unwrap();
        assert_eq!(alone.rp_id, "localhost");
        assert_eq!(alone.origins[0].to_string(), LOCAL_ORIGIN);
    }

    #[test]
    fn given_values_are_checked() {
        let found = settings(
            &[
                ("WEBAUTHN_RP_ID", "example.com"),
                (
                    "WEBAUTHN_ORIGINS",
                    "https://a.example.com, https://example.com",
                ),
            ],
            None,
            &[],
        )
        .unwrap();
        assert_eq!(found.origins.len(), 2);
        for bad in ["https://example.com", "example.com:443", "a b"] {
            assert_eq!(
                settings(&[("WEBAUTHN_RP_ID", bad)], None, &[])
                    .unwrap_err()
                    .variable,
                "WEBAUTHN_RP_ID"
            );
        }
        let outside = settings(
            &[
                ("WEBAUTHN_RP_ID", "example.com"),
                ("WEBAUTHN_ORIGINS", "https://badexample.com"),
            ],
            None,
            &[],
        );
        assert!(outside.is_err());
    }
}
