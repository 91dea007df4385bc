//! A refresh token as a client sends it: parsing never panics, and nothing
//! made up passes the MAC check.
#![no_main]

use authql::core::tokens::refresh_token::RefreshTokens;
use authql::secret::Secret;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let tokens = RefreshTokens::new(&Secret::from("fuzz-secret-fuzz-secret-fuzz-secret-01"));
    if let Some(presented) = tokens.parse(token) {
        assert!(
            !tokens.is_authentic(&presented, "the session's own secret"),
            "a made-up token passed the MAC check: {token:?}"
        );
    }
});
