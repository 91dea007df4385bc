//! Argon2id hashing and verification, off the async executor and bounded in
//! how many run at once, so that a login flood neither exhausts memory nor
//! stalls other requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{Output, PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::OnceCell;

use crate::core::credentials::hash_memory::HashMemory;
use crate::core::credentials::hash_workers::HashWorkers;

use crate::config::Argon2Cost;
use crate::error::{AppError, InternalCause};
use crate::secret::{ExposeSecret, Secret};

/// The result of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    pub matches: bool,
    /// The stored hash is weaker than the current cost and should be replaced.
    pub needs_rehash: bool,
}

/// Hashes and verifies passwords at one configured cost.
pub struct Passwords {
    cost: Argon2Cost,
    workers: HashWorkers,
    /// Verification's working memory, shared by the hashing threads.
    memory: Arc<HashMemory>,
    /// A hash of a random password, verified against for unknown user names so
    /// that they cost the same work as a wrong password.
    dummy_hash: OnceCell<String>,
    /// Jobs that asked for a hashing thread and have not started yet.
    waiting: Arc<AtomicUsize>,
}

/// A job's place among those waiting for a hashing thread; it leaves when the
/// job starts, or when its caller goes away first.
struct Waiting(Arc<AtomicUsize>);

impl Waiting {
    fn join(count: &Arc<AtomicUsize>) -> Waiting {
        count.fetch_add(1, Ordering::AcqRel);
        Waiting(count.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Passwords {
    /// `concurrency` hashes may run at once, on threads of their own; more
    /// wait their turn.
    pub fn new(cost: Argon2Cost, concurrency: usize) -> std::io::Result<Self> {
        Ok(Passwords {
            cost,
            workers: HashWorkers::start(concurrency)?,
            memory: Arc::new(HashMemory::new(
                usize::try_from(cost.memory_kib).unwrap_or(usize::MAX),
            )),
            dummy_hash: OnceCell::new(),
            waiting: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// How many hashes may run at once.
    pub fn concurrency(&self) -> usize {
        self.workers.size()
    }

    /// A new PHC-format Argon2id hash of `password`.
    pub async fn hash(&self, password: &Secret) -> Result<String, AppError> {
        let cost = self.cost;
        let password = password.clone();
        self.run_blocking(move || hash_now(cost, password.expose_secret()))
            .await?
    }

    /// As [`Passwords::hash`], for a request: None when no hashing thread
    /// was free before `deadline` (nothing was hashed), so that a queue
    /// anyone can lengthen never holds it to the HTTP request timeout.
    pub(crate) async fn hash_before(
        &self,
        password: &Secret,
        deadline: tokio::time::Instant,
    ) -> Result<Option<String>, AppError> {
        let cost = self.cost;
        let password = password.clone();
        let waiting = Waiting::join(&self.waiting);
        let hashed = self
            .workers
            .run_before(deadline, move || {
                drop(waiting);
                hash_now(cost, password.expose_secret())
            })
            .await?;
        hashed.transpose()
    }

    /// Checks `password` against `stored`, or against the dummy hash when the
    /// user does not exist (`stored` is None); the answer is then "no match".
    /// None when no hashing thread was free before `deadline`: nothing was
    /// checked.
    pub async fn verify(
        &self,
        password: &Secret,
        stored: Option<&str>,
        deadline: tokio::time::Instant,
    ) -> Result<Option<Verification>, AppError> {
        let (hash, is_real) = match stored {
            Some(hash) => (hash.to_owned(), true),
            None => (self.dummy_hash().await?.to_owned(), false),
        };
        let cost = self.cost;
        let password = password.clone();
        let memory = self.memory.clone();
        let _in_line = self.memory.join_line();
        let waiting = Waiting::join(&self.waiting);
        let verification = self
            .workers
            .run_before(deadline, move || {
                drop(waiting);
                verify_now(&memory, cost, password.expose_secret(), &hash)
            })
            .await?;
        let Some(verification) = verification.transpose()? else {
            return Ok(None);
        };
        Ok(Some(Verification {
            matches: verification.matches && is_real,
            needs_rehash: verification.needs_rehash && is_real,
        }))
    }

    async fn dummy_hash(&self) -> Result<&str, AppError> {
        self.dummy_hash
            .get_or_try_init(|| async {
                self.hash(&Secret::from(crate::core::ids::new_secret()))
                    .await
            })
            .await
            .map(String::as_str)
    }

    /// How many hashes (and holds) wait for a hashing thread right now, not
    /// counting those running. For tests and drills that must know a
    /// request has reached the queue.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// Occupies one hashing thread, as a long hash would, until `release`
    /// receives a message or its sender is dropped; `started` is called once
    /// the thread is taken. It waits its turn like any hash. For tests and
    /// drills of what happens while requests wait for a hash: a hash itself
    /// is CPU work of a fixed length, so nothing else can hold a thread for
    /// as long as one chooses.
    pub async fn occupy_thread(
        &self,
        started: impl FnOnce() + Send + 'static,
        release: std::sync::mpsc::Receiver<()>,
    ) -> Result<(), AppError> {
        self.run_blocking(move || {
            started();
            // A message or a dropped sender both end the hold.
            let _ = release.recv();
        })
        .await
    }

    /// Runs CPU-heavy work on a hashing thread once one is free.
    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let waiting = Waiting::join(&self.waiting);
        self.workers
            .run(move || {
                drop(waiting);
                work()
            })
            .await
    }
}

fn argon2(cost: Argon2Cost) -> Result<Argon2<'static>, AppError> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|e| AppError::internal(InternalCause::PasswordHash(e.to_string())))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(cost: Argon2Cost, password: &str) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| AppError::internal(InternalCause::PasswordHash(e.to_string())))?;
    argon2(cost)?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::internal(InternalCause::PasswordHash(e.to_string())))
}

fn verify_now(
    memory: &HashMemory,
    cost: Argon2Cost,
    password: &str,
    stored: &str,
) -> Result<Verification, AppError> {
    let failed = |e: argon2::password_hash::Error| {
        AppError::internal(InternalCause::PasswordHash(e.to_string()))
    };
    let parsed = PasswordHash::new(stored).map_err(failed)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(failed(argon2::password_hash::Error::PhcStringField));
    };
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(failed)?;
    let version = match parsed.version {
        Some(number) => Version::try_from(number).map_err(|e| failed(e.into()))?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(failed)?;
    let mut salt_buffer = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buffer).map_err(failed)?;
    let mut computed = vec![0u8; expected.len()];
    memory
        .with_blocks(params.block_count(), |blocks| {
            Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut computed,
                blocks,
            )
        })
        .map_err(|e| failed(e.into()))?;
    // `Output` compares in constant time.
    let matches = Output::new(&computed).map_err(failed)? == expected;
    Ok(Verification {
        matches,
        needs_rehash: is_weaker(&parsed, cost),
    })
}

/// Whether a stored hash was made with less than the current cost.
fn is_weaker(parsed: &PasswordHash<'_>, cost: Argon2Cost) -> bool {
    if parsed.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(parsed) {
        Ok(params) => {
            params.m_cost() < cost.memory_kib
                || params.t_cost() < cost.iterations
                || params.p_cost() < cost.parallelism
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soon() -> tokio::time::Instant {
        tokio::time::Instant::now() + std::time::Duration::from_secs(30)
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let passwords = Passwords::new(Argon2Cost::OWASP_MINIMUM, 2).unwrap();
        let hash = passwords
            .hash(&Secret::from("correct horse"))
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let good = passwords
            .verify(&Secret::from("correct horse"), Some(&hash), soon())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            good,
            Verification {
                matches: true,
                needs_rehash: false
            }
        );
        let bad = passwords
            .verify(&Secret::from("wrong"), Some(&hash), soon())
            .await
            .unwrap()
            .unwrap();
        assert!(!bad.matches);
        let unknown = passwords
            .verify(&Secret::from("correct horse"), None, soon())
            .await
            .unwrap()
            .unwrap();
        assert!(!unknown.matches);
    }

    #[test]
    fn kept_memory_verification_agrees_with_the_argon2_crate() {
        use argon2::password_hash::PasswordVerifier;
        let cost = Argon2Cost::OWASP_MINIMUM;
        let memory = HashMemory::new(19456);
        let _another_login = memory.join_line();
        let variants = [
            (
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(19456, 2, 1, None).unwrap(),
            ),
            (
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(8192, 3, 2, Some(16)).unwrap(),
            ),
            (
                Algorithm::Argon2i,
                Version::V0x10,
                Params::new(4096, 2, 1, None).unwrap(),
            ),
            // More memory than the kept buffer: the one-off path.
            (
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(32768, 1, 1, None).unwrap(),
            ),
        ];
        for (algorithm, version, params) in variants {
            let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
            let hash = Argon2::new(algorithm, version, params)
                .hash_password(b"pw", &salt)
                .unwrap()
                .to_string();
            let parsed = PasswordHash::new(&hash).unwrap();
            for candidate in ["pw", "pW", ""] {
                let ours = verify_now(&memory, cost, candidate, &hash).unwrap().matches;
                let theirs = Argon2::default()
                    .verify_password(candidate.as_bytes(), &parsed)
                    .is_ok();
                assert_eq!(ours, theirs, "{hash} with {candidate:?}");
            }
        }
    }

    #[tokio::test]
    async fn weaker_hashes_ask_for_an_upgrade() {
        let stronger = Argon2Cost {
            iterations: 3,
            ..Argon2Cost::OWASP_MINIMUM
        };
        let old = Passwords::new(Argon2Cost::OWASP_MINIMUM, 1).unwrap();
        let hash = old.hash(&Secret::from("pw")).await.unwrap();
        let new = Passwords::new(stronger, 1).unwrap();
        let verification = new
            .verify(&Secret::from("pw"), Some(&hash), soon())
            .await
            .unwrap()
            .unwrap();
        assert!(verification.matches && verification.needs_rehash);
    }
}
