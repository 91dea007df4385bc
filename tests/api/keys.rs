//! `authql keys generate|public` and a server signing with the key files
//! they make, or with one it generates for itself on the first start.

use std::path::Path;

use authql::core::keys::signing_key::SigningAlgorithm;
use authql_testkit::documents::LOGIN;
use authql_testkit::{Backend, TestDb, both_backends};
use serde_json::json;

use crate::cli::{authql, one_line};
use crate::served::ServedProcess;
use crate::signing::jwt_header;

/// The `kid: …` line of a keys command's stderr.
fn printed_kid(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|line| line.strip_prefix("kid: "))
        .unwrap_or_else(|| panic!("no kid line in {stderr:?}"))
        .to_owned()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("key file")
        .permissions()
        .mode()
        & 0o777
}

/// `authql keys generate --algorithm ALGORITHM --out OUT`.
fn generate(algorithm: &str, out: &str) -> (bool, String, String) {
    authql(
        "sqlite://unused.db",
        &["keys", "generate", "--algorithm", algorithm, "--out", out],
        "",
        &[],
    )
}

#[test]
fn keys_generate_writes_a_private_key_and_prints_its_public_half() {
    let dir = tempfile::tempdir().expect("temp dir");
    for algorithm in ["EdDSA", "ES256"] {
        let out = dir.path().join(format!("{algorithm}.pem"));
        let out_arg = out.display().to_string();
        let (ok, stdout, stderr) = generate(algorithm, &out_arg);
        assert!(ok, "{stderr}");
        assert!(
            stdout.starts_with("-----BEGIN PUBLIC KEY-----\n"),
            "{stdout}"
        );
        assert!(stdout.ends_with("-----END PUBLIC KEY-----\n"), "{stdout}");
        let kid = printed_kid(&stderr);
        let public =
            authql::core::keys::signing_key::PublicKey::from_pem(&stdout).expect("public key");
        assert_eq!(public.kid(), kid);
        assert_eq!(public.algorithm().as_str(), algorithm);
        let private = std::fs::read_to_string(&out).expect("the key file");
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        #[cfg(unix)]
        assert_eq!(mode(&out), 0o600, "readable by its owner only");

        let (ok, shown, stderr) =
            authql("sqlite://unused.db", &["keys", "public", &out_arg], "", &[]);
        assert!(ok, "{stderr}");
        assert_eq!(
            (shown.as_str(), printed_kid(&stderr)),
            (stdout.as_str(), kid)
        );

        let (ok, _, stderr) = generate(algorithm, &out_arg);
        assert!(!ok, "an existing key file is never overwritten");
        assert!(one_line(&stderr).contains("File exists"), "{stderr}");
        assert_eq!(std::fs::read_to_string(&out).expect("key"), private);
    }
    for refused in ["HS256", "RS256"] {
        let out = dir.path().join("refused.pem").display().to_string();
        let (ok, _, stderr) = generate(refused, &out);
        assert!(!ok, "{refused}");
        assert!(stderr.contains("--algorithm"), "{stderr}");
    }
}

both_backends!(a_server_signs_with_the_key_files_it_is_given_or_makes);

/// Logs in on a served process and returns the access token's header.
fn token_header(server: &ServedProcess) -> serde_json::Value {
    let login = server.graphql(
        LOGIN,
        json!({ "input": { "userName": "kai", "password": "password-of-kai" } }),
        None,
    );
    let token = login.body["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("login: {}", login.body))
        .to_owned();
    jwt_header(&token)
}

async fn a_server_signs_with_the_key_files_it_is_given_or_makes(backend: Backend) {
    let db = TestDb::create(backend).await;
    let added = crate::cli::run(&db.url_text, &["user", "add", "kai"], "password-of-kai\n").await;
    assert!(added.0, "{}", added.2);
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("signing.pem");
    let key_arg = key.display().to_string();
    let (ok, _, stderr) = generate("ES256", &key_arg);
    assert!(ok, "{stderr}");
    let kid = printed_kid(&stderr);

    let given = ServedProcess::start(
        &db.url_text,
        &[
            ("JWT_ALGORITHM", "ES256"),
            ("JWT_PRIVATE_KEY_FILE", &key_arg),
        ],
    );
    let header = token_header(&given);
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("ES256"), Some(kid.as_str()))
    );
    drop(given);

    let made = ServedProcess::start(
        &db.url_text,
        &[("JWT_ALGORITHM", SigningAlgorithm::EdDsa.as_str())],
    );
    let kept = made.workdir().join("authql-jwt-key.pem");
    #[cfg(unix)]
    assert_eq!(mode(&kept), 0o600);
    let (ok, _, stderr) = authql(
        &db.url_text,
        &["keys", "public", &kept.display().to_string()],
        "",
        &[],
    );
    assert!(ok, "{stderr}");
    let header = token_header(&made);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"].as_str(), Some(printed_kid(&stderr).as_str()));
    assert!(
        !made.log_lines_with(&["authql-jwt-key.pem"]).is_empty(),
        "the log says where the generated key is kept"
    );
}
