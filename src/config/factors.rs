//! Second factors' settings: `TOTP_ISSUER`. (How recent a proof must be,
//! `REAUTH_MAX_AGE_SECS`, is read with the accounts' settings, which came
//! first.)

use super::ConfigError;
use super::vars::Vars;

/// Longest `TOTP_ISSUER`: authenticator apps show it in a line.
const ISSUER_MAX_CHARS: usize = 64;

/// How TOTP presents itself.
#[derive(Clone, Debug)]
pub struct FactorSettings {
    /// The issuer authenticator apps show beside the user name.
    pub totp_issuer: String,
}

pub(super) fn factor_settings<F: Fn(&str) -> Option<String>>(
    vars: &Vars<'_, F>,
) -> Result<FactorSettings, ConfigError> {
    let issuer = vars.non_empty("TOTP_ISSUER", "authql")?.trim().to_owned();
    // A colon would split the otpauth label (ISSUER:NAME) in the wrong place.
    if issuer.is_empty() || issuer.contains(':') || issuer.chars().count() > ISSUER_MAX_CHARS {
        return Err(ConfigError {
            variable: "TOTP_ISSUER",
            problem: format!(
                "expected 1 to {ISSUER_MAX_CHARS} characters without a colon, got {issuer:?}"
            ),
        });
    }
    Ok(FactorSettings {
        totp_issuer: issuer,
    })
}
