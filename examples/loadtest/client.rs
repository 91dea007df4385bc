//! The load generator's side of HTTP: one keep-alive HTTP/1.1 connection per
//! worker (hyper's low-level client, no pool), GraphQL requests as prepared
//! JSON bodies (and the forward-auth check, a bodiless GET), and the reading
//! of GraphQL answers. Every failure is returned
//! as a short label (`"connect"`, `"HTTP 503"`, `"GraphQL SESSION_REVOKED"`…)
//! for the error counts; nothing here panics on a network result.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::net::TcpStream;

use crate::BoxError;

/// How long one request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause after a failed connect, so that a dead server is not spun against.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// A failed request, as a label to count.
pub type Failure = String;

/// A GraphQL request ready to send again and again.
#[derive(Clone)]
pub struct GqlRequest {
    method: Method,
    path: &'static str,
    body: Bytes,
    authorization: Option<HeaderValue>,
    /// `X-Forwarded-For`: the client address a server that trusts the
    /// loopback proxy takes this request to come from.
    forwarded_for: Option<HeaderValue>,
}

/// The header a trusted proxy names the client in.
pub const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

impl GqlRequest {
    /// A request for `query` with `variables`, with a bearer token or without.
    pub fn new(
        query: &str,
        variables: Option<serde_json::Value>,
        access_token: Option<&str>,
    ) -> Result<GqlRequest, BoxError> {
        let mut body = serde_json::json!({ "query": query });
        if let Some(variables) = variables {
            body["variables"] = variables;
        }
        let authorization = access_token
            .map(|token| HeaderValue::from_str(&format!("Bearer {token}")))
            .transpose()?;
        Ok(GqlRequest {
            method: Method::POST,
            path: "/graphql",
            body: Bytes::from(serde_json::to_vec(&body)?),
            authorization,
            forwarded_for: None,
        })
    }

    /// A POST of a whole JSON body as it is: a batch, say.
    pub fn raw(body: &serde_json::Value) -> Result<GqlRequest, BoxError> {
        Ok(GqlRequest {
            method: Method::POST,
            path: "/graphql",
            body: Bytes::from(serde_json::to_vec(body)?),
            authorization: None,
            forwarded_for: None,
        })
    }

    /// The same request, sent as if a trusted proxy forwarded it for `client`.
    pub fn forwarded_for(mut self, client: &str) -> Result<GqlRequest, BoxError> {
        self.forwarded_for = Some(HeaderValue::from_str(client)?);
        Ok(self)
    }

    /// The size of the body in bytes.
    pub fn body_len(&self) -> usize {
        self.body.len()
    }

    /// `GET /metrics`, for the statement count.
    pub fn metrics() -> GqlRequest {
        GqlRequest {
            method: Method::GET,
            path: "/metrics",
            body: Bytes::new(),
            authorization: None,
            forwarded_for: None,
        }
    }

    /// `GET /auth/verify` with a bearer token: what a reverse proxy sends.
    pub fn verify(access_token: &str) -> Result<GqlRequest, BoxError> {
        Ok(GqlRequest {
            method: Method::GET,
            path: "/auth/verify",
            body: Bytes::new(),
            authorization: Some(HeaderValue::from_str(&format!("Bearer {access_token}"))?),
            forwarded_for: None,
        })
    }
}

/// One HTTP/1.1 connection to the server, opened on first use and opened
/// again after it fails.
pub struct Connection {
    addr: SocketAddr,
    host: HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    pub fn new(addr: SocketAddr) -> Connection {
        let host = HeaderValue::from_str(&addr.to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("127.0.0.1"));
        Connection {
            addr,
            host,
            sender: None,
        }
    }

    /// Sends the request (a POST to `/graphql`, or the forward-auth GET); the
    /// body of a `200` answer, or why not.
    pub async fn post(&mut self, request: &GqlRequest) -> Result<Bytes, Failure> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(request)).await {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(failure)) => {
                self.sender = None;
                Err(failure)
            }
            Err(_) => {
                self.sender = None;
                Err("timeout".into())
            }
        }
    }

    async fn exchange(&mut self, request: &GqlRequest) -> Result<Bytes, Failure> {
        let http_request = self.http_request(request)?;
        let sender = self.ready_sender().await?;
        let response = sender
            .send_request(http_request)
            .await
            .map_err(|_| "send".to_owned())?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|_| "read body".to_owned())?
            .to_bytes();
        if status != StatusCode::OK {
            return Err(format!("HTTP {}", status.as_u16()));
        }
        Ok(body)
    }

    fn http_request(&self, request: &GqlRequest) -> Result<Request<Full<Bytes>>, Failure> {
        let mut builder = Request::builder()
            .method(request.method.clone())
            .uri(request.path)
            .header(HOST, self.host.clone());
        if request.method == Method::POST {
            builder = builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(authorization) = &request.authorization {
            builder = builder.header(AUTHORIZATION, authorization.clone());
        }
        if let Some(client) = &request.forwarded_for {
            builder = builder.header(FORWARDED_FOR, client.clone());
        }
        builder
            .body(Full::new(request.body.clone()))
            .map_err(|_| "build request".to_owned())
    }

    /// The connection's sender once it can take a request, connecting first
    /// when there is no live connection.
    async fn ready_sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, Failure> {
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            self.sender = Some(self.connect().await?);
        }
        let sender = self.sender.as_mut().ok_or_else(|| "connect".to_owned())?;
        sender
            .ready()
            .await
            .map_err(|_| "connection closed".to_owned())?;
        Ok(sender)
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, Failure> {
        let opened = async {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                // Ends when the connection closes; the sender sees why.
                let _ = connection.await;
            });
            Ok::<_, BoxError>(sender)
        };
        match opened.await {
            Ok(sender) => Ok(sender),
            Err(_) => {
                tokio::time::sleep(RECONNECT_PAUSE).await;
                Err("connect".into())
            }
        }
    }
}

/// Opens a connection, sends the request and closes the connection without
/// waiting for the answer: a client that vanishes mid-request.
pub async fn send_and_hang_up(addr: SocketAddr, request: &GqlRequest) -> Result<(), Failure> {
    use tokio::io::AsyncWriteExt;
    let mut head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        request.body.len()
    );
    if let Some(authorization) = request.authorization.as_ref().and_then(|v| v.to_str().ok()) {
        head.push_str(&format!("Authorization: {authorization}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = match TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(_) => {
            tokio::time::sleep(RECONNECT_PAUSE).await;
            return Err("connect".into());
        }
    };
    let whole = [head.as_bytes(), &request.body].concat();
    stream
        .write_all(&whole)
        .await
        .map_err(|_| "send".to_owned())
}

/// A GraphQL answer: `data`, or the code of its first error.
#[derive(Deserialize)]
struct Answer<T> {
    data: Option<T>,
    errors: Option<Vec<AnswerError>>,
}

#[derive(Deserialize)]
struct AnswerError {
    extensions: Option<ErrorExtensions>,
}

#[derive(Deserialize)]
struct ErrorExtensions {
    code: Option<String>,
}

/// The `data` of an answer without `errors`; else a label naming the error.
pub fn data<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    let answer: Answer<T> =
        serde_json::from_slice(body).map_err(|_| "unexpected answer".to_owned())?;
    if let Some(errors) = answer.errors {
        let code = errors
            .into_iter()
            .find_map(|e| e.extensions.and_then(|x| x.code))
            .unwrap_or_else(|| "without code".to_owned());
        return Err(format!("GraphQL {code}"));
    }
    answer.data.ok_or_else(|| "answer without data".to_owned())
}
