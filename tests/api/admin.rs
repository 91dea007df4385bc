//! The admin API: who may use it and the order of its refusals, roles and
//! statuses read live through another replica, a disabled user's socket,
//! the last admin (a race included), the audit log and the `ADMIN_ACTION`
//! events, ending sessions and resetting factors, the directory's search
//! and paging (kept by each replica as changes are made through another),
//! and the mails an admin sends.

use authql::config::SignupMode;
use authql::secret::Secret;
use authql_testkit::documents::{CHANGE_EMAIL, ME, REAUTHENTICATE, SIGN_UP, VERIFY_EMAIL};
use authql_testkit::{
    Answer, Backend, DEFAULT_PEER, TestServer, access_token, both_backends, join_answers,
    session_id,
};
use chrono::TimeDelta;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use crate::accounts::{MAIL_WAIT, add_user_with_email, mail_to, token_of, with_mail};
use crate::factors::user_with_totp;
use crate::live::Socket;
use crate::passkeys::{sign_in as passkey_sign_in, user_with_passkey};
use crate::pool::Number;

const PASSWORD: &str = "first-password";

const USERS: &str = "query Users($query: String, $first: Int! = 50, $after: String) { \
    users(query: $query, first: $first, after: $after) { totalCount hasNextPage endCursor \
    nodes { id userName email role status lastSignInAt } } }";
const USER: &str = "query User($id: ID!) { user(id: $id) { id userName email emailVerified \
    role status createdAt lastSignInAt mfa { totp recoveryCodesLeft passkeys } \
    sessions { id current } securityEvents(first: 50) { kind reason detail ipAddress } } }";
const AUDIT_LOG: &str = "query Audit($first: Int! = 50, $before: ID) { auditLog(first: $first, \
    before: $before) { id at actorId actorName action targetUserId detail ipAddress } }";
const SET_STATUS: &str = "mutation Status($userId: ID!, $status: AccountStatus!) { \
    setUserStatus(userId: $userId, status: $status) { id status emailVerified } }";
const SET_ROLE: &str = "mutation Role($userId: ID!, $role: String!) { \
    setUserRole(userId: $userId, role: $role) { id role } }";
const END_SESSIONS: &str = "mutation End($userId: ID!, $sessionId: ID) { \
    endUserSessions(userId: $userId, sessionId: $sessionId) }";
const RESET_FACTORS: &str = "mutation Reset($userId: ID!) { resetUserFactors(userId: $userId) }";
const SEND_RESET: &str = "mutation SendReset($userId: ID!) { sendPasswordReset(userId: $userId) }";
const INVITE: &str = "mutation Invite($email: String!, $role: String! = \"user\") { \
    inviteUser(email: $email, role: $role) }";
const ME_ROLE: &str = "{ me { id role } }";

/// Sends `document` with `token` and `variables`.
async fn call(server: &TestServer, token: &str, document: &str, variables: Value) -> Answer {
    server
        .call(document)
        .bearer(token)
        .variables(variables)
        .await
}

/// Adds a user with `role`; returns its id.
async fn add(server: &TestServer, name: &str, role: &str) -> String {
    authql::core::users::add_user(&server.app, name, &Secret::from(PASSWORD), role, None)
        .await
        .expect("add user")
}

/// Adds an admin and signs it in; returns its id and access token.
async fn admin(server: &TestServer, name: &str) -> (String, String) {
    let id = add(server, name, "admin").await;
    let token = access_token(&server.login(name, PASSWORD).await);
    (id, token)
}

/// The `X-Auth-Role` that `/auth/verify` answers for `token`.
async fn verified_role(server: &TestServer, token: &str) -> String {
    let header = format!("Bearer {token}");
    let answer = server
        .request("GET", "/auth/verify", &[("authorization", &header)])
        .await;
    answer.header("x-auth-role").to_owned()
}

/// The user as an admin sees it.
async fn seen(server: &TestServer, token: &str, id: &str) -> Value {
    call(server, token, USER, json!({ "id": id }))
        .await
        .data("user")
        .clone()
}

/// The audit log, newest first.
async fn audit(server: &TestServer, token: &str) -> Vec<Value> {
    call(server, token, AUDIT_LOG, json!({}))
        .await
        .data("auditLog")
        .as_array()
        .expect("entries")
        .clone()
}

