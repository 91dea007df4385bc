//! The contract's input bounds, and how user names are folded for matching.
//!
//! A new user name must be one people can see and type: no Unicode control
//! (Cc) or format (Cf) character, which covers the zero-width ones and the
//! bidirectional controls that make a name display as another, and no white
//! space before or after it. The general category comes from the
//! `unicode-properties` crate (the Unicode tables, kept up to date there)
//! rather than a hand-written list that would fall behind new versions.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::error::AppError;
use crate::user_name;

/// Longest user name, in characters.
pub(crate) const USER_NAME_MAX_CHARS: usize = 64;
pub(crate) use crate::config::credentials::PASSWORD_MAX_BYTES;
/// Longest device label, in characters.
pub(crate) const DEVICE_INFO_MAX_CHARS: usize = 255;
/// A longer `User-Agent` is cut to this many characters.
pub(crate) const USER_AGENT_MAX_CHARS: usize = 512;
/// A longer `Sec-CH-UA` or `Sec-CH-UA-Platform` is cut to this many
/// characters (a browser's brand list is under 120).
pub(crate) const CLIENT_HINT_MAX_CHARS: usize = 256;

/// Longest role, in characters.
pub(crate) const ROLE_MAX_CHARS: usize = 64;

/// The key two user names share when they are the same user: the Unicode
/// lower case of their NFC form. Nothing else is folded (accents and spaces
/// count).
pub(crate) fn fold_user_name(user_name: &str) -> String {
    user_name::match_key(user_name)
}

/// The form a new user name is kept in (NFC).
pub(crate) fn new_user_name(user_name: &str) -> String {
    user_name::written_form(user_name)
}

/// A user name of 1 to 64 characters, counted in its NFC form (the one it
/// is kept in), so that another spelling of a stored name is never refused.
pub(crate) fn check_user_name(user_name: &str) -> Result<(), AppError> {
    let mut chars = user_name.chars().count();
    if chars > USER_NAME_MAX_CHARS {
        chars = user_name::written_form(user_name).chars().count();
    }
    if chars == 0 || chars > USER_NAME_MAX_CHARS {
        return Err(AppError::BadUserInput(format!(
            "userName must be 1 to {USER_NAME_MAX_CHARS} characters"
        )));
    }
    Ok(())
}

/// A user name fit to create, given in its NFC form ([`new_user_name`]):
/// the login bounds, no control or format character, and no white space
/// before or after it.
pub(crate) fn check_new_user_name(user_name: &str) -> Result<(), AppError> {
    check_user_name(user_name)?;
    let invisible = |c: char| {
        matches!(
            c.general_category(),
            GeneralCategory::Control | GeneralCategory::Format
        )
    };
    if user_name.chars().any(invisible) {
        return Err(AppError::BadUserInput(
            "userName must not contain control or format characters (zero-width, bidirectional)"
                .into(),
        ));
    }
    if user_name.trim() != user_name {
        return Err(AppError::BadUserInput(
            "userName must not begin or end with white space".into(),
        ));
    }
    Ok(())
}

/// A role: 1 to 64 of `a-z A-Z 0-9 _ . : -`, a token that goes into headers
/// and access tokens as it is.
pub(crate) fn check_role(role: &str) -> Result<(), AppError> {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-');
    if role.is_empty() || role.len() > ROLE_MAX_CHARS || !role.chars().all(is_token_char) {
        return Err(AppError::BadUserInput(format!(
            "role must be 1 to {ROLE_MAX_CHARS} of a-z A-Z 0-9 _ . : -"
        )));
    }
    Ok(())
}

/// A password of 1 to 1024 bytes.
pub(crate) fn check_password(password: &str) -> Result<(), AppError> {
    if password.is_empty() || password.len() > PASSWORD_MAX_BYTES {
        return Err(AppError::BadUserInput(format!(
            "password must be 1 to {PASSWORD_MAX_BYTES} bytes"
        )));
    }
    Ok(())
}

/// A password fit to set: at least `min_chars` characters (as people count
/// them, not bytes) and at most 1024 bytes.
pub(crate) fn check_new_password(password: &str, min_chars: usize) -> Result<(), AppError> {
    if password.chars().count() < min_chars || password.len() > PASSWORD_MAX_BYTES {
        return Err(AppError::BadUserInput(format!(
            "a new password must be at least {min_chars} characters and at most {PASSWORD_MAX_BYTES} bytes"
        )));
    }
    Ok(())
}

/// A device label of at most 255 characters.
pub(crate) fn check_device_info(device_info: Option<&str>) -> Result<(), AppError> {
    match device_info {
        Some(label) if label.chars().count() > DEVICE_INFO_MAX_CHARS => {
            Err(AppError::BadUserInput(format!(
                "deviceInfo must be at most {DEVICE_INFO_MAX_CHARS} characters"
            )))
        }
        _ => Ok(()),
    }
}

/// The first 512 characters of a `User-Agent`.
pub(crate) fn cut_user_agent(user_agent: &str) -> String {
    user_agent.chars().take(USER_AGENT_MAX_CHARS).collect()
}

/// The first 256 characters of a client hint.
pub(crate) fn cut_client_hint(hint: &str) -> String {
    hint.chars().take(CLIENT_HINT_MAX_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_is_unicode_lower_case_only() {
        assert_eq!(fold_user_name("June_Doe"), fold_user_name("june_doe"));
        assert_eq!(fold_user_name("ÉLODIE"), "élodie");
        assert_ne!(fold_user_name("élodie"), fold_user_name("elodie"));
        assert_ne!(fold_user_name("june doe"), fold_user_name("junedoe"));
    }

    #[test]
    fn bounds_count_characters_and_bytes() {
        assert!(check_user_name(&"é".repeat(64)).is_ok());
        assert!(check_user_name(&"é".repeat(65)).is_err());
        assert!(check_user_name("").is_err());
        assert!(check_password(&"é".repeat(512)).is_ok());
        assert!(check_password(&"é".repeat(513)).is_err());
        assert!(check_device_info(Some(&"x".repeat(256))).is_err());
        assert_eq!(cut_user_agent(&"ü".repeat(600)).chars().count(), 512);
        assert!(check_new_user_name("bad\nname").is_err());
        assert!(check_new_user_name("zero\u{200b}width").is_err());
        assert!(check_new_user_name("flip\u{202e}ped").is_err());
        assert!(check_new_user_name("trailing\u{2003}").is_err());
        assert!(check_new_user_name("June Doe").is_ok());
        assert!(check_new_user_name("Zo\u{eb}").is_ok());
        // 64 composed characters are within bounds in either spelling.
        assert!(check_user_name(&"e\u{301}".repeat(64)).is_ok());
        assert!(check_role("ops:read.v-1_A").is_ok());
        assert!(check_role(&"r".repeat(65)).is_err());
        assert!(check_role("").is_err());
        assert!(check_role("admin\r\n").is_err());
        assert!(check_role("r\u{f4}le").is_err());
        assert!(check_new_password(&"é".repeat(7), 8).is_err());
        assert!(check_new_password(&"é".repeat(8), 8).is_ok());
        assert!(check_new_password(&"x".repeat(1025), 8).is_err());
    }
}
