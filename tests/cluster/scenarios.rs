//! The scenarios, and `me` through one node against one plain server.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::Cluster;
use crate::haproxy::HaProxy;
use crate::replica::{Answer, Replica};
use authql_testkit::MailServer;
use authql_testkit::documents::{
    COMPLETE_LOGIN, CONFIRM_TOTP, ENROLL_TOTP, REQUEST_PASSWORD_RESET,
};
use authql_testkit::totp_code;

const PASSWORD: &str = "cluster password";

/// Answers by code, for the report.
#[derive(Default, Debug)]
struct Counts(BTreeMap<String, usize>);

impl Counts {
    fn add(&mut self, code: &str) {
        *self.0.entry(code.to_owned()).or_default() += 1;
    }
}

/// Spreads `n` calls of `f` over the replicas (call i through replica i
/// modulo their number), lets them all go at once, and returns their
/// results in call order.
async fn at_once<F, Call, T>(replicas: &[Replica], n: usize, f: F) -> Vec<T>
where
    F: Fn(Replica) -> Call,
    Call: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    each_at_once(replicas, n, |_, replica| f(replica)).await
}

/// As [`at_once`], with each call told its number.
async fn each_at_once<F, Call, T>(replicas: &[Replica], n: usize, f: F) -> Vec<T>
where
    F: Fn(usize, Replica) -> Call,
    Call: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let calls: Vec<_> = (0..n)
        .map(|i| {
            // A future does nothing until polled: this one starts after
            // the barrier.
            let (call, barrier) = (f(i, replicas[i % replicas.len()].clone()), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                call.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for call in calls {
        results.push(call.await.expect("a call at once"));
    }
    results
}

fn token(answer: &Answer, field: &str, which: &str) -> String {
    answer.data(field)[which]
        .as_str()
        .unwrap_or_else(|| panic!("{field}.{which} in {}", answer.body))
        .to_owned()
}

/// 1. A session ended through replica 1 is refused by replicas 2 and 3 on
///    the very next request, 200 times.
pub async fn ended_sessions_are_refused_everywhere(replicas: &[Replica]) {
    const ROUNDS: usize = 200;
    let began = Instant::now();
    replicas[0].add_user("ines", PASSWORD).await;
    let mut before = Counts::default();
    let mut after = Counts::default();
    for _ in 0..ROUNDS {
        let login = replicas[0].login("ines", PASSWORD).await;
        assert_eq!(login.code, "OK", "{}", login.body);
        let access = token(&login, "login", "accessToken");
        // Opened through node 1, seen at once through nodes 2 and 3.
        for replica in &replicas[1..] {
            before.add(&replica.me(&access).await.code);
        }
        let logout = replicas[0]
            .graphql("mutation { logout }", json!({}), Some(&access))
            .await;
        assert_eq!(logout.code, "OK", "{}", logout.body);
        let (two, three) = tokio::join!(replicas[1].me(&access), replicas[2].me(&access));
        after.add(&two.code);
        after.add(&three.code);
    }
    eprintln!(
        "cluster scenario 1 (ended through replica 1, asked at once through 2 and 3, {ROUNDS} \
         times, {:?}): before the logout {:?}; after it {:?}",
        began.elapsed(),
        before.0,
        after.0
    );
    assert_eq!(
        before.0.get("OK"),
        Some(&(2 * ROUNDS)),
        "opened sessions seen everywhere"
    );
    assert_eq!(
        after.0.get("SESSION_REVOKED"),
        Some(&(2 * ROUNDS)),
        "zero stale answers: {:?}",
        after.0
    );
}

/// 2. One refresh token sent 30 times at once over the three replicas: every
///    success carries the same successor; 50 storms, each on the last one's
///    successor; the session still refreshes afterwards.
pub async fn a_refresh_storm_never_forks(replicas: &[Replica]) {
    const STORMS: usize = 50;
    const RACERS: usize = 30;
    let began = Instant::now();
    replicas[0].add_user("rosa", PASSWORD).await;
    let login = replicas[0].login("rosa", PASSWORD).await;
    let mut current = token(&login, "login", "refreshToken");
    let mut counts = Counts::default();
    let mut forks = 0;
    let mut slowest = Duration::ZERO;
    for _ in 0..STORMS {
        let storm_began = Instant::now();
        let answers = at_once(replicas, RACERS, |replica| {
            let presented = current.clone();
            async move { replica.refresh(&presented).await }
        })
        .await;
        let mut successors = std::collections::BTreeSet::new();
        for answer in answers {
            counts.add(&answer.code);
            if answer.code == "OK" {
                successors.insert(token(&answer, "refreshToken", "refreshToken"));
            }
        }
        slowest = slowest.max(storm_began.elapsed());
        if successors.len() > 1 {
            forks += 1;
        }
        current = successors
            .into_iter()
            .next()
            .expect("one racer at least succeeded");
    }
    let last = replicas[2].refresh(&current).await;
    eprintln!(
        "cluster scenario 2 ({STORMS} storms of {RACERS} racers over 3 replicas, {:?}, slowest \
         storm {slowest:?}): answers {:?}; forks {forks}; the session refreshes afterwards: {}",
        began.elapsed(),
        counts.0,
        last.code
    );
    assert_eq!(forks, 0, "one token chain");
    assert_eq!(last.code, "OK", "{}", last.body);
    assert_eq!(
        counts.0.get("OK"),
        Some(&(STORMS * RACERS)),
        "every racer is within the grace window and gets the successor: {:?}",
        counts.0
    );
}

/// 3. Wrong passwords for one name spread over the three replicas: never
///    more than LOGIN_MAX_FAILURES (5) checked in a window.
pub async fn the_throttle_holds_across_nodes(replicas: &[Replica]) {
    const ROUNDS: usize = 10;
    const ATTEMPTS: usize = 30;
    let began = Instant::now();
    let mut totals = Counts::default();
    for round in 0..ROUNDS {
        let name = format!("theo{round}");
        replicas[0].add_user(&name, PASSWORD).await;
        let answers = at_once(replicas, ATTEMPTS, |replica| {
            let name = name.clone();
            async move { replica.login(&name, "a wrong password").await }
        })
        .await;
        let mut counts = Counts::default();
        for answer in answers {
            counts.add(&answer.code);
            totals.add(&answer.code);
        }
        let checked = counts.0.get("INVALID_CREDENTIALS").copied().unwrap_or(0);
        assert!(
            checked <= 5,
            "at most 5 checked in the window: {:?}",
            counts.0
        );
        // A check whose throttle statements kept meeting certification
        // conflicts can run past the replicas' 3 s statement timeout and be
        // answered SERVICE_UNAVAILABLE: a refusal too, checking nothing
        // (seen once in 30 on a CI machine, and beside a benchmark here).
        // A few at most; anything else fails.
        let unavailable = counts.0.get("SERVICE_UNAVAILABLE").copied().unwrap_or(0);
        assert!(unavailable <= 3, "a few timeouts at most: {:?}", counts.0);
        assert_eq!(
            checked + counts.0.get("TOO_MANY_ATTEMPTS").copied().unwrap_or(0) + unavailable,
            ATTEMPTS,
            "every answer is a check or a refusal: {:?}",
            counts.0
        );
    }
    eprintln!(
        "cluster scenario 3 ({ROUNDS} names, {ATTEMPTS} wrong passwords each at once over 3 \
         replicas, {:?}): answers {:?}",
        began.elapsed(),
        totals.0
    );
}

/// Signed-in `me` as fast as 16 clients go, for `for_how_long`: answers/s.
async fn me_rate(replica: &Replica, user: &str, for_how_long: Duration) -> f64 {
    replica.add_user(user, PASSWORD).await;
    let login = replica.login(user, PASSWORD).await;
    let access = token(&login, "login", "accessToken");
    let until = Instant::now() + for_how_long;
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (replica, access) = (replica.clone(), access.clone());
            tokio::spawn(async move {
                let mut ok = 0_u64;
                while Instant::now() < until {
                    if replica.me(&access).await.code == "OK" {
                        ok += 1;
                    }
                }
                ok
            })
        })
        .collect();
    let mut ok = 0;
    for client in clients {
        ok += client.await.expect("client");
    }
    ok as f64 / for_how_long.as_secs_f64()
}