async fn refusals_come_in_the_contracts_order(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (ada, ada_token) = admin(&server, "ada").await;
    let bob = add(&server, "bob", "user").await;
    let bob_token = access_token(&server.login("bob", PASSWORD).await);
    let unverified = json!({ "userId": bob, "status": "UNVERIFIED" });

    // No token: the guard's code, for queries and mutations alike.
    assert_eq!(
        server.graphql(USERS, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
    let anonymous = server.graphql(SET_STATUS, unverified.clone()).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    // Not an admin: FORBIDDEN, before the input is looked at.
    for (document, variables) in [
        (USERS, json!({ "first": 0 })),
        (USER, json!({ "id": ada })),
        (AUDIT_LOG, json!({ "first": 0 })),
        (SET_STATUS, unverified.clone()),
        (SET_ROLE, json!({ "userId": "nobody", "role": "" })),
        (END_SESSIONS, json!({ "userId": "nobody" })),
        (RESET_FACTORS, json!({ "userId": "nobody" })),
        (SEND_RESET, json!({ "userId": "nobody" })),
        (INVITE, json!({ "email": "not an address" })),
    ] {
        let answer = call(&server, &bob_token, document, variables).await;
        assert_eq!(answer.code(), "FORBIDDEN", "{document}: {}", answer.text());
    }

    // An admin whose last proof is old: the queries answer, the mutations
    // need recent authentication, before the mail and the input.
    server.advance(TimeDelta::seconds(301));
    let listed = call(&server, &ada_token, USERS, json!({})).await;
    assert_eq!(listed.data("users")["totalCount"], 2);
    for (document, variables) in [
        (SET_STATUS, unverified.clone()),
        (SEND_RESET, json!({ "userId": "nobody" })),
        (INVITE, json!({ "email": "not an address" })),
    ] {
        let answer = call(&server, &ada_token, document, variables).await;
        assert_eq!(answer.code(), "REAUTHENTICATION_REQUIRED", "{document}");
    }
    let proved = call(
        &server,
        &ada_token,
        REAUTHENTICATE,
        json!({ "input": { "password": PASSWORD } }),
    )
    .await;
    assert!(!proved.has_errors(), "{}", proved.text());

    // Recent: no mail configured comes before the input.
    for (document, variables) in [
        (SEND_RESET, json!({ "userId": "nobody" })),
        (INVITE, json!({ "email": "not an address" })),
    ] {
        let answer = call(&server, &ada_token, document, variables).await;
        assert_eq!(answer.code(), "FORBIDDEN", "{document}");
    }
    // Then the input.
    let input = [
        (SET_STATUS, unverified.clone(), "BAD_USER_INPUT"),
        (
            SET_STATUS,
            json!({ "userId": "nobody", "status": "DISABLED" }),
            "NOT_FOUND",
        ),
        (
            SET_STATUS,
            json!({ "userId": authql::core::ids::new_id(), "status": "DISABLED" }),
            "NOT_FOUND",
        ),
        (
            SET_ROLE,
            json!({ "userId": bob, "role": "no spaces" }),
            "BAD_USER_INPUT",
        ),
        (
            SET_ROLE,
            json!({ "userId": authql::core::ids::new_id(), "role": "x" }),
            "NOT_FOUND",
        ),
        (
            END_SESSIONS,
            json!({ "userId": authql::core::ids::new_id() }),
            "NOT_FOUND",
        ),
        (
            RESET_FACTORS,
            json!({ "userId": authql::core::ids::new_id() }),
            "NOT_FOUND",
        ),
        (USERS, json!({ "first": 0 }), "BAD_USER_INPUT"),
        (USERS, json!({ "first": 201 }), "BAD_USER_INPUT"),
        (USERS, json!({ "after": "not-a-cursor" }), "BAD_USER_INPUT"),
        (USERS, json!({ "after": "" }), "BAD_USER_INPUT"),
        (AUDIT_LOG, json!({ "first": 201 }), "BAD_USER_INPUT"),
        (
            AUDIT_LOG,
            json!({ "before": authql::core::ids::new_id() }),
            "BAD_USER_INPUT",
        ),
    ];
    for (document, variables, code) in input {
        let answer = call(&server, &ada_token, document, variables.clone()).await;
        assert_eq!(
            answer.code(),
            code,
            "{document} {variables}: {}",
            answer.text()
        );
    }
    // A session that is not one of that user's open ones: NOT_FOUND, and
    // the session named stays open.
    let adas_own = session_id(&server.login("ada", PASSWORD).await);
    let other = json!({ "userId": bob, "sessionId": adas_own });
    assert_eq!(
        call(&server, &ada_token, END_SESSIONS, other).await.code(),
        "NOT_FOUND"
    );
    assert_eq!(server.open_session_count(&ada).await, 2);
    // An unknown or malformed id is no user: null.
    assert_eq!(
        seen(&server, &ada_token, &authql::core::ids::new_id()).await,
        Value::Null
    );
    assert_eq!(seen(&server, &ada_token, "?").await, Value::Null);
    // Nothing refused was written.
    assert_eq!(audit(&server, &ada_token).await, Vec::<Value>::new());
}

async fn status_changes_end_sessions_and_are_audited(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (ada, token) = admin(&server, "ada").await;
    let bob = add(&server, "bob", "user").await;
    let laptop = server.login("bob", PASSWORD).await;
    let phone = server.login("bob", PASSWORD).await;

    let disabled = call(
        &server,
        &token,
        SET_STATUS,
        json!({ "userId": bob, "status": "DISABLED" }),
    )
    .await;
    assert_eq!(disabled.data("setUserStatus")["status"], "DISABLED");
    for session in [&laptop, &phone] {
        assert!(!server.is_live(&access_token(session)).await);
        let stored = server.stored_session(&session_id(session)).await;
        assert_eq!(
            stored.end_reason,
            Some(authql::vocabulary::EndReason::UserDisabled)
        );
    }
    let login = server.login_answer("bob", PASSWORD, None).await;
    assert_eq!(login.code(), "ACCOUNT_DISABLED");

    let entries = audit(&server, &token).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["actorId"], ada.as_str());
    assert_eq!(entries[0]["actorName"], "ada");
    assert_eq!(entries[0]["action"], "setUserStatus");
    assert_eq!(entries[0]["targetUserId"], bob.as_str());
    assert_eq!(entries[0]["detail"], "DISABLED");
    let peer_ip = DEFAULT_PEER.split(':').next().expect("an address");
    assert_eq!(entries[0]["ipAddress"], peer_ip);
    let events = seen(&server, &token, &bob).await["securityEvents"].clone();
    let events = events.as_array().expect("events");
    assert_eq!(events[0]["kind"], "ADMIN_ACTION");
    assert_eq!(events[0]["detail"], "setUserStatus: DISABLED");
    // The user's timeline does not show the admin's address.
    assert_eq!(events[0]["ipAddress"], Value::Null);
    let ends = events
        .iter()
        .filter(|e| e["kind"] == "SESSION_ENDED" && e["reason"] == "USER_DISABLED")
        .count();
    assert_eq!(ends, 2);

    let enabled = call(
        &server,
        &token,
        SET_STATUS,
        json!({ "userId": bob, "status": "ACTIVE" }),
    )
    .await;
    assert_eq!(enabled.data("setUserStatus")["status"], "ACTIVE");
    assert!(
        !server.is_live(&access_token(&laptop)).await,
        "ended sessions stay ended"
    );
    assert!(
        !server
            .login_answer("bob", PASSWORD, None)
            .await
            .has_errors()
    );
    let entries = audit(&server, &token).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["detail"], "ACTIVE", "newest first");
    let older = call(
        &server,
        &token,
        AUDIT_LOG,
        json!({ "first": 1, "before": entries[0]["id"] }),
    )
    .await;
    assert_eq!(older.data("auditLog")[0]["id"], entries[1]["id"]);
}

