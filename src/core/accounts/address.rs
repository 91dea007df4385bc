//! Email addresses as the contract takes them: 3 to 254 characters, one
//! `@`, a local part of 1 to 64 characters and a domain; compared in lower
//! case, shown as given. Nothing is looked up (no DNS): a mail that cannot
//! be delivered is the SMTP server's to bounce.

use crate::error::AppError;

/// An address that passed [`EmailAddress::parse`]: as given, and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EmailAddress {
    /// As the user typed it (surrounding white space trimmed).
    pub shown: String,
    /// Lower case: what uniqueness and lookups compare.
    pub key: String,
}

impl EmailAddress {
    /// The address, or `BAD_USER_INPUT` saying what is wrong with it.
    pub(crate) fn parse(given: &str) -> Result<EmailAddress, AppError> {
        let shown = given.trim();
        let chars = shown.chars().count();
        if !(3..=254).contains(&chars) {
            return Err(bad("an email address is 3 to 254 characters"));
        }
        if shown.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(
                "an email address holds no spaces or control characters",
            ));
        }
        let Some((local, domain)) = shown.split_once('@') else {
            return Err(bad("an email address has one @"));
        };
        if domain.contains('@') {
            return Err(bad("an email address has one @"));
        }
        if local.is_empty() || local.chars().count() > 64 {
            return Err(bad(
                "the part of an email address before @ is 1 to 64 characters",
            ));
        }
        if domain.is_empty()
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(bad("an email address needs a domain after @"));
        }
        Ok(EmailAddress {
            shown: shown.to_owned(),
            key: shown.to_lowercase(),
        })
    }
}

fn bad(message: &str) -> AppError {
    AppError::BadUserInput(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_bounded_and_keyed_in_lower_case() {
        let ana = EmailAddress::parse(" Ana@Example.COM ").unwrap();
        assert_eq!(ana.shown, "Ana@Example.COM");
        assert_eq!(ana.key, "ana@example.com");
        assert!(EmailAddress::parse("a@b").is_ok());
        let local = "l".repeat(64);
        assert!(EmailAddress::parse(&format!("{local}@example.com")).is_ok());
        for bad in [
            "",
            "ab",
            "no-at.example.com",
            "two@@example.com",
            "a@b@c",
            "@example.com",
            "ana@",
            "ana@.com",
            "ana@example.",
            "an a@example.com",
            "ana\u{7}@example.com",
            &format!("{}l@example.com", "l".repeat(64)),
            &format!("a@{}", "d".repeat(253)),
        ] {
            assert!(
                matches!(EmailAddress::parse(bad), Err(AppError::BadUserInput(_))),
                "{bad:?}"
            );
        }
    }
}