/// `me` through one Galera node (causal reads, 1 ms from the replica) and
/// through the plain MariaDB server of the other tests, in the same run.
pub async fn me_through_one_node_and_one_server(through_node: &Replica) {
    let window = Duration::from_secs(3);
    let galera = me_rate(through_node, "mia", window).await;
    let plain = match std::env::var("AUTHQL_TEST_MYSQL_URL") {
        Ok(server) if !server.trim().is_empty() => {
            let server = server.trim().trim_end_matches('/').to_owned();
            let database = format!("authql_cluster_{}", std::process::id());
            admin(&server, &format!("CREATE DATABASE `{database}`")).await;
            let url = format!("{server}/{database}");
            authql::store::migrate::run_pending(&url.parse().expect("url"))
                .await
                .expect("migrations");
            let replica = Replica::start(&url, &[]);
            let rate = me_rate(&replica, "mia", window).await;
            admin(&server, &format!("DROP DATABASE `{database}`")).await;
            format!("{rate:.0}/s")
        }
        _ => "not measured (AUTHQL_TEST_MYSQL_URL unset)".to_owned(),
    };
    eprintln!(
        "cluster: me with 16 clients over {window:?}: through one Galera node {galera:.0}/s; \
         through one plain MariaDB server {plain}"
    );
    assert!(galera > 0.0, "me works through a node");
}