async fn roles_and_statuses_hold_through_another_replica_at_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let replica = server.second_server();
    let (ada, ada_token) = admin(&server, "ada").await;
    let bob = add(&server, "bob", "user").await;
    let bob_token = access_token(&replica.login("bob", PASSWORD).await);
    assert_eq!(verified_role(&replica, &bob_token).await, "user");

    let changed = call(
        &server,
        &ada_token,
        SET_ROLE,
        json!({ "userId": bob, "role": "editor" }),
    )
    .await;
    assert_eq!(changed.data("setUserRole")["role"], "editor");
    // The token still says "user"; the other replica reads the row.
    let me = call(&replica, &bob_token, ME_ROLE, json!({})).await;
    assert_eq!(me.data("me")["role"], "editor");
    assert_eq!(verified_role(&replica, &bob_token).await, "editor");
    assert_eq!(
        call(&replica, &bob_token, USERS, json!({})).await.code(),
        "FORBIDDEN"
    );

    call(
        &server,
        &ada_token,
        SET_ROLE,
        json!({ "userId": bob, "role": "admin" }),
    )
    .await;
    let listed = call(&replica, &bob_token, USERS, json!({})).await;
    assert_eq!(listed.data("users")["totalCount"], 2);
    // Bob, an admin now, demotes ada through the replica: her next request
    // through the first replica is no admin's.
    let demoted = call(
        &replica,
        &bob_token,
        SET_ROLE,
        json!({ "userId": ada, "role": "user" }),
    )
    .await;
    assert_eq!(demoted.data("setUserRole")["role"], "user");
    assert_eq!(
        call(&server, &ada_token, USERS, json!({})).await.code(),
        "FORBIDDEN"
    );
    assert_eq!(verified_role(&server, &ada_token).await, "user");

    // A disable through one replica refuses the token through the other.
    call(
        &replica,
        &bob_token,
        SET_STATUS,
        json!({ "userId": ada, "status": "DISABLED" }),
    )
    .await;
    assert_eq!(
        server.graphql_as(&ada_token, ME).await.code(),
        "SESSION_REVOKED"
    );
    let header = format!("Bearer {ada_token}");
    let verify = server
        .request("GET", "/auth/verify", &[("authorization", &header)])
        .await;
    assert_eq!(verify.status.as_u16(), 401);
}

