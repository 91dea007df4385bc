//! The operator's commands: `user set-password`, `user sessions` and `user
//! logout`, through the real binary, on both backends. Each refuses an
//! unknown user or session with one line and changes nothing.

use authql_testkit::documents::MY_SESSIONS;
use authql_testkit::{Backend, TestServer, access_token, session_id};

use crate::cli::{one_line, run};

async fn set_password_ends_every_session(backend: Backend) {
    let app = TestServer::start(backend).await;
    let url = app.db.url_text.clone();
    app.add_user("June_Doe", "old-password").await;
    let first = app.login("june_doe", "old-password").await;
    let second = app.login("june_doe", "old-password").await;

    let (ok, _, stderr) = run(&url, &["user", "set-password", "june_doe"], "short\n").await;
    assert!(!ok, "a password under PASSWORD_MIN_LENGTH is refused");
    assert!(
        one_line(&stderr).contains("at least 8 characters"),
        "{stderr}"
    );
    assert!(app.is_live(&access_token(&first)).await, "nothing changed");
    app.login("june_doe", "old-password").await;

    let (ok, _, stderr) = run(&url, &["user", "set-password", "nobody"], "long-enough\n").await;
    assert!(!ok);
    assert!(one_line(&stderr).contains("no user"), "{stderr}");

    let (ok, stdout, stderr) = run(
        &url,
        &["user", "set-password", "JUNE_DOE"],
        "brand-new-pass\n",
    )
    .await;
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.trim(),
        "set a new password for JUNE_DOE; 3 sessions ended"
    );
    for payload in [&first, &second] {
        assert!(
            !app.is_live(&access_token(payload)).await,
            "every session ended"
        );
        let stored = app.stored_session(&session_id(payload)).await;
        assert_eq!(
            stored.end_reason.map(authql::vocabulary::EndReason::as_str),
            Some("password_changed")
        );
    }
    assert_eq!(
        app.login_answer("june_doe", "old-password", None)
            .await
            .code(),
        "INVALID_CREDENTIALS"
    );
    app.login("june_doe", "brand-new-pass").await;
}

async fn sessions_are_listed_and_ended_by_the_operator(backend: Backend) {
    let app = TestServer::start(backend).await;
    let url = app.db.url_text.clone();
    app.add_user("kai", "pw").await;
    let mut logins = Vec::new();
    for device in ["Firefox on Linux", "iPhone", "curl"] {
        logins.push(
            app.login_answer("kai", "pw", Some(device))
                .await
                .data("login")
                .clone(),
        );
    }

    let (ok, stdout, stderr) = run(&url, &["user", "sessions", "KAI"], "").await;
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "a header and one line a session:\n{stdout}");
    let columns = ["DEVICE", "ADDRESS", "LAST ACTIVE", "EXPIRES"];
    let header_at: Vec<usize> = columns.iter().map(|c| lines[0].find(c).expect(c)).collect();
    for (login, device) in logins.iter().zip(["Firefox on Linux", "iPhone", "curl"]) {
        let line = lines
            .iter()
            .find(|line| line.starts_with(&session_id(login)))
            .unwrap_or_else(|| panic!("{} is listed:\n{stdout}", session_id(login)));
        assert_eq!(line.find(device), Some(header_at[0]), "aligned:\n{stdout}");
        assert_eq!(
            line.find("203.0.113.7"),
            Some(header_at[1]),
            "aligned:\n{stdout}"
        );
        assert!(line.contains(" UTC"), "{line}");
    }

    let (ok, _, stderr) = run(
        &url,
        &["user", "logout", "kai", "--session", "bogus-id"],
        "",
    )
    .await;
    assert!(!ok, "an unknown session is refused");
    assert!(one_line(&stderr).contains("no open session"), "{stderr}");
    let (ok, _, stderr) = run(&url, &["user", "sessions", "nobody"], "").await;
    assert!(!ok);
    assert!(one_line(&stderr).contains("no user"), "{stderr}");
    let (ok, _, _) = run(&url, &["user", "logout", "nobody"], "").await;
    assert!(!ok);
    for login in &logins {
        assert!(app.is_live(&access_token(login)).await, "nothing changed");
    }

    let one = session_id(&logins[0]);
    let (ok, stdout, stderr) = run(&url, &["user", "logout", "kai", "--session", &one], "").await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "1 session ended");
    assert!(!app.is_live(&access_token(&logins[0])).await);
    assert_eq!(
        app.stored_session(&one)
            .await
            .end_reason
            .map(authql::vocabulary::EndReason::as_str),
        Some("ended_by_admin")
    );
    let listed = app.graphql_as(&access_token(&logins[1]), MY_SESSIONS).await;
    assert_eq!(listed.data("mySessions").as_array().map(Vec::len), Some(2));

    let (ok, stdout, _) = run(&url, &["user", "logout", "kai"], "").await;
    assert!(ok);
    assert_eq!(stdout.trim(), "2 sessions ended");
    for login in &logins {
        assert!(!app.is_live(&access_token(login)).await);
    }
    let (ok, stdout, _) = run(&url, &["user", "sessions", "kai"], "").await;
    assert!(ok);
    assert_eq!(stdout.trim(), "no open sessions");
}

authql_testkit::both_backends!(
    set_password_ends_every_session,
    sessions_are_listed_and_ended_by_the_operator,
);
