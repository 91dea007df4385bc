//! Recovery codes: ten per set, each 80 random bits written as four groups
//! of four characters of RFC 4648 base32 (lower case, as `abcd-efgh-ijkl-mnop`),
//! stored only as the SHA-256 of their normal form. A code's entropy makes
//! a salt or a slow hash pointless, as for the mails' tokens: a reader of
//! the table cannot turn a hash back into a code.

use sha2::{Digest, Sha256};

use crate::core::mail::seal::hex;
use crate::secret::Secret;

/// Codes per set.
pub(crate) const CODES_PER_SET: usize = 10;
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const CHARS: usize = 16;
/// Longest input taken as a recovery code: a code with every separator a
/// user might type, and some room.
pub(crate) const MAX_INPUT_CHARS: usize = 64;

/// A fresh set: the codes (shown once) and their hashes (stored).
pub(crate) fn new_set() -> (Vec<Secret>, Vec<String>) {
    (0..CODES_PER_SET)
        .map(|_| {
            let code = new_code();
            let hash = hash_of(&code);
            (Secret::from(code), hash)
        })
        .unzip()
}

fn new_code() -> String {
    let bytes = rand::random::<[u8; 10]>();
    // 80 bits as 16 base32 characters: 5 bits each.
    let mut bits: u128 = 0;
    for byte in bytes {
        bits = (bits << 8) | u128::from(byte);
    }
    let chars: Vec<u8> = (0..CHARS)
        .rev()
        .map(|i| ALPHABET[((bits >> (i * 5)) & 0x1f) as usize])
        .collect();
    chars
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as stored: lower case, without separators or spaces.
fn normal_form(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The stored hash of a code as typed (any case, with or without dashes).
pub(crate) fn hash_of(typed: &str) -> String {
    hex(&Sha256::digest(normal_form(typed).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ExposeSecret;

    #[test]
    fn a_set_is_ten_distinct_codes_of_eighty_bits() {
        let (codes, hashes) = new_set();
        assert_eq!(codes.len(), 10);
        let distinct: std::collections::BTreeSet<_> = hashes.iter().collect();
        assert_eq!(distinct.len(), 10);
        for code in &codes {
            let code = code.expose_secret();
            assert_eq!(code.len(), 19, "{code}");
            assert!(code.split('-').all(|group| group.len() == 4));
        }
    }

    #[test]
    fn a_code_is_found_however_it_is_typed() {
        let (codes, hashes) = new_set();
        let code = codes[0].expose_secret();
        assert_eq!(hash_of(code), hashes[0]);
        assert_eq!(hash_of(&code.to_uppercase()), hashes[0]);
        assert_eq!(hash_of(&code.replace('-', " ")), hashes[0]);
        assert_ne!(hash_of(&code[1..]), hashes[0]);
    }
}