async fn a_disabled_users_socket_closes_4403(backend: Backend) {
    let server = TestServer::start(backend).await;
    let replica = server.second_server();
    let (_, ada_token) = admin(&server, "ada").await;
    let bob = add(&server, "bob", "user").await;
    let bob_token = access_token(&replica.login("bob", PASSWORD).await);
    let addr = replica.listen().await;
    let mut socket = Socket::subscribed(addr, &bob_token).await;
    let disabled = call(
        &server,
        &ada_token,
        SET_STATUS,
        json!({ "userId": bob, "status": "DISABLED" }),
    )
    .await;
    assert!(!disabled.has_errors(), "{}", disabled.text());
    let ended = socket.event().await;
    assert_eq!(ended["kind"], "ENDED");
    assert_eq!(ended["reason"], "USER_DISABLED");
    assert_eq!(socket.closed().await, (4403, "SESSION_REVOKED".to_owned()));
}

async fn the_last_active_admin_stays_one(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (ada, ada_token) = admin(&server, "ada").await;
    for (document, variables) in [
        (SET_STATUS, json!({ "userId": ada, "status": "DISABLED" })),
        (SET_ROLE, json!({ "userId": ada, "role": "user" })),
    ] {
        let answer = call(&server, &ada_token, document, variables).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{document}");
    }
    assert_eq!(
        call(&server, &ada_token, ME_ROLE, json!({}))
            .await
            .data("me")["role"],
        "admin"
    );
    assert!(
        audit(&server, &ada_token).await.is_empty(),
        "a refusal is not audited"
    );

    // With another active admin, an admin may demote themselves.
    let (bob, bob_token) = admin(&server, "bob").await;
    let demoted = call(
        &server,
        &ada_token,
        SET_ROLE,
        json!({ "userId": ada, "role": "user" }),
    )
    .await;
    assert_eq!(demoted.data("setUserRole")["role"], "user");
    assert_eq!(
        call(&server, &ada_token, USERS, json!({})).await.code(),
        "FORBIDDEN"
    );
    let alone = call(
        &server,
        &bob_token,
        SET_STATUS,
        json!({ "userId": bob, "status": "DISABLED" }),
    )
    .await;
    assert_eq!(alone.code(), "BAD_USER_INPUT");

    // Two admins removing each other at once: exactly one wins, whatever
    // the change, and an active admin remains.
    let promoted = call(
        &server,
        &bob_token,
        SET_ROLE,
        json!({ "userId": ada, "role": "admin" }),
    )
    .await;
    assert!(!promoted.has_errors(), "{}", promoted.text());
    for round in 0..6 {
        let ada_token = access_token(&server.login("ada", PASSWORD).await);
        let bob_token = access_token(&server.login("bob", PASSWORD).await);
        let (document, field, ada_to_bob, bob_to_ada) = if round % 2 == 0 {
            (
                SET_ROLE,
                "setUserRole",
                json!({ "userId": bob, "role": "user" }),
                json!({ "userId": ada, "role": "user" }),
            )
        } else {
            (
                SET_STATUS,
                "setUserStatus",
                json!({ "userId": bob, "status": "DISABLED" }),
                json!({ "userId": ada, "status": "DISABLED" }),
            )
        };
        server.warm_pool(4).await;
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let answers = join_answers(vec![
            server.spawn_graphql(start.clone(), document, ada_to_bob, Some(&ada_token)),
            server.spawn_graphql(start, document, bob_to_ada, Some(&bob_token)),
        ])
        .await;
        let texts: Vec<String> = answers.iter().map(Answer::text).collect();
        let won: Vec<&Answer> = answers.iter().filter(|a| !a.has_errors()).collect();
        assert_eq!(won.len(), 1, "round {round}: {texts:?}");
        for lost in answers.iter().filter(|a| a.has_errors()) {
            let code = lost.code();
            assert!(
                ["BAD_USER_INPUT", "FORBIDDEN", "SESSION_REVOKED"].contains(&code.as_str()),
                "round {round}: {texts:?}"
            );
        }
        // The winner's target lost the role (or the account); the other
        // is still an active admin.
        let target = won[0].data(field)["id"].as_str().expect("an id").to_owned();
        let (survivor, survivor_name) = if target == bob {
            (&ada, "ada")
        } else {
            (&bob, "bob")
        };
        let survivor_token = access_token(&server.login(survivor_name, PASSWORD).await);
        let survivor_seen = seen(&server, &survivor_token, survivor).await;
        assert_eq!(survivor_seen["role"], "admin", "round {round}");
        assert_eq!(survivor_seen["status"], "ACTIVE", "round {round}");
        // Back to two active admins for the next round.
        for (document, variables) in [
            (SET_STATUS, json!({ "userId": target, "status": "ACTIVE" })),
            (SET_ROLE, json!({ "userId": target, "role": "admin" })),
        ] {
            let restored = call(&server, &survivor_token, document, variables).await;
            assert!(!restored.has_errors(), "{}", restored.text());
        }
    }
}

