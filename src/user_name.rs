//! The one written form of a user name, and the key two names share when they
//! are one user. Shared by the services that create and look up users and by
//! the start-up step that brings names stored by earlier versions to it.
//!
//! Names are kept in Unicode NFC (composed): "Zoë" typed on one keyboard may
//! arrive as `o` + U+0308 from another, and both must be one account. The key
//! is the Unicode lower case of the NFC form, normalised again (lower-casing
//! can in principle leave a composable pair behind). Nothing else is folded:
//! accents and spaces count.

use unicode_normalization::UnicodeNormalization;

/// The name as it is kept and shown: its NFC form.
pub(crate) fn written_form(user_name: &str) -> String {
    user_name.nfc().collect()
}

/// The key that uniqueness, lookup and the throttle go by.
pub(crate) fn match_key(user_name: &str) -> String {
    let lower = user_name.nfc().collect::<String>().to_lowercase();
    lower.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_share_one_form_and_one_key() {
        let (composed, decomposed) = ("Zo\u{eb}", "Zoe\u{308}");
        assert_eq!(written_form(decomposed), composed);
        assert_eq!(written_form(composed), composed);
        assert_eq!(match_key(decomposed), "zo\u{eb}");
        assert_eq!(match_key(&decomposed.to_uppercase()), "zo\u{eb}");
        // Hangul jamo compose into the syllable.
        assert_eq!(written_form("\u{1100}\u{1161}"), "\u{ac00}");
    }

    #[test]
    fn nothing_but_case_and_normalisation_is_folded() {
        assert_ne!(match_key("élodie"), match_key("elodie"));
        assert_ne!(match_key("june doe"), match_key("junedoe"));
        assert_eq!(match_key("June_Doe"), "june_doe");
    }
}
