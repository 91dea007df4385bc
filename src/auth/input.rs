//! The contract's input bounds, and how user names are folded for matching.

use crate::error::AppError;

/// Longest user name, in characters.
pub(crate) const USER_NAME_MAX_CHARS: usize = 64;
/// Longest password, in bytes.
pub(crate) const PASSWORD_MAX_BYTES: usize = 1024;
/// Longest device label, in characters.
pub(crate) const DEVICE_INFO_MAX_CHARS: usize = 255;
/// A longer `User-Agent` is cut to this many characters.
pub(crate) const USER_AGENT_MAX_CHARS: usize = 512;

/// The key two user names share when they are the same user: their Unicode
/// lower-case form. Nothing else is folded (accents and spaces count).
pub(crate) fn fold_user_name(user_name: &str) -> String {
    user_name.to_lowercase()
}

/// A user name of 1 to 64 characters.
pub(crate) fn check_user_name(user_name: &str) -> Result<(), AppError> {
    let chars = user_name.chars().count();
    if chars == 0 || chars > USER_NAME_MAX_CHARS {
        return Err(AppError::BadUserInput(format!(
            "userName must be 1 to {USER_NAME_MAX_CHARS} characters"
        )));
    }
    Ok(())
}

/// A user name fit to create: the login bounds, and no control characters
/// (they would make the name impossible to type or to show).
pub(crate) fn check_new_user_name(user_name: &str) -> Result<(), AppError> {
    check_user_name(user_name)?;
    if user_name.chars().any(char::is_control) {
        return Err(AppError::BadUserInput(
            "userName must not contain control characters".into(),
        ));
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
        assert!(check_new_password(&"é".repeat(7), 8).is_err());
        assert!(check_new_password(&"é".repeat(8), 8).is_ok());
        assert!(check_new_password(&"x".repeat(1025), 8).is_err());
    }
}