async fn sessions_and_factors_are_ended_and_reset(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, token) = admin(&server, "ada").await;
    let carl = user_with_totp(&server, "carl").await;
    let carl_id = carl.session["user"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let second = server.login_answer("carl", PASSWORD, None).await;
    assert_eq!(second.code(), "MFA_REQUIRED");

    let first_session = session_id(&carl.session);
    let before = seen(&server, &token, &carl_id).await;
    assert_eq!(before["mfa"]["totp"], true);
    assert_eq!(before["mfa"]["recoveryCodesLeft"], 10);
    assert_eq!(before["sessions"][0]["id"], first_session.as_str());
    assert_eq!(before["sessions"][0]["current"], false);

    let one = json!({ "userId": carl_id, "sessionId": first_session });
    assert_eq!(
        call(&server, &token, END_SESSIONS, one.clone())
            .await
            .data("endUserSessions"),
        1
    );
    assert!(!server.is_live(&access_token(&carl.session)).await);
    let stored = server.stored_session(&first_session).await;
    assert_eq!(
        stored.end_reason,
        Some(authql::vocabulary::EndReason::EndedByAdmin)
    );
    // Ended already: not one of the user's open sessions.
    assert_eq!(
        call(&server, &token, END_SESSIONS, one).await.code(),
        "NOT_FOUND"
    );
    let all = json!({ "userId": carl_id });
    assert_eq!(
        call(&server, &token, END_SESSIONS, all)
            .await
            .data("endUserSessions"),
        0
    );

    // Reset: TOTP and recovery codes go; the password alone signs in.
    let reset = call(&server, &token, RESET_FACTORS, json!({ "userId": carl_id })).await;
    assert_eq!(reset.data("resetUserFactors"), true);
    let after = seen(&server, &token, &carl_id).await;
    assert_eq!(
        after["mfa"],
        json!({ "totp": false, "recoveryCodesLeft": 0, "passkeys": 0 })
    );
    let fresh = server.login_answer("carl", PASSWORD, None).await;
    assert!(!fresh.has_errors(), "{}", fresh.text());
    let fresh = fresh.data("login").clone();
    let reset_again = call(&server, &token, RESET_FACTORS, json!({ "userId": carl_id })).await;
    assert_eq!(reset_again.data("resetUserFactors"), true);
    assert!(!server.is_live(&access_token(&fresh)).await);
    let stored = server.stored_session(&session_id(&fresh)).await;
    assert_eq!(
        stored.end_reason,
        Some(authql::vocabulary::EndReason::EndedByAdmin)
    );

    let actions: Vec<String> = audit(&server, &token)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "resetUserFactors",
            "resetUserFactors",
            "endUserSessions",
            "endUserSessions"
        ]
    );
    let admin_events = seen(&server, &token, &carl_id).await["securityEvents"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "ADMIN_ACTION")
        .count();
    assert_eq!(admin_events, 4);
}

async fn resetting_factors_removes_passkeys(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, token) = admin(&server, "ada").await;
    let mut authenticator = authql_testkit::SoftAuthenticator::new();
    let flags = authql_testkit::Flags::VERIFIED;
    let dee_token = user_with_passkey(&server, "dee", &mut authenticator, flags).await;
    let dee = call(&server, &dee_token, ME, json!({})).await.data("me")["id"].clone();
    let dee = dee.as_str().expect("an id");
    assert_eq!(seen(&server, &token, dee).await["mfa"]["passkeys"], 1);
    assert!(
        !passkey_sign_in(&server, &mut authenticator, flags)
            .await
            .has_errors()
    );

    let reset = call(&server, &token, RESET_FACTORS, json!({ "userId": dee })).await;
    assert_eq!(reset.data("resetUserFactors"), true);
    assert_eq!(seen(&server, &token, dee).await["mfa"]["passkeys"], 0);
    assert!(!server.is_live(&dee_token).await);
    let refused = passkey_sign_in(&server, &mut authenticator, flags).await;
    assert_eq!(refused.code(), "INVALID_CREDENTIALS");
}

