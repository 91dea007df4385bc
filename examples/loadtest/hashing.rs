//! The hashing bound of the login budget: how many logins per second the
//! server could at best answer, given that each needs one Argon2id verify and
//! `PASSWORD_HASH_CONCURRENCY` of them may run at once. One verify is timed
//! here, in this process, with the same parameters the server is given.
//!
//! For context the report also gives the verifies per second actually reached
//! with that many threads verifying at once on this machine (they share
//! caches and memory bandwidth, so this may fall short of the bound).

use std::sync::Barrier;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use authql::config::Argon2Cost;

use crate::BoxError;

/// Verifies timed per measurement; the median single time is taken.
const SAMPLES: usize = 9;
/// Verifies per thread when several verify at once.
const PARALLEL_SAMPLES: usize = 40;
const PASSWORD: &[u8] = b"loadtest password";

/// An Argon2id hasher at one cost, with a stored hash to verify against.
pub struct Verifier {
    argon2: Argon2<'static>,
    hash: String,
}

impl Verifier {
    /// Hashes a password at `cost`, as `authql user add` would.
    pub fn new(cost: Argon2Cost) -> Result<Verifier, BoxError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| format!("argon2 parameters: {e}"))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| format!("argon2 salt: {e}"))?;
        let hash = argon2
            .hash_password(PASSWORD, &salt)
            .map_err(|e| format!("argon2 hash: {e}"))?
            .to_string();
        Ok(Verifier { argon2, hash })
    }

    fn verify(&self) -> Result<(), BoxError> {
        let parsed = PasswordHash::new(&self.hash).map_err(|e| format!("argon2 hash: {e}"))?;
        self.argon2
            .verify_password(PASSWORD, &parsed)
            .map_err(|e| format!("argon2 verify: {e}").into())
    }

    /// The median time of one verify, nothing else running in this process.
    pub fn time_one(&self) -> Result<Duration, BoxError> {
        let mut times = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            let started = Instant::now();
            self.verify()?;
            times.push(started.elapsed());
        }
        times.sort();
        Ok(times[SAMPLES / 2])
    }

    /// Verifies per second reached by `threads` threads verifying at once,
    /// each warmed up by one verify before the clock starts.
    pub fn parallel_per_sec(&self, threads: usize) -> Result<f64, BoxError> {
        let start_line = Barrier::new(threads + 1);
        let run = || -> Result<(), BoxError> {
            let warmed_up = self.verify();
            start_line.wait();
            warmed_up?;
            (0..PARALLEL_SAMPLES).try_for_each(|_| self.verify())
        };
        let elapsed = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads).map(|_| scope.spawn(run)).collect();
            start_line.wait();
            let started = Instant::now();
            for worker in workers {
                worker.join().map_err(|_| "a hashing thread panicked")??;
            }
            Ok::<_, BoxError>(started.elapsed())
        })?;
        Ok((threads * PARALLEL_SAMPLES) as f64 / elapsed.as_secs_f64())
    }
}

/// Logins per second when `concurrency` verifies of `one_verify` run at once.
pub fn bound_per_sec(concurrency: usize, one_verify: Duration) -> f64 {
    concurrency as f64 / one_verify.as_secs_f64()
}
