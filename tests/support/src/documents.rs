//! The GraphQL documents tests send more than once, each written once in
//! `documents/` (where an editor highlights and checks it), and readings of
//! the `AuthPayload` they answer with.
//!
//! A new operation is one file there and one line in `documents!` below;
//! the API tests check that every document here validates against the
//! served schema.

use serde_json::Value;

/// Declares each document as a constant and lists them all in [`ALL`].
macro_rules! documents {
    ($($(#[$doc:meta])* $name:ident = $file:literal;)+) => {
        $(
            $(#[$doc])*
            pub const $name: &str = include_str!(concat!("../documents/", $file));
        )+
        /// Every document with its file name, for the test that checks them
        /// all against the schema.
        pub const ALL: &[(&str, &str)] = &[$(($file, $name)),+];
    };
}

documents! {
    /// Every field of `AuthPayload`. Variables: `input`.
    LOGIN = "login.graphql";
    /// `refreshToken` with the fields tests look at. Variables: `token`;
    /// without it the refresh cookie is used.
    REFRESH = "refresh.graphql";
    /// `me { id userName }`.
    ME = "me.graphql";
    /// `mySessions`.
    MY_SESSIONS = "my_sessions.graphql";
    /// `logout`.
    LOGOUT = "logout.graphql";
    /// `logoutAll`. Variables: `exceptCurrent` (default false).
    LOGOUT_ALL = "logout_all.graphql";
    /// `logoutSession`. Variables: `id`.
    LOGOUT_SESSION = "logout_session.graphql";
    /// `changePassword`. Variables: `input`.
    CHANGE_PASSWORD = "change_password.graphql";
    /// The `sessionEvents` subscription, every field.
    SESSION_EVENTS = "session_events.graphql";
    /// `signUp`, with the first session when there is one. Variables: `input`.
    SIGN_UP = "sign_up.graphql";
    /// `verifyEmail`. Variables: `token`.
    VERIFY_EMAIL = "verify_email.graphql";
    /// `requestEmailVerification`. Variables: `email`.
    REQUEST_EMAIL_VERIFICATION = "request_email_verification.graphql";
    /// `requestPasswordReset`. Variables: `email`.
    REQUEST_PASSWORD_RESET = "request_password_reset.graphql";
    /// `resetPassword`. Variables: `input`.
    RESET_PASSWORD = "reset_password.graphql";
    /// `changeEmail`. Variables: `newEmail`.
    CHANGE_EMAIL = "change_email.graphql";
    /// `reportSignIn`. Variables: `token`.
    REPORT_SIGN_IN = "report_sign_in.graphql";
    /// `me` with its address.
    ACCOUNT = "account.graphql";
    /// `completeLogin`. Variables: `input`.
    COMPLETE_LOGIN = "complete_login.graphql";
    /// `reauthenticate`. Variables: `input`.
    REAUTHENTICATE = "reauthenticate.graphql";
    /// `enrollTotp`.
    ENROLL_TOTP = "enroll_totp.graphql";
    /// `confirmTotp`. Variables: `code`.
    CONFIRM_TOTP = "confirm_totp.graphql";
    /// `disableTotp`.
    DISABLE_TOTP = "disable_totp.graphql";
    /// `regenerateRecoveryCodes`.
    REGENERATE_RECOVERY_CODES = "regenerate_recovery_codes.graphql";
    /// `me { mfa }` and the sessions' assurance.
    ASSURANCE = "assurance.graphql";
    /// `beginPasskeyRegistration`.
    BEGIN_PASSKEY_REGISTRATION = "begin_passkey_registration.graphql";
    /// `finishPasskeyRegistration`. Variables: `input`.
    FINISH_PASSKEY_REGISTRATION = "finish_passkey_registration.graphql";
    /// `beginPasskeyLogin`.
    BEGIN_PASSKEY_LOGIN = "begin_passkey_login.graphql";
    /// `finishPasskeyLogin`, every field of the payload. Variables: `input`.
    FINISH_PASSKEY_LOGIN = "finish_passkey_login.graphql";
    /// `myPasskeys` and `me { mfa { totp passkeys } }`.
    MY_PASSKEYS = "my_passkeys.graphql";
    /// `mySecurityEvents` with every field. Variables: `first`, `before`.
    MY_SECURITY_EVENTS = "my_security_events.graphql";
    /// `renamePasskey`. Variables: `id`, `label`.
    RENAME_PASSKEY = "rename_passkey.graphql";
    /// `removePasskey`. Variables: `id`.
    REMOVE_PASSKEY = "remove_passkey.graphql";
}

/// The access token of an `AuthPayload`.
pub fn access_token(payload: &Value) -> String {
    payload["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_owned()
}

/// The refresh token of an `AuthPayload`.
pub fn refresh_token(payload: &Value) -> String {
    payload["refreshToken"]
        .as_str()
        .expect("refreshToken")
        .to_owned()
}

/// The session id of an `AuthPayload`.
pub fn session_id(payload: &Value) -> String {
    payload["session"]["id"]
        .as_str()
        .expect("session id")
        .to_owned()
}
