//! A JWKS consumer that is not ours: the npm `jose` library
//! (`createRemoteJWKSet` + `jwtVerify`, in `tests/jwks-consumer/`) fetches
//! `/.well-known/jwks.json` over a real socket and verifies authql's tokens,
//! for each algorithm, before and after a key rotation.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use authql::core::keys::signing_key::SigningAlgorithm;
use authql_testkit::{Backend, TestServer, access_token, both_backends};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::signing::{jwt_header, key_files, kid_of, signed_with};

both_backends!(jose_verifies_tokens_across_a_rotation);

/// `tests/jwks-consumer`, its npm packages installed (once per test run).
fn consumer_dir() -> &'static Path {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jwks-consumer");
        if !dir.join("node_modules/jose").is_dir() {
            let installed = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .status()
                .expect("npm runs (Node.js 20 and npm are needed for this test)");
            assert!(installed.success(), "npm ci in {}", dir.display());
        }
        dir
    })
}

/// What jose says of each token, fetching the keys from `server`.
async fn jose_verdicts(
    server: &TestServer,
    algorithm: SigningAlgorithm,
    tokens: &[&str],
) -> Vec<Value> {
    let addr = server.listen().await;
    let url = format!("http://{addr}/.well-known/jwks.json");
    let mut command = Command::new("node");
    command
        .arg("verify.mjs")
        .arg(&url)
        .arg(algorithm.as_str())
        .args(tokens)
        .current_dir(consumer_dir());
    // Off the runtime's threads: the server answering node runs on them.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("node task")
        .expect("node runs");
    assert!(
        output.status.success(),
        "node verify.mjs: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON verdict a line"))
        .collect();
    assert_eq!(verdicts.len(), tokens.len());
    verdicts
}

async fn jose_verifies_tokens_across_a_rotation(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    for algorithm in [SigningAlgorithm::EdDsa, SigningAlgorithm::Es256] {
        let (old_key, old_public) = key_files(dir.path(), &format!("old-{algorithm}"), algorithm);
        let (new_key, new_public) = key_files(dir.path(), &format!("new-{algorithm}"), algorithm);
        let before = TestServer::start_with(backend, signed_with(algorithm, &old_key)).await;
        let user_id = before.add_user("ola", "pw").await;
        let old_token = access_token(&before.login("ola", "pw").await);

        let first = jose_verdicts(&before, algorithm, &[&old_token]).await;
        assert_eq!(first[0]["ok"], true, "{algorithm}: {}", first[0]);
        assert_eq!(first[0]["sub"], user_id.as_str());
        assert_eq!(first[0]["kid"], kid_of(&old_public));

        let previous = old_public.clone();
        let rotated = before
            .second()
            .with_config(signed_with(algorithm, &new_key))
            .with_config(move |c| c.access_signing.previous_public_keys = vec![previous.clone()])
            .serve();
        let new_token = access_token(&rotated.login("ola", "pw").await);
        assert_eq!(jwt_header(&new_token)["kid"], kid_of(&new_public));
        let both = jose_verdicts(&rotated, algorithm, &[&old_token, &new_token]).await;
        assert_eq!(
            both[0]["ok"], true,
            "{algorithm} old token after rotation: {}",
            both[0]
        );
        assert_eq!(both[1]["ok"], true, "{algorithm} new token: {}", both[1]);

        let dropped = before.second_server_with(signed_with(algorithm, &new_key));
        let last = jose_verdicts(&dropped, algorithm, &[&old_token, &new_token]).await;
        assert_eq!(
            last[0]["ok"], false,
            "{algorithm} old key dropped: {}",
            last[0]
        );
        assert_eq!(last[0]["error"], "ERR_JWKS_NO_MATCHING_KEY");
        assert_eq!(last[1]["ok"], true);

        // And a token whose signature is one bit off fails.
        let (signed, signature) = new_token.rsplit_once('.').expect("a JWT");
        let mut signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
        signature[0] ^= 1;
        let tampered = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature));
        let refused = jose_verdicts(&dropped, algorithm, &[&tampered]).await;
        assert_eq!(refused[0]["ok"], false, "{}", refused[0]);
        assert_eq!(refused[0]["error"], "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    }
}
