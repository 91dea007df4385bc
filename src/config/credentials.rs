//! Password hashing's settings: `ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`,
//! `ARGON2_PARALLELISM`.

/// Longest password, in bytes (a longer one is refused before hashing,
/// and `PASSWORD_MIN_LENGTH` may not exceed it).
pub(crate) const PASSWORD_MAX_BYTES: usize = 1024;

/// Argon2id cost, never below OWASP's minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Argon2Cost {
    /// OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
    pub const OWASP_MINIMUM: Argon2Cost = Argon2Cost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
}
