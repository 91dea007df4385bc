//! The `authql` binary: user commands, migrations, and bad input reported as
//! one line with a non-zero exit.

use std::io::Write;
use std::process::{Command, Stdio};

use authql_testkit::documents::{ME, MY_SESSIONS};
use authql_testkit::{Backend, TestDb, TestServer, access_token, both_backends};

/// Runs `authql ARGS` with DATABASE_URL and stdin; returns (success, stdout, stderr).
pub fn authql(
    database_url: &str,
    args: &[&str],
    stdin: &str,
    extra_env: &[(&str, &str)],
) -> (bool, String, String) {
    let workdir = tempfile::tempdir().expect("workdir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_authql"));
    command
        .args(args)
        .current_dir(workdir.path())
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in extra_env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawn authql");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("authql exits");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub async fn run(database_url: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let (url, args, stdin): (String, Vec<String>, String) = (
        database_url.into(),
        args.iter().map(|a| a.to_string()).collect(),
        stdin.into(),
    );
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        authql(&url, &args, &stdin, &[])
    })
    .await
    .expect("join")
}

pub fn one_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got: {stderr:?}");
    lines[0]
}

async fn user_commands_work_and_refuse_bad_input(backend: Backend) {
    let app = TestServer::start(backend).await;
    let url = app.db.url_text.clone();

    let (ok, stdout, _) = run(
        &url,
        &["user", "add", "Mallory", "--role", "admin"],
        "s3cret-pass\n",
    )
    .await;
    assert!(ok, "user add succeeds");
    assert!(stdout.contains("Mallory"));
    let payload = app.login("mallory", "s3cret-pass").await;
    assert_eq!(payload["user"]["role"], "admin");

    let (ok, _, stderr) = run(&url, &["user", "add", "MALLORY"], "other-pass\n").await;
    assert!(!ok, "a duplicate name (any case) is refused");
    assert!(one_line(&stderr).contains("already exists"), "{stderr}");

    let (ok, _, stderr) = run(&url, &["user", "add", "nina"], "\n").await;
    assert!(!ok, "an empty password is refused");
    assert!(one_line(&stderr).contains("empty"), "{stderr}");
    assert_eq!(
        app.login_answer("nina", "", None).await.code(),
        "BAD_USER_INPUT"
    );

    for verb in ["disable", "enable"] {
        let (ok, _, stderr) = run(&url, &["user", verb, "nobody"], "").await;
        assert!(!ok, "{verb} of an unknown user is refused");
        assert!(one_line(&stderr).contains("no user"), "{stderr}");
    }

    let (ok, _, _) = run(&url, &["user", "disable", "mallory"], "").await;
    assert!(ok);
    let me = app.graphql_as(&access_token(&payload), ME).await;
    assert_eq!(
        me.code(),
        "SESSION_REVOKED",
        "user disable ends the sessions at once"
    );
    assert_eq!(
        app.login_answer("mallory", "s3cret-pass", None)
            .await
            .code(),
        "ACCOUNT_DISABLED"
    );

    let (ok, _, _) = run(&url, &["user", "enable", "Mallory"], "").await;
    assert!(ok);
    let again = app.login("mallory", "s3cret-pass").await;
    let sessions = app.graphql_as(&access_token(&again), MY_SESSIONS).await;
    assert_eq!(
        sessions.data("mySessions").as_array().unwrap().len(),
        1,
        "old sessions stay ended"
    );
}

async fn migrations_applied_twice_are_harmless(backend: Backend) {
    let db = TestDb::create(backend).await;
    assert!(authql::store::migrate::run_pending(&db.url).await.unwrap() > 0);
    assert_eq!(
        authql::store::migrate::run_pending(&db.url).await.unwrap(),
        0
    );
    let (ok, _, stderr) = run(&db.url_text, &["migrate"], "").await;
    assert!(ok, "{stderr}");
    let (ok, _, _) = run(&db.url_text, &["user", "add", "olga"], "olga-password\n").await;
    assert!(ok, "the schema is usable after migrating twice");
    let (ok, stdout, stderr) = run(&db.url_text, &["prune"], "").await;
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.trim(),
        "deleted 0 sessions, 0 throttle rows, 0 unverified accounts, 0 mail tokens, 0 sign-in challenges and 0 mails"
    );
}

