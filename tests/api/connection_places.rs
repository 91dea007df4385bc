//! A connection holds one of `HTTP_MAX_CONNECTIONS` places for as long as
//! its socket is open, on the release build as a deployment runs it: a
//! WebSocket keeps the place it was accepted with until it closes, so that
//! sockets can neither crowd out the cap nor run the process out of file
//! descriptors; and a client that takes no byte of its answers for
//! `HTTP_IDLE_TIMEOUT_SECS` loses its place.

use std::time::{Duration, Instant};

use authql_testkit::documents::LOGIN;
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::limits::{connect, open_descriptors, send_healthz, serve, server_binary, status_within};
use crate::served::ServedProcess;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a `graphql-transport-ws` socket at `/graphql`: the handshake only.
async fn open_socket(server: &ServedProcess) -> Result<Socket, String> {
    let mut request = format!("ws://127.0.0.1:{}/graphql", server.port)
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().map_err(|_| "header")?,
    );
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

/// A socket past `connection_init` with `token`, acknowledged.
async fn signed_in_socket(server: &ServedProcess, token: &str) -> Socket {
    let mut socket = open_socket(server).await.expect("handshake");
    let init = json!({
        "type": "connection_init",
        "payload": { "Authorization": format!("Bearer {token}") },
    });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .expect("connection_init");
    loop {
        let said = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("an answer to connection_init");
        match said {
            Some(Ok(Message::Text(text))) => {
                assert!(text.contains("connection_ack"), "{text}");
                return socket;
            }
            Some(Ok(_)) => continue,
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }
}

/// A server with one user, and that user's access token.
async fn serve_signed_in(extra: &[(&str, &str)]) -> (ServedProcess, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("authql.db").display());
    let added = crate::cli::run(&url, &["user", "add", "tess"], "password-of-tess\n").await;
    assert!(added.0, "{}", added.2);
    let server = ServedProcess::start_binary(&server_binary(), &url, extra);
    let login = server.graphql(
        LOGIN,
        json!({ "input": { "userName": "tess", "password": "password-of-tess" } }),
        None,
    );
    let token = login.body["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("login: {}", login.body))
        .to_owned();
    (server, dir, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_websockets_keep_their_connection_places() {
    let (server, _dir, token) = serve_signed_in(&[("HTTP_MAX_CONNECTIONS", "4")]).await;
    let mut sockets = Vec::new();
    for _ in 0..4 {
        sockets.push(signed_in_socket(&server, &token).await);
    }

    // A fifth connection waits to be accepted while the four are open.
    let mut fifth = connect(&server).await;
    send_healthz(&mut fifth).await;
    let mut buf = [0u8; 256];
    let early = tokio::time::timeout(Duration::from_millis(1500), fifth.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "a fifth connection was served while 4 WebSockets held HTTP_MAX_CONNECTIONS=4: {:?}",
        early.map(|read| read.map(|n| String::from_utf8_lossy(&buf[..n]).into_owned()))
    );

    // One socket closes: its place goes to the waiting connection.
    let mut closing = sockets.pop().expect("a socket");
    closing.close(None).await.expect("close");
    drop(closing);
    assert_eq!(
        status_within(&mut fifth, Duration::from_secs(10)).await,
        "HTTP/1.1 200 OK",
        "served once a socket closed"
    );
    drop(sockets);
}

/// Lowers a running process's open-file limit.
fn limit_files_of(pid: u32, files: u64) {
    let limit = libc::rlimit {
        rlim_cur: files,
        rlim_max: files,
    };
    let pid = libc::pid_t::try_from(pid).expect("pid");
    // SAFETY: prlimit reads the struct given and writes nothing (no old limit
    // is asked for).
    let done = unsafe { libc::prlimit(pid, libc::RLIMIT_NOFILE, &limit, std::ptr::null_mut()) };
    assert_eq!(done, 0, "prlimit: {}", std::io::Error::last_os_error());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_sockets_never_run_the_server_out_of_descriptors() {
    const CAP: usize = 16;
    const SOCKETS: usize = 80;
    let cap = CAP.to_string();
    let (server, _dir) = serve(&[
        ("HTTP_MAX_CONNECTIONS", cap.as_str()),
        ("WS_INIT_TIMEOUT_SECS", "60"),
    ]);
    assert_eq!(server.get_status("/readyz"), 200);
    // Room for the cap and a little more, far less than the sockets opened.
    let baseline = open_descriptors(server.pid());
    let files = baseline + CAP + 16;
    limit_files_of(server.pid(), files as u64);

    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..SOCKETS {
        let port = server.port;
        opening.spawn(async move {
            let mut request = format!("ws://127.0.0.1:{port}/graphql")
                .into_client_request()
                .expect("request");
            request.headers_mut().insert(
                "sec-websocket-protocol",
                "graphql-transport-ws".parse().expect("header"),
            );
            // Past the cap the handshake waits in the backlog: given up on.
            tokio::time::timeout(
                Duration::from_secs(3),
                tokio_tungstenite::connect_async(request),
            )
            .await
        });
    }
    let mut open = Vec::new();
    while let Some(opened) = opening.join_next().await {
        if let Ok(Ok(Ok((socket, _)))) = opened {
            open.push(socket);
        }
    }
    let held = open_descriptors(server.pid());
    let refused = server.log_lines_with(&["cannot accept", "too many open files"]);
    eprintln!(
        "{} of {SOCKETS} sockets opened (cap {CAP}, file limit {files}, {baseline} files at rest); \
         the server holds {held} descriptors; {} accept failures logged",
        open.len(),
        refused.len()
    );
    assert!(
        open.len() <= CAP,
        "{} sockets open against HTTP_MAX_CONNECTIONS={CAP}",
        open.len()
    );
    assert!(
        refused.is_empty(),
        "the accept loop ran out of descriptors: {:?}",
        refused.first()
    );

    // The sockets close: a newcomer is served.
    drop(open);
    let mut newcomer = connect(&server).await;
    send_healthz(&mut newcomer).await;
    assert_eq!(
        status_within(&mut newcomer, Duration::from_secs(10)).await,
        "HTTP/1.1 200 OK"
    );
}

/// Pipelines `count` `GET /metrics` on a connection whose receive buffer is
/// small, and never reads an answer; the writing goes on in the background
/// (the server stops reading too, at some point).
async fn pipelining_reader_that_never_reads(
    server: &ServedProcess,
    count: usize,
) -> (TcpStream, tokio::task::JoinHandle<()>) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket
        .connect(([127, 0, 0, 1], server.port).into())
        .await
        .expect("connect");
    let std_stream = stream.into_std().expect("std stream");
    let reader = TcpStream::from_std(std_stream.try_clone().expect("clone")).expect("tokio");
    let mut writer = TcpStream::from_std(std_stream).expect("tokio");
    let requests = b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n".repeat(count);
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(&requests).await;
        // Kept open (not shut down) until the server closes it.
        std::future::pending::<()>().await;
    });
    (reader, writing)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_read_none_of_their_answers_lose_their_places() {
    const REQUESTS: usize = 20_000;
    const STATUS_LINE: &str = "HTTP/1.1 200 OK";
    let (server, _dir) = serve(&[
        ("HTTP_MAX_CONNECTIONS", "2"),
        ("HTTP_IDLE_TIMEOUT_SECS", "2"),
    ]);
    let (mut first, first_writing) = pipelining_reader_that_never_reads(&server, REQUESTS).await;
    let (mut second, second_writing) = pipelining_reader_that_never_reads(&server, REQUESTS).await;
    // Both are accepted and their answers pile up unread.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let began = Instant::now();
    let mut third = connect(&server).await;
    send_healthz(&mut third).await;
    let status = status_within(&mut third, Duration::from_secs(8)).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    eprintln!("/healthz answered after {:?}", began.elapsed());

    // The other stalled connection may have stalled later than the one
    // whose place the third took, and reading it before its deadline passed
    // would let the server go on: give the server's real-time deadline
    // (2 s of no progress) time to pass for both. Nothing outside the
    // server can see the cut without reading, which takes the bytes.
    tokio::time::sleep(Duration::from_secs(6)).await;
    // The stalled connections were closed: reading now gets what was sent
    // before the close and then its end, not every answer asked for.
    for stalled in [&mut first, &mut second] {
        let mut answers = 0usize;
        let mut tail = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let read = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match stalled.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        tail.extend_from_slice(&buf[..n]);
                        let text = String::from_utf8_lossy(&tail);
                        answers += text.matches(STATUS_LINE).count();
                        // Less than one status line stays: none is counted twice.
                        let counted = tail.len().saturating_sub(STATUS_LINE.len() - 1);
                        tail.drain(..counted);
                    }
                }
            }
        })
        .await;
        assert!(read.is_ok(), "a stalled connection is still open");
        assert!(
            answers < REQUESTS,
            "{answers} answers of {REQUESTS}: the connection was never cut"
        );
        eprintln!("a stalled client got {answers} of {REQUESTS} answers before the close");
    }
    first_writing.abort();
    second_writing.abort();
}
