//! `JWT_ALGORITHM` `EdDSA` and `ES256`: tokens name their key (`kid`), the
//! JWKS publishes the current and previous public keys, the algorithm is
//! pinned, and a rotation keeps old tokens working until their key is dropped.

use std::path::{Path, PathBuf};

use authql::config::{Config, PrivateKeySource};
use authql::core::keys::signing_key::{PrivateKey, PublicKey, SigningAlgorithm};
use authql::secret::ExposeSecret;
use authql_testkit::documents::{LOGOUT, ME};
use authql_testkit::{Backend, TestServer, access_token, both_backends};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

both_backends!(
    tokens_name_their_key_and_the_jwks_publishes_it,
    the_algorithm_is_pinned_and_unknown_keys_are_refused,
    a_rotation_keeps_old_tokens_until_their_key_is_dropped,
);

/// A new private key in `dir/NAME.pem` and its public key in `dir/NAME.pub.pem`.
pub fn key_files(dir: &Path, name: &str, algorithm: SigningAlgorithm) -> (PathBuf, PathBuf) {
    let key = PrivateKey::generate(algorithm).expect("a key pair algorithm");
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub.pem"));
    std::fs::write(&private, key.to_pem().expect("pem").expose_secret()).expect("write key");
    std::fs::write(&public, key.public().to_pem().expect("pem")).expect("write key");
    (private, public)
}

/// The `kid` of a public key file, as anyone holding it computes it.
pub fn kid_of(public_key_file: &Path) -> String {
    let pem = std::fs::read_to_string(public_key_file).expect("read key");
    PublicKey::from_pem(&pem).expect("a public key").kid()
}

/// The header of a JWT, decoded.
pub fn jwt_header(token: &str) -> Value {
    let header = token.split('.').next().expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url")).expect("JSON")
}

/// Signs with `algorithm` and the private key in the file `key`.
pub fn signed_with(
    algorithm: SigningAlgorithm,
    key: &Path,
) -> impl Fn(&mut Config) + Send + Sync + 'static {
    let key = key.to_owned();
    move |c| {
        c.access_signing.algorithm = algorithm;
        c.access_signing.private_key = PrivateKeySource::Given(key.clone());
    }
}