async fn admin(server: &str, statement: &str) {
    use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
    let mut conn = AsyncMysqlConnection::establish(&format!("{server}/mysql"))
        .await
        .expect("admin connection");
    diesel::sql_query(statement)
        .execute(&mut conn)
        .await
        .expect("admin statement");
}

/// One answer of the steady load: when, and whether it was right.
struct Seen {
    at: Instant,
    code: String,
}

/// 4. Replicas behind HAProxy under a steady load of `me` and
///    `refreshToken`; node 2 killed with SIGKILL; then it rejoins.
pub async fn a_node_killed_under_load(cluster: &mut Cluster) {
    const CLIENTS: usize = 6;
    let addresses: Vec<String> = (1..=3).map(|n| cluster.network.address(n)).collect();
    let proxy = HaProxy::start(&addresses);
    let url = format!("mysql://root@127.0.0.1:{}/authql", proxy.port);
    let replicas: Vec<Replica> = (0..3).map(|_| Replica::start(&url, &[])).collect();
    replicas[0].add_user("kim", PASSWORD).await;

    // Logins with the right password at once, through HAProxy.
    let logins = at_once(&replicas, 4, |replica| async move {
        replica.login("kim", PASSWORD).await
    })
    .await;
    let mut sessions = Vec::new();
    for answer in logins {
        assert_eq!(
            answer.code, "OK",
            "a login at once through HAProxy: {}",
            answer.body
        );
        sessions.push(token(&answer, "login", "accessToken"));
    }

    let began = Instant::now();
    let kill_at = began + Duration::from_secs(3);
    let until = kill_at + Duration::from_secs(12);
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let login = replicas[i % 3].login("kim", PASSWORD).await;
        assert_eq!(login.code, "OK", "{}", login.body);
        let mut access = token(&login, "login", "accessToken");
        let mut refresh = token(&login, "login", "refreshToken");
        let replicas = replicas.clone();
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut wrong = Vec::new();
            let mut turn = i;
            while Instant::now() < until {
                turn += 1;
                let replica = &replicas[turn % 3];
                let me = replica.me(&access).await;
                if me.code == "OK" && me.data("me")["userName"] != "kim" {
                    wrong.push(format!("me answered {}", me.body));
                }
                seen.push(Seen {
                    at: Instant::now(),
                    code: me.code.clone(),
                });
                let refreshed = replicas[(turn + 1) % 3].refresh(&refresh).await;
                if refreshed.code == "OK" {
                    access = token(&refreshed, "refreshToken", "accessToken");
                    refresh = token(&refreshed, "refreshToken", "refreshToken");
                }
                seen.push(Seen {
                    at: Instant::now(),
                    code: refreshed.code.clone(),
                });
                for answer in [&me, &refreshed] {
                    if !matches!(answer.code.as_str(), "OK" | "SERVICE_UNAVAILABLE") {
                        wrong.push(format!("{}: {}", answer.code, answer.body));
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (seen, wrong, access)
        }));
    }
    tokio::time::sleep_until(kill_at.into()).await;
    cluster.nodes.node(2).kill();
    let killed = Instant::now();
    let mut seen = Vec::new();
    let mut wrong = Vec::new();
    for client in clients {
        let (client_seen, client_wrong, access) = client.await.expect("client");
        seen.extend(client_seen);
        wrong.extend(client_wrong);
        sessions.push(access);
    }
    seen.sort_by_key(|answer| answer.at);
    let mut counts = Counts::default();
    let mut longest_gap = Duration::ZERO;
    let mut last_ok = began;
    let mut last_failure: Option<Instant> = None;
    for answer in &seen {
        counts.add(&answer.code);
        if answer.code == "OK" {
            longest_gap = longest_gap.max(answer.at - last_ok);
            last_ok = answer.at;
        } else {
            last_failure = Some(answer.at);
        }
    }
    let recovery = last_failure.map_or(Duration::ZERO, |at| at.saturating_duration_since(killed));
    eprintln!(
        "cluster scenario 4 (3 replicas behind HAProxy, {CLIENTS} clients of me + refreshToken, \
         node 2 SIGKILLed): answers {:?}; longest gap without a success {longest_gap:?}; last \
         failure {recovery:?} after the kill",
        counts.0
    );
    assert!(wrong.is_empty(), "no wrong answer: {wrong:?}");
    assert!(
        longest_gap < Duration::from_secs(5),
        "service resumes within 5 s: longest gap {longest_gap:?}"
    );
    for access in &sessions {
        let me = replicas[0].me(access).await;
        assert_eq!(
            me.code, "OK",
            "a session opened before the kill works: {}",
            me.body
        );
    }

    // Node 2 rejoins; traffic through it is correct again.
    let rejoin_began = Instant::now();
    let cluster_address = cluster.nodes.cluster_address();
    let (rejoined, transfer) = tokio::task::block_in_place(|| {
        let node = cluster.nodes.node(2);
        node.restart(&cluster_address);
        (node.wait_synced(3), node.last_state_transfer())
    });
    assert_eq!(transfer, "IST", "node 2 caught up on what it missed only");
    let through_two = Replica::start(&cluster.url(2), &[]);
    for access in &sessions {
        let me = through_two.me(access).await;
        assert_eq!(me.code, "OK", "through the rejoined node: {}", me.body);
    }
    let login = through_two.login("kim", PASSWORD).await;
    let refreshed = through_two
        .refresh(&token(&login, "login", "refreshToken"))
        .await;
    assert_eq!(refreshed.code, "OK", "{}", refreshed.body);
    let fresh = replicas[2]
        .me(&token(&refreshed, "refreshToken", "accessToken"))
        .await;
    assert_eq!(
        fresh.code, "OK",
        "a session refreshed through node 2, seen through HAProxy"
    );
    eprintln!(
        "cluster scenario 4: node 2 Synced again by {transfer} {rejoined:?} after its restart \
         ({:?} in all); {} sessions answer through it",
        rejoin_began.elapsed(),
        sessions.len()
    );
}