/// Roles are 1 to 64 of `a-z A-Z 0-9 _ . : -`: a role is a token that
/// goes into headers (`X-Auth-Role`) and access tokens as it is.
async fn roles_are_tokens(backend: Backend) {
    let app = TestServer::start(backend).await;
    let url = app.db.url_text.clone();
    let too_long = "r".repeat(65);
    for role in [
        "admin\r\nX-Injected: yes",
        "admin\n",
        "two words",
        "",
        " admin",
        "rôle",
        "a/b",
        too_long.as_str(),
    ] {
        let (ok, _, stderr) =
            run(&url, &["user", "add", "rita", "--role", role], "pw-pw-pw\n").await;
        assert!(!ok, "role {role:?} is refused");
        assert!(one_line(&stderr).contains("role"), "{role:?}: {stderr}");
    }
    assert_eq!(
        app.login_answer("rita", "pw-pw-pw", None).await.code(),
        "INVALID_CREDENTIALS",
        "nothing was created"
    );
    let longest = "R".repeat(64);
    for (name, role) in [("rita", "Ops.read:v-1_A"), ("rolf", longest.as_str())] {
        let (ok, _, stderr) = run(&url, &["user", "add", name, "--role", role], "pw-pw-pw\n").await;
        assert!(ok, "role {role:?}: {stderr}");
        let payload = app.login(name, "pw-pw-pw").await;
        assert_eq!(payload["user"]["role"], role);
    }
}

both_backends!(
    user_commands_work_and_refuse_bad_input,
    migrations_applied_twice_are_harmless,
    roles_are_tokens,
);

#[test]
fn bad_configuration_is_one_line_naming_the_variable() {
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 4] = [
        ("postgres://x/y", &[], "DATABASE_URL"),
        (
            "sqlite://authql.db",
            &[("JWT_SECRET", "short")],
            "JWT_SECRET",
        ),
        (
            "sqlite://authql.db",
            &[("LISTEN_ADDR", "nowhere")],
            "LISTEN_ADDR",
        ),
        (
            "sqlite://authql.db",
            &[("ACCESS_TOKEN_TTL_SECS", "soon")],
            "ACCESS_TOKEN_TTL_SECS",
        ),
    ];
    for (url, env, variable) in cases {
        let (ok, _, stderr) = authql(url, &["serve"], "", env);
        assert!(!ok, "{variable}");
        assert!(one_line(&stderr).contains(variable), "{stderr}");
    }
}

#[test]
fn unreachable_database_is_one_line() {
    let (ok, _, stderr) = authql(
        "sqlite:///proc/no/such/dir/authql.db",
        &["migrate"],
        "",
        &[],
    );
    assert!(!ok);
    assert!(one_line(&stderr).starts_with("authql: "), "{stderr}");
}

#[test]
fn schema_command_needs_no_database() {
    let (ok, stdout, _) = authql("postgres://not-even-valid", &["schema"], "", &[]);
    assert!(ok);
    assert!(stdout.contains("type Query"));
}

#[test]
fn dot_env_is_read_and_the_environment_wins() {
    let workdir = tempfile::tempdir().expect("workdir");
    let db_path = workdir.path().join("from-dotenv.db");
    std::fs::write(
        workdir.path().join(".env"),
        format!(
            "DATABASE_URL=sqlite://{}\nLISTEN_ADDR=not-an-address\n",
            db_path.display()
        ),
    )
    .expect("write .env");
    let run = |extra: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_authql"));
        command
            .arg("migrate")
            .current_dir(workdir.path())
            .env_remove("DATABASE_URL")
            .env_remove("LISTEN_ADDR")
            .env("RUST_LOG", "warn");
        for (name, value) in extra {
            command.env(name, value);
        }
        command.output().expect("authql runs")
    };
    let from_file = run(&[]);
    assert!(!from_file.status.success());
    let stderr = String::from_utf8_lossy(&from_file.stderr);
    assert!(
        one_line(&stderr).contains("LISTEN_ADDR"),
        "the .env value was read: {stderr}"
    );
    let overridden = run(&[("LISTEN_ADDR", "127.0.0.1:0")]);
    assert!(
        overridden.status.success(),
        "{}",
        String::from_utf8_lossy(&overridden.stderr)
    );
    assert!(db_path.exists(), "DATABASE_URL came from .env");
}
