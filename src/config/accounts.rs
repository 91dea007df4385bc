//! Accounts and mail: `SIGNUP_MODE`, `PUBLIC_APP_URL`, `SMTP_URL`,
//! `MAIL_FROM`, `REAUTH_MAX_AGE_SECS`, and ours: `UNVERIFIED_ACCOUNT_DAYS`, `MAIL_RETENTION_DAYS`.

use std::str::FromStr;

use chrono::TimeDelta;

use super::ConfigError;
use super::vars::Vars;
use crate::secret::Secret;

/// Who may create an account through `signUp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupMode {
    /// Only operators and admins create accounts (invitations still work).
    Closed,
    /// Anyone may sign up; the address is verified by mail.
    Open,
    /// `signUp` needs an invitation's token.
    Invite,
}

impl FromStr for SignupMode {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "closed" => Ok(SignupMode::Closed),
            "open" => Ok(SignupMode::Open),
            "invite" => Ok(SignupMode::Invite),
            _ => Err("expected closed, open or invite".into()),
        }
    }
}

/// The settings of accounts and mail.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub signup_mode: SignupMode,
    /// The web app's base URL, without a trailing `/`: mails link there.
    pub public_app_url: Option<String>,
    /// `SMTP_URL` in lettre's form; it may hold a password. None: no mail
    /// is sent, and the operations that only send mail are `FORBIDDEN`.
    pub smtp_url: Option<Secret>,
    /// The `From` of every mail.
    pub mail_from: String,
    /// An account never verified is deleted this long after sign-up.
    pub unverified_account_lifetime: TimeDelta,
    /// Sent or given-up mails are deleted this long after they were queued.
    pub mail_retention: TimeDelta,
    /// How recent a session's last proved credential must be for the
    /// operations that need recent authentication (`REAUTH_MAX_AGE_SECS`).
    pub reauth_max_age: TimeDelta,
}

impl AccountSettings {
    /// Whether mail can be sent (and its links made).
    pub fn mail_enabled(&self) -> bool {
        self.smtp_url.is_some() && self.public_app_url.is_some()
    }
}

pub(super) fn account_settings<F: Fn(&str) -> Option<String>>(
    vars: &Vars<'_, F>,
) -> Result<AccountSettings, ConfigError> {
    let signup_mode = vars.parse("SIGNUP_MODE", SignupMode::Closed)?;
    let public_app_url = match vars.raw("PUBLIC_APP_URL") {
        None => None,
        Some(url) => Some(check_app_url(url.trim())?),
    };
    let smtp_url = vars
        .raw("SMTP_URL")
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty());
    if let Some(url) = &smtp_url
        && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
    {
        return Err(ConfigError {
            variable: "SMTP_URL",
            problem: "expected smtp://HOST:PORT, smtp://USER:PASS@HOST:PORT?tls=required or smtps://USER:PASS@HOST:PORT".into(),
        });
    }
    if signup_mode != SignupMode::Closed {
        for (variable, missing) in [
            ("PUBLIC_APP_URL", public_app_url.is_none()),
            ("SMTP_URL", smtp_url.is_none()),
        ] {
            if missing {
                return Err(ConfigError {
                    variable,
                    problem: "needed when SIGNUP_MODE is not closed".into(),
                });
            }
        }
    }
    Ok(AccountSettings {
        signup_mode,
        public_app_url,
        smtp_url: smtp_url.map(Secret::from),
        mail_from: vars.non_empty("MAIL_FROM", "authql <no-reply@localhost>")?,
        unverified_account_lifetime: TimeDelta::days(i64::from(vars.bounded::<u32>(
            "UNVERIFIED_ACCOUNT_DAYS",
            7,
            1,
            366,
        )?)),
        mail_retention: TimeDelta::days(i64::from(vars.bounded::<u32>(
            "MAIL_RETENTION_DAYS",
            7,
            2,
            366,
        )?)),
        reauth_max_age: vars.delta("REAUTH_MAX_AGE_SECS", 300, 1)?,
    })
}

/// `http://` or `https://` and a host, kept without a trailing `/`.
fn check_app_url(url: &str) -> Result<String, ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty() && !rest.starts_with('/') && !url.contains(['#', '?', ' ']) =>
        {
            Ok(url.trim_end_matches('/').to_owned())
        }
        _ => Err(ConfigError {
            variable: "PUBLIC_APP_URL",
            problem: format!(
                "{url:?} is not an http:// or https:// URL without a query or fragment"
            ),
        }),
    }
}