/// 60 password resets asked at once through the three replicas (a third
/// through each node), for 60 accounts: exactly 60 mails arrive, one to
/// each address, though every replica's sender reads the same outbox and
/// claims through its own node.
pub async fn resets_through_every_node_mail_each_once(replicas: &[Replica], mail: &MailServer) {
    const ACCOUNTS: usize = 60;
    for n in 0..ACCOUNTS {
        replicas[n % 3]
            .add_user_with_email(
                &format!("reset{n}"),
                "password",
                &format!("reset{n}@example.com"),
            )
            .await;
    }
    let start = Arc::new(Barrier::new(ACCOUNTS));
    let asked: Vec<_> = (0..ACCOUNTS)
        .map(|n| {
            let (replica, start) = (replicas[n % 3].clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                replica
                    .graphql(
                        REQUEST_PASSWORD_RESET,
                        json!({ "email": format!("reset{n}@example.com") }),
                        None,
                    )
                    .await
            })
        })
        .collect();
    for answer in asked {
        let answer = answer.await.expect("request");
        assert_eq!(answer.data("requestPasswordReset"), true, "{}", answer.body);
    }
    let began = Instant::now();
    mail.wait_for(ACCOUNTS, Duration::from_secs(60)).await;
    let arrived = began.elapsed();
    // Room for a duplicate to show up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = mail.mails().await;
    let mut per_address: BTreeMap<String, usize> = BTreeMap::new();
    for received in &mails {
        for to in &received.to {
            *per_address.entry(to.to_lowercase()).or_default() += 1;
        }
    }
    eprintln!(
        "cluster scenario: {ACCOUNTS} resets through 3 nodes: {} mails in {arrived:?}",
        mails.len()
    );
    assert_eq!(mails.len(), ACCOUNTS, "one mail per reset, no duplicate");
    assert_eq!(per_address.len(), ACCOUNTS);
    assert!(
        per_address.values().all(|count| *count == 1),
        "{per_address:?}"
    );
}