async fn tokens_name_their_key_and_the_jwks_publishes_it(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    for algorithm in [SigningAlgorithm::EdDsa, SigningAlgorithm::Es256] {
        let (private, public) = key_files(dir.path(), algorithm.as_str(), algorithm);
        let app = TestServer::start_with(backend, signed_with(algorithm, &private)).await;
        app.add_user("kim", "pw").await;
        let token = access_token(&app.login("kim", "pw").await);

        let header = jwt_header(&token);
        assert_eq!(header["alg"], algorithm.as_str());
        assert_eq!(header["kid"], kid_of(&public));
        assert!(app.is_live(&token).await, "the guard takes it");
        let me = app.graphql_as(&token, ME).await;
        assert_eq!(me.data("me")["userName"], "kim");

        let jwks = app.request("GET", "/.well-known/jwks.json", &[]).await;
        assert_eq!(jwks.status, StatusCode::OK);
        assert_eq!(jwks.header("content-type"), "application/json");
        assert_eq!(jwks.header("cache-control"), "public, max-age=300");
        let keys = jwks.body["keys"].as_array().expect("keys").clone();
        assert_eq!(keys.len(), 1);
        let key = &keys[0];
        assert_eq!(key["kid"], kid_of(&public));
        assert_eq!(key["alg"], algorithm.as_str());
        assert_eq!(key["use"], "sig");
        match algorithm {
            SigningAlgorithm::EdDsa => {
                assert_eq!(
                    (&key["kty"], &key["crv"]),
                    (&"OKP".into(), &"Ed25519".into())
                );
                assert!(key.get("y").is_none());
            }
            _ => {
                assert_eq!((&key["kty"], &key["crv"]), (&"EC".into(), &"P-256".into()));
                assert_eq!(
                    URL_SAFE_NO_PAD
                        .decode(key["y"].as_str().unwrap())
                        .unwrap()
                        .len(),
                    32
                );
            }
        }
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(key["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
        assert!(key.get("d").is_none(), "no private part is published");

        // A well-signed token is still only as good as its session.
        let logout = app.graphql_as(&token, LOGOUT).await;
        assert_eq!(logout.data("logout"), true);
        assert!(
            !app.is_live(&token).await,
            "{algorithm}: refused once ended"
        );
    }
    let hs256 = TestServer::start(backend).await;
    let jwks = hs256.request("GET", "/.well-known/jwks.json", &[]).await;
    assert_eq!(
        jwks.status,
        StatusCode::NOT_FOUND,
        "HS256 publishes nothing"
    );
}

async fn the_algorithm_is_pinned_and_unknown_keys_are_refused(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let hs256 = TestServer::start(backend).await;
    hs256.add_user("lee", "pw").await;
    let (eddsa_key, eddsa_public) = key_files(dir.path(), "ed", SigningAlgorithm::EdDsa);
    let (es256_key, _) = key_files(dir.path(), "ec", SigningAlgorithm::Es256);
    let (stranger_key, _) = key_files(dir.path(), "stranger", SigningAlgorithm::EdDsa);
    let eddsa = hs256.second_server_with(signed_with(SigningAlgorithm::EdDsa, &eddsa_key));
    let es256 = hs256.second_server_with(signed_with(SigningAlgorithm::Es256, &es256_key));
    let stranger = hs256.second_server_with(signed_with(SigningAlgorithm::EdDsa, &stranger_key));
    let servers = [&hs256, &eddsa, &es256];
    let mut tokens = Vec::new();
    for server in servers {
        tokens.push(access_token(&server.login("lee", "pw").await));
    }
    for (i, server) in servers.iter().enumerate() {
        for (j, token) in tokens.iter().enumerate() {
            let me = server.graphql_as(token, ME).await;
            if i == j {
                assert!(me.body.get("errors").is_none(), "{}", me.body);
            } else {
                assert_eq!(me.code(), "UNAUTHENTICATED", "server {i}, token {j}");
                let verify = crate::forward_auth::verify_as(server, token).await;
                assert_eq!(
                    crate::forward_auth::refusal_code(&verify),
                    "UNAUTHENTICATED"
                );
            }
        }
    }

    // Same algorithm, a key this server does not know: its kid is unknown.
    let foreign = access_token(&stranger.login("lee", "pw").await);
    let me = eddsa.graphql_as(&foreign, ME).await;
    assert_eq!(me.code(), "UNAUTHENTICATED");
    // A known kid does not make a token ours: the stranger's claims and
    // signature under our key's kid, and our own token without its kid.
    let with_header = |token: &str, header: Value| {
        let rest = token.split_once('.').expect("a JWT").1;
        format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
    };
    let our_kid = kid_of(&eddsa_public);
    for token in [
        with_header(
            &foreign,
            serde_json::json!({ "typ": "JWT", "alg": "EdDSA", "kid": our_kid }),
        ),
        with_header(
            &tokens[1],
            serde_json::json!({ "typ": "JWT", "alg": "EdDSA" }),
        ),
    ] {
        let me = eddsa.graphql_as(&token, ME).await;
        assert_eq!(me.code(), "UNAUTHENTICATED", "{}", jwt_header(&token));
    }

    // The EdDSA token's claims re-signed HS256 with the public key as the
    // HMAC secret, under the right kid: the old key-confusion attack.
    let claims = tokens[1].split('.').nth(1).expect("claims").to_owned();
    let public_pem = std::fs::read(&eddsa_public).expect("read key");
    let header = serde_json::json!({ "alg": "HS256", "typ": "JWT", "kid": kid_of(&eddsa_public) });
    let confused = sign_hs256(&header, &claims, &public_pem);
    let me = eddsa.graphql_as(&confused, ME).await;
    assert_eq!(me.code(), "UNAUTHENTICATED");

    let none_header = URL_SAFE_NO_PAD
        .encode(serde_json::json!({ "alg": "none", "kid": kid_of(&eddsa_public) }).to_string());
    for server in servers {
        let me = server
            .graphql_as(&format!("{none_header}.{claims}."), ME)
            .await;
        assert_eq!(me.code(), "UNAUTHENTICATED");
    }
}

fn sign_hs256(header: &Value, claims_b64: &str, key: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let signing_input = format!(
        "{}.{claims_b64}",
        URL_SAFE_NO_PAD.encode(header.to_string())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

async fn a_rotation_keeps_old_tokens_until_their_key_is_dropped(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    for algorithm in [SigningAlgorithm::EdDsa, SigningAlgorithm::Es256] {
        let (old_key, old_public) = key_files(dir.path(), &format!("old-{algorithm}"), algorithm);
        let (new_key, new_public) = key_files(dir.path(), &format!("new-{algorithm}"), algorithm);
        let before = TestServer::start_with(backend, signed_with(algorithm, &old_key)).await;
        before.add_user("ana", "pw").await;
        let old_token = access_token(&before.login("ana", "pw").await);

        // Written with the spaces a hand-edited list has.
        let rotated = before
            .second()
            .with_config(signed_with(algorithm, &new_key))
            .with_var(
                "JWT_PREVIOUS_PUBLIC_KEY_FILES",
                &format!(" {} ", old_public.display()),
            )
            .serve();
        let new_token = access_token(&rotated.login("ana", "pw").await);
        assert_eq!(jwt_header(&new_token)["kid"], kid_of(&new_public));
        assert!(
            rotated.is_live(&old_token).await,
            "signed by the previous key"
        );
        assert!(rotated.is_live(&new_token).await);
        let jwks = rotated.request("GET", "/.well-known/jwks.json", &[]).await;
        let kids: Vec<Value> = jwks.body["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|key| key["kid"].clone())
            .collect();
        assert_eq!(
            kids,
            [kid_of(&new_public), kid_of(&old_public)],
            "current first"
        );

        let dropped = before.second_server_with(signed_with(algorithm, &new_key));
        let me = dropped.graphql_as(&old_token, ME).await;
        assert_eq!(
            me.code(),
            "UNAUTHENTICATED",
            "the old key is no longer known"
        );
        assert!(dropped.is_live(&new_token).await);
    }
}