async fn the_directory_searches_plain_text_and_pages_stably(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, token) = admin(&server, "ada").await;
    for name in ["al%ice", "bob_smith", "bobXsmith", "Dora!x", "eve"] {
        add(&server, name, "user").await;
    }
    add_user_with_email(&server, "frank", "Frank.Boss@Example.ORG").await;
    let search = |query: &'static str| found(&server, &token, query);
    assert_eq!(search("%").await, (1, vec!["al%ice".to_owned()]));
    assert_eq!(search("_").await, (1, vec!["bob_smith".to_owned()]));
    assert_eq!(search("b_b").await, (0, vec![]));
    assert_eq!(search("!").await, (1, vec!["Dora!x".to_owned()]));
    assert_eq!(search("BOB").await.0, 2);
    assert_eq!(search("dORA").await.1, vec!["Dora!x".to_owned()]);
    assert_eq!(search("@example.org").await, (1, vec!["frank".to_owned()]));
    assert_eq!(search("").await.0, 7);

    // Pages of two, oldest first, with users created between pages: each
    // user of the first list shows once, in order, and the new ones last.
    let mut seen_names = Vec::new();
    let mut after: Option<String> = None;
    let mut added = 0;
    loop {
        let answer = call(
            &server,
            &token,
            USERS,
            json!({ "first": 2, "after": after }),
        )
        .await;
        let page = answer.data("users").clone();
        for node in page["nodes"].as_array().expect("nodes") {
            seen_names.push(node["userName"].as_str().unwrap_or("").to_owned());
        }
        if added < 2 {
            add(&server, &format!("late{added}"), "user").await;
            added += 1;
        }
        if page["hasNextPage"] == false {
            assert_eq!(page["totalCount"], 7 + added);
            break;
        }
        after = page["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen_names,
        [
            "ada",
            "al%ice",
            "bob_smith",
            "bobXsmith",
            "Dora!x",
            "eve",
            "frank",
            "late0",
            "late1"
        ]
    );
    let empty = call(
        &server,
        &token,
        USERS,
        json!({ "query": "nobody-has-this" }),
    )
    .await;
    assert_eq!(
        empty.data("users"),
        &json!({ "totalCount": 0, "hasNextPage": false, "endCursor": null, "nodes": [] })
    );

    // lastSignInAt: the latest session opened; a refresh does not move it.
    let eve = call(&server, &token, USERS, json!({ "query": "eve" }))
        .await
        .data("users")["nodes"][0]
        .clone();
    assert_eq!(eve["lastSignInAt"], Value::Null);
    let signed_in = server.login("eve", PASSWORD).await;
    let first_at = call(&server, &token, USERS, json!({ "query": "eve" }))
        .await
        .data("users")["nodes"][0]["lastSignInAt"]
        .clone();
    assert!(first_at.is_string(), "{first_at}");
    server.advance(TimeDelta::seconds(120));
    let refreshed = server
        .refresh(signed_in["refreshToken"].as_str().expect("a token"))
        .await;
    assert!(!refreshed.has_errors(), "{}", refreshed.text());
    let eve_id = eve["id"].as_str().expect("an id");
    assert_eq!(
        seen(&server, &token, eve_id).await["lastSignInAt"],
        first_at
    );
    server.advance(TimeDelta::seconds(120));
    server.login("eve", PASSWORD).await;
    assert_ne!(
        seen(&server, &token, eve_id).await["lastSignInAt"],
        first_at
    );
}