/// A TOTP time step, in seconds.
const STEP_SECS: i64 = 30;

/// The code of `otpauth_uri` at `unix_secs`, by otplib (a node process:
/// this worker thread waits for it, the others run on).
fn otplib_code(otpauth_uri: &str, unix_secs: i64) -> String {
    tokio::task::block_in_place(|| totp_code(otpauth_uri, unix_secs))
}

/// 5. A user with TOTP on logs in through each replica (three
///    `mfaToken`s); one current code then finishes the three at once:
///    exactly one session, two `INVALID_CREDENTIALS` (a code is accepted
///    once per account, whichever node is asked). Likewise one recovery
///    code.
pub async fn one_code_through_three_replicas_opens_one_session(replicas: &[Replica]) {
    const USER: &str = "tess";
    let began = Instant::now();
    replicas[0].add_user(USER, PASSWORD).await;
    let login = replicas[0].login(USER, PASSWORD).await;
    let access = token(&login, "login", "accessToken");
    let enrolled = replicas[0]
        .graphql(ENROLL_TOTP, json!({}), Some(&access))
        .await;
    let uri = token(&enrolled, "enrollTotp", "otpauthUri");
    let confirmed_at = replicas[0].now_unix();
    let confirmed = replicas[0]
        .graphql(
            CONFIRM_TOTP,
            json!({ "code": otplib_code(&uri, confirmed_at) }),
            Some(&access),
        )
        .await;
    assert_eq!(confirmed.code, "OK", "{}", confirmed.body);
    let recovery_code = confirmed.data("confirmTotp")[0]
        .as_str()
        .unwrap_or_else(|| panic!("recovery codes in {}", confirmed.body))
        .to_owned();

    // confirmTotp accepted the step of `confirmed_at`, and a step at or
    // before it is refused: the racers' code is of the current step once
    // that is later, else of the next one (the ±1 window accepts it), so
    // the test never waits for the clock.
    let step = (replicas[0].now_unix() / STEP_SECS).max(confirmed_at / STEP_SECS + 1);
    let code = otplib_code(&uri, step * STEP_SECS);
    let by_code = finish_logins_at_once(replicas, USER, &json!({ "code": code })).await;
    let by_recovery_code =
        finish_logins_at_once(replicas, USER, &json!({ "recoveryCode": recovery_code })).await;
    eprintln!(
        "cluster scenario 5 (three logins of one user with TOTP, one through each replica, \
         finished at once with one code, {:?}): by a TOTP code {:?}; by a recovery code {:?}",
        began.elapsed(),
        by_code.0,
        by_recovery_code.0
    );
    for (factor, counts) in [
        ("TOTP code", &by_code),
        ("recovery code", &by_recovery_code),
    ] {
        assert_eq!(
            counts.0.get("OK"),
            Some(&1),
            "one {factor}, one session: {:?}",
            counts.0
        );
        assert_eq!(
            counts.0.get("INVALID_CREDENTIALS"),
            Some(&(replicas.len() - 1)),
            "the {factor} refused to the others: {:?}",
            counts.0
        );
    }
}

