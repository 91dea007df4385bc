//! User names in Unicode NFC: two spellings of one name are one account, new
//! names with invisible characters or surrounding white space are refused,
//! and names stored before this rule are normalised at start (or the start
//! is refused when two of them turn out to be one name).

use authql_testkit::{Backend, TestServer, access_token, both_backends};
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;

use crate::admin::found;
use crate::cli::{one_line, run};

both_backends!(
    nfc_and_nfd_spellings_are_one_account,
    names_with_invisible_or_surrounding_characters_are_refused,
    stored_names_are_normalised_at_start,
    a_clash_of_stored_names_refuses_to_start,
);

/// "Zoë" with the precomposed ë (NFC) and with e + combining diaeresis (NFD).
const ZOE_NFC: &str = "Zo\u{eb}";
const ZOE_NFD: &str = "Zoe\u{308}";
/// "René" in NFD.
const RENE_NFD: &str = "Rene\u{301}";
const RENE_NFC: &str = "Ren\u{e9}";

async fn nfc_and_nfd_spellings_are_one_account(backend: Backend) {
    let app = TestServer::start(backend).await;
    let url = app.db.url_text.clone();

    let (ok, _, stderr) = run(&url, &["user", "add", ZOE_NFC], "zoe-password\n").await;
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = run(&url, &["user", "add", ZOE_NFD], "other-password\n").await;
    assert!(!ok, "the NFD spelling of a taken name is the same name");
    assert!(one_line(&stderr).contains("already exists"), "{stderr}");

    let payload = app.login(ZOE_NFD, "zoe-password").await;
    assert_eq!(payload["user"]["userName"], ZOE_NFC);
    let payload = app.login(&ZOE_NFD.to_uppercase(), "zoe-password").await;
    assert_eq!(payload["user"]["userName"], ZOE_NFC);

    // A name given in NFD is kept in NFC, and found by either spelling.
    let (ok, _, stderr) = run(&url, &["user", "add", RENE_NFD], "rene-password\n").await;
    assert!(ok, "{stderr}");
    let payload = app.login(RENE_NFC, "rene-password").await;
    assert_eq!(payload["user"]["userName"], RENE_NFC, "stored in NFC");
    let payload = app.login(RENE_NFD, "rene-password").await;
    assert_eq!(payload["user"]["userName"], RENE_NFC);
}

async fn names_with_invisible_or_surrounding_characters_are_refused(backend: Backend) {
    let app = TestServer::start(backend).await;
    let url = app.db.url_text.clone();
    for (name, what) in [
        ("ann\u{200b}a", "a zero-width space (Cf)"),
        ("admin\u{200d}", "a zero-width joiner (Cf)"),
        ("txt.\u{202e}exe", "a right-to-left override (Cf)"),
        ("\u{feff}bom", "a byte-order mark (Cf)"),
        ("bell\u{7}", "a control character (Cc)"),
        ("trailing ", "a trailing space"),
        (" leading", "a leading space"),
        ("nbsp\u{a0}", "a trailing no-break space"),
        ("\u{3000}ideographic", "a leading ideographic space"),
    ] {
        let (ok, _, stderr) = run(&url, &["user", "add", name], "a-password\n").await;
        assert!(!ok, "a name with {what} is refused: {name:?}");
        assert!(one_line(&stderr).contains("userName"), "{what}: {stderr}");
    }
    // White space inside a name is a character like any other.
    let (ok, _, stderr) = run(&url, &["user", "add", "June Doe"], "a-password\n").await;
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = run(&url, &["user", "add", "Ωμέγα_東京"], "a-password\n").await;
    assert!(ok, "{stderr}");
}

/// Rewrites the name (and its lookup key) of the user named `placeholder`
/// as an earlier version could have stored it.
async fn store_name_as_before(app: &TestServer, placeholder: &str, name: &str) {
    let mut conn = app.app.pool.get().await.expect("connection");
    let key = name.to_lowercase();
    authql::with_conn!(&mut conn, |c| diesel::sql_query(
        "UPDATE users SET user_name = ?, user_name_key = ? WHERE user_name_key = ?"
    )
    .bind::<Text, _>(name)
    .bind::<Text, _>(key.as_str())
    .bind::<Text, _>(placeholder)
    .execute(c)
    .await)
    .expect("rewrite the stored name");
}

async fn stored_names_are_normalised_at_start(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("placeholder", "zoe-password").await;
    authql::core::users::add_user(
        &app.app,
        "ada",
        &authql::secret::Secret::from("ada-password"),
        "admin",
        None,
    )
    .await
    .expect("an admin");
    let admin_token = access_token(&app.login("ada", "ada-password").await);
    // The server's copy of the directory is read here.
    assert_eq!(found(&app, &admin_token, "placeholder").await.0, 1);
    store_name_as_before(&app, "placeholder", ZOE_NFD).await;

    let (ok, _, stderr) = run(&app.db.url_text, &["migrate"], "").await;
    assert!(ok, "{stderr}");
    // The rewrite of the stored names reaches the running server's copy.
    assert_eq!(found(&app, &admin_token, ZOE_NFC).await.0, 1);
    assert_eq!(found(&app, &admin_token, "placeholder").await.0, 0);

    let payload = app.login(ZOE_NFC, "zoe-password").await;
    assert_eq!(
        payload["user"]["userName"], ZOE_NFC,
        "the stored name is NFC"
    );
    let payload = app.login(ZOE_NFD, "zoe-password").await;
    assert_eq!(payload["user"]["userName"], ZOE_NFC);
    let (ok, _, stderr) = run(&app.db.url_text, &["user", "add", ZOE_NFC], "x-password\n").await;
    assert!(!ok);
    assert!(one_line(&stderr).contains("already exists"), "{stderr}");
}

async fn a_clash_of_stored_names_refuses_to_start(backend: Backend) {
    let app = TestServer::start(backend).await;
    let first = app.add_user("placeholder-1", "one-password").await;
    let second = app.add_user("placeholder-2", "two-password").await;
    store_name_as_before(&app, "placeholder-1", ZOE_NFC).await;
    store_name_as_before(&app, "placeholder-2", ZOE_NFD).await;

    // `serve` runs the same migration step before it listens.
    for command in ["migrate", "prune"] {
        let (ok, _, stderr) = run(&app.db.url_text, &[command], "").await;
        assert!(!ok, "{command} refuses to start");
        let line = one_line(&stderr);
        // Both spellings, told apart: the NFD one has its mark escaped.
        for needle in [
            first.as_str(),
            second.as_str(),
            "\"Zo\u{eb}\"",
            "\"Zoe\\u{308}\"",
        ] {
            assert!(line.contains(needle), "{command}: {needle} in {line:?}");
        }
    }
    // Nothing was changed: the NFC account is as it was.
    let payload = app.login(ZOE_NFC, "one-password").await;
    assert_eq!(payload["user"]["id"], first.as_str());
    assert_eq!(payload["user"]["userName"], ZOE_NFC);
}