/// The `totalCount` and the names of the first page of `users(query:)`.
pub(crate) async fn found(server: &TestServer, token: &str, query: &str) -> (i64, Vec<String>) {
    let answer = call(server, token, USERS, json!({ "query": query })).await;
    let page = answer.data("users");
    let names = page["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| node["userName"].as_str().unwrap_or("").to_owned())
        .collect();
    (page["totalCount"].as_i64().unwrap_or(-1), names)
}

async fn the_directory_follows_changes_made_through_another_replica(backend: Backend) {
    let (mail, server) = with_mail(backend, SignupMode::Open).await;
    let replica = server.second_server();
    admin(&server, "ada").await;
    add_user_with_email(&server, "abe", "abe@example.com").await;
    let token = access_token(&replica.login("ada", PASSWORD).await);
    // The replica reads its copy of the directory here.
    assert_eq!(found(&replica, &token, "").await.0, 2);

    // Each change through the first replica shows through the second at
    // once: a user added (as `authql user add` does)...
    add(&server, "cid", "user").await;
    assert_eq!(
        found(&replica, &token, "CID").await,
        (1, vec!["cid".into()])
    );
    // ...an account signed up (unverified)...
    let signed_up = server
        .call(SIGN_UP)
        .variables(json!({ "input": {
            "userName": "Nina", "email": "nina@example.com", "password": PASSWORD
        } }))
        .await;
    assert!(!signed_up.has_errors(), "{}", signed_up.text());
    assert_eq!(
        found(&replica, &token, "NINA@").await,
        (1, vec!["Nina".into()])
    );
    // ...an address changed and verified...
    let abe = access_token(&server.login("abe", PASSWORD).await);
    let change = server
        .call(CHANGE_EMAIL)
        .bearer(&abe)
        .variables(json!({ "newEmail": "Abe.New@example.com" }))
        .await;
    assert_eq!(change.data("changeEmail"), true);
    let mails = mail.wait_for(2, MAIL_WAIT).await;
    let link = token_of(mail_to(&mails, "abe.new@example.com"), "verify-email");
    let verified = server
        .call(VERIFY_EMAIL)
        .variables(json!({ "token": link }))
        .await;
    assert_eq!(verified.data("verifyEmail"), true);
    assert_eq!(found(&replica, &token, "abe.new@").await.0, 1);
    assert_eq!(found(&replica, &token, "abe@example").await.0, 0);
    // ...and an account never verified, pruned. The replica reads the
    // whole directory again after the clock's jump, before the prune: only
    // the log tells it of the deletion.
    server.advance(server.app.config.accounts.unverified_account_lifetime + TimeDelta::hours(1));
    let token = access_token(&replica.login("ada", PASSWORD).await);
    assert_eq!(found(&replica, &token, "nina").await.0, 1);
    let pruned = authql::core::prune::prune_once(&server.app)
        .await
        .expect("prune");
    assert_eq!(pruned.unverified_accounts, 1);
    assert_eq!(found(&replica, &token, "nina").await.0, 0);
    assert_eq!(found(&replica, &token, "").await.0, 3);

    // A change whose log row is gone (as after the log's prune) before the
    // replica read it: the replica finds a version without its row and
    // reads everything again.
    let dan = add(&server, "dan", "user").await;
    sql(
        &server,
        "DELETE FROM directory_changes WHERE user_id = ?",
        &dan,
    )
    .await;
    assert_eq!(
        found(&replica, &token, "dan").await,
        (1, vec!["dan".into()])
    );
    let everyone = ["ada", "abe", "cid", "dan"].map(String::from).to_vec();
    assert_eq!(found(&replica, &token, "").await, (4, everyone.clone()));
    assert_eq!(found(&server, &token, "").await, (4, everyone));

    // A user written without the log (an operator's SQL) is found once the
    // replica's copy is older than its 10 minutes, and read again whole.
    sql(
        &server,
        "INSERT INTO users (id, user_name, user_name_key, password_hash, role, status, \
         created_at, updated_at) VALUES (?, 'Eli', 'eli', 'none', 'user', 'active', \
         '2020-01-01 00:00:00', '2020-01-01 00:00:00')",
        "c3FsLXdyaXR0ZW4tdXNlcg",
    )
    .await;
    assert_eq!(found(&replica, &token, "eli").await.0, 0, "not logged");
    server.advance(TimeDelta::minutes(11));
    let token = access_token(&replica.login("ada", PASSWORD).await);
    assert_eq!(
        found(&replica, &token, "eli").await,
        (1, vec!["Eli".into()])
    );

    // The log is kept a day.
    server.advance(TimeDelta::days(2));
    let pruned = authql::core::prune::prune_once(&server.app)
        .await
        .expect("prune");
    assert!(pruned.directory_changes >= 1, "{pruned:?}");
    let mut conn = server.app.pool.get().await.expect("a connection");
    let left = authql::with_conn!(&mut conn, |c| {
        diesel::sql_query("SELECT COUNT(*) AS n FROM directory_changes")
            .get_result::<Number>(c)
            .await
    })
    .expect("count the log");
    assert_eq!(left.n, 0);
}

/// Runs `statement` with its one `?` bound to `value`.
async fn sql(server: &TestServer, statement: &str, value: &str) {
    let mut conn = server.app.pool.get().await.expect("a connection");
    authql::with_conn!(&mut conn, |c| diesel::sql_query(statement)
        .bind::<diesel::sql_types::Text, _>(value)
        .execute(c)
        .await)
    .expect(statement);
}

async fn admins_invite_and_send_reset_links(backend: Backend) {
    let (mail, server) = with_mail(backend, authql::config::SignupMode::Closed).await;
    let (_, token) = admin(&server, "ada").await;
    let gil = add_user_with_email(&server, "gil", "gil@example.com").await;
    let hal = add(&server, "hal", "user").await;

    let invited = call(
        &server,
        &token,
        INVITE,
        json!({ "email": "new@example.com", "role": "editor" }),
    )
    .await;
    assert_eq!(invited.data("inviteUser"), true);
    let sent = call(&server, &token, SEND_RESET, json!({ "userId": gil })).await;
    assert_eq!(sent.data("sendPasswordReset"), true);
    let no_address = call(&server, &token, SEND_RESET, json!({ "userId": hal })).await;
    assert_eq!(no_address.code(), "BAD_USER_INPUT");
    call(
        &server,
        &token,
        SET_STATUS,
        json!({ "userId": gil, "status": "DISABLED" }),
    )
    .await;
    let disabled = call(&server, &token, SEND_RESET, json!({ "userId": gil })).await;
    assert_eq!(disabled.code(), "BAD_USER_INPUT");
    let unknown = json!({ "userId": authql::core::ids::new_id() });
    assert_eq!(
        call(&server, &token, SEND_RESET, unknown).await.code(),
        "NOT_FOUND"
    );

    let mails = mail.wait_for(2, MAIL_WAIT).await;
    token_of(mail_to(&mails, "new@example.com"), "accept-invite");
    let reset = token_of(mail_to(&mails, "gil@example.com"), "reset-password");
    assert!(!reset.is_empty());
    let entries = audit(&server, &token).await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        actions,
        ["setUserStatus", "sendPasswordReset", "inviteUser"]
    );
    assert_eq!(entries[2]["targetUserId"], Value::Null);
    assert_eq!(entries[2]["detail"], "new@example.com as editor");
    for entry in &entries {
        let text = entry.to_string();
        assert!(!text.contains(&reset), "no token in the audit log: {text}");
    }
    let gils = seen(&server, &token, &gil).await["securityEvents"].clone();
    assert!(
        gils.as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "ADMIN_ACTION" && e["detail"] == "sendPasswordReset"),
        "{gils}"
    );
}