/// Logs `user` in through each replica (each answers `MFA_REQUIRED` with
/// its own `mfaToken`), then sends `factor` to finish all the logins at
/// once, each through the replica that began it. The session opened is
/// checked at `aal` 2 and live through another replica.
async fn finish_logins_at_once(replicas: &[Replica], user: &str, factor: &Value) -> Counts {
    let mut inputs = Vec::with_capacity(replicas.len());
    for replica in replicas {
        let login = replica.login(user, PASSWORD).await;
        assert_eq!(login.code, "MFA_REQUIRED", "{}", login.body);
        let mfa_token = login.body["errors"][0]["extensions"]["mfaToken"].clone();
        assert!(mfa_token.is_string(), "mfaToken in {}", login.body);
        let mut input = factor.clone();
        input["mfaToken"] = mfa_token;
        inputs.push(input);
    }
    let answers = each_at_once(replicas, replicas.len(), |i, replica| {
        let input = inputs[i].clone();
        async move {
            replica
                .graphql(COMPLETE_LOGIN, json!({ "input": input }), None)
                .await
        }
    })
    .await;
    let mut counts = Counts::default();
    for (i, answer) in answers.iter().enumerate() {
        counts.add(&answer.code);
        if answer.code == "OK" {
            assert_eq!(
                answer.data("completeLogin")["session"]["aal"],
                2,
                "{}",
                answer.body
            );
            let access = token(answer, "completeLogin", "accessToken");
            let elsewhere = replicas[(i + 1) % replicas.len()].me(&access).await;
            assert_eq!(elsewhere.code, "OK", "{}", elsewhere.body);
        }
    }
    counts
}

/// The admin's search: `totalCount` and the names of the first 200.
async fn directory(replica: &Replica, token: &str, query: &str) -> (i64, Vec<String>) {
    let answer = replica
        .graphql(
            "query($q: String) { users(query: $q, first: 200) { totalCount nodes { userName } } }",
            json!({ "q": query }),
            Some(token),
        )
        .await;
    let page = answer.data("users");
    let names = page["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("users in {}", answer.body))
        .iter()
        .map(|node| node["userName"].as_str().unwrap_or("").to_owned())
        .collect();
    (page["totalCount"].as_i64().unwrap_or(-1), names)
}

/// 60 users added at once through the three replicas, a third through each
/// node: the adds meet on the rows of the directory's change log (16
/// shards), and one that loses certification runs again. Each replica,
/// whose copy of the directory was read before, then finds all 60 and
/// lists the same users as the others.
pub async fn users_added_through_every_node_are_found_through_each(replicas: &[Replica]) {
    const USERS: usize = 60;
    replicas[0].add_admin("directory_admin", PASSWORD).await;
    let mut tokens = Vec::new();
    let mut before = Vec::new();
    for replica in replicas {
        let signed_in = replica.login("directory_admin", PASSWORD).await;
        let token = token(&signed_in, "login", "accessToken");
        before.push(directory(replica, &token, "").await.0);
        tokens.push(token);
    }
    assert!(before.iter().all(|count| *count == before[0]), "{before:?}");
    let retried_before: u64 = replicas.iter().map(Replica::conflict_retries).sum();
    let began = Instant::now();
    each_at_once(replicas, USERS, |n, replica| async move {
        replica.add_user(&format!("listed{n:02}"), "password").await;
    })
    .await;
    let added = began.elapsed();
    let retried = replicas.iter().map(Replica::conflict_retries).sum::<u64>() - retried_before;
    let mut expected: Vec<String> = (0..USERS).map(|n| format!("listed{n:02}")).collect();
    expected.sort();
    for (replica, token) in replicas.iter().zip(&tokens) {
        let (total, mut names) = directory(replica, token, "LISTED").await;
        names.sort();
        assert_eq!((total, &names), (USERS as i64, &expected));
        assert_eq!(
            directory(replica, token, "").await.0,
            before[0] + USERS as i64
        );
    }
    eprintln!(
        "cluster scenario: {USERS} users added at once through 3 nodes in {added:?} \
         ({retried} transactions run again after a conflict), found through each"
    );
}