async fn enabling_an_unverified_account_verifies_it(backend: Backend) {
    let (mail, server) = with_mail(backend, authql::config::SignupMode::Open).await;
    let (_, token) = admin(&server, "ada").await;
    let signed_up = server
        .call(authql_testkit::documents::SIGN_UP)
        .variables(json!({ "input": { "userName": "ivy", "email": "ivy@example.com", "password": PASSWORD } }))
        .await;
    assert!(!signed_up.has_errors(), "{}", signed_up.text());
    mail.wait_for(1, MAIL_WAIT).await;
    let found = call(&server, &token, USERS, json!({ "query": "ivy" })).await;
    let ivy = found.data("users")["nodes"][0].clone();
    assert_eq!(ivy["status"], "UNVERIFIED");
    let enabled = call(
        &server,
        &token,
        SET_STATUS,
        json!({ "userId": ivy["id"], "status": "ACTIVE" }),
    )
    .await;
    assert_eq!(
        enabled.data("setUserStatus"),
        &json!({ "id": ivy["id"], "status": "ACTIVE", "emailVerified": true })
    );
    assert!(
        !server
            .login_answer("ivy", PASSWORD, None)
            .await
            .has_errors()
    );
}

async fn audit_entries_are_pruned_with_security_events(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, token) = admin(&server, "ada").await;
    let bob = add(&server, "bob", "user").await;
    let role = json!({ "userId": bob, "role": "editor" });
    assert!(!call(&server, &token, SET_ROLE, role).await.has_errors());
    assert_eq!(audit(&server, &token).await.len(), 1);
    let retention = server.app.config.security_event_retention;
    server.advance(retention - TimeDelta::hours(1));
    authql::core::prune::prune_once(&server.app)
        .await
        .expect("prune");
    let token = access_token(&server.login("ada", PASSWORD).await);
    assert_eq!(
        audit(&server, &token).await.len(),
        1,
        "kept within the retention"
    );
    server.advance(TimeDelta::hours(2));
    let report = authql::core::prune::prune_once(&server.app)
        .await
        .expect("prune");
    assert_eq!(report.audit_entries, 1);
    let token = access_token(&server.login("ada", PASSWORD).await);
    assert!(audit(&server, &token).await.is_empty());
}

both_backends!(
    refusals_come_in_the_contracts_order,
    status_changes_end_sessions_and_are_audited,
    roles_and_statuses_hold_through_another_replica_at_once,
    a_disabled_users_socket_closes_4403,
    the_last_active_admin_stays_one,
    sessions_and_factors_are_ended_and_reset,
    resetting_factors_removes_passkeys,
    the_directory_searches_plain_text_and_pages_stably,
    the_directory_follows_changes_made_through_another_replica,
    admins_invite_and_send_reset_links,
    enabling_an_unverified_account_verifies_it,
    audit_entries_are_pruned_with_security_events,
);
