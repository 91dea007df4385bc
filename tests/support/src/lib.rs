//! authql's test kit: one way to start a server for a test, the GraphQL
//! documents tests send, and one answer type. The API tests, the cluster
//! test, the fuzz targets and the load benchmark all use it.
//!
//! - [`TestServer`]: configuration (the typed `Config`) → keys → `App` →
//!   router, on a fresh SQLite or MySQL database ([`TestDb`]), with a clock
//!   the test moves; second servers share its database and clock.
//! - [`Call`]: one operation, `server.call(DOCUMENT)` plus what the test
//!   adds, awaited into an [`Answer`].
//! - [`documents`]: the `.graphql` files of `documents/`.
//! - [`both_backends!`]: one test body, run on SQLite and on MySQL.
//! - [`MailServer`]: a real SMTP server process (maildev) the tests read
//!   mails from; `TestServer::builder().with_mail(&mail_server)` sends there.
//! - [`totp_code`]: the code an authenticator app shows, by otplib.
//! - [`SoftAuthenticator`]: a software passkey authenticator answering
//!   WebAuthn options JSON as a browser would, with knobs for attacks;
//!   [`simplewebauthn_verify_registration`] and
//!   [`simplewebauthn_verify_authentication`] check ceremonies with an
//!   independent relying party (@simplewebauthn/server).
//!
//! A test of a new operation: write `documents/invite_user.graphql`, add
//! `INVITE_USER = "invite_user.graphql";` to the list in
//! [`documents`], and send it:
//!
//! ```ignore
//! let invited = server
//!     .call(documents::INVITE_USER)
//!     .bearer(&admin_token)
//!     .variables(json!({ "input": { "email": "ana@example.com" } }))
//!     .await;
//! assert_eq!(invited.data("inviteUser")["email"], "ana@example.com");
//! ```
//!
//! A crate rather than a module each test binary includes: the fuzz targets
//! are a workspace of their own and the benchmark an example, and a crate
//! compiles once for all of them, brings its own dependencies, and needs no
//! `allow(dead_code)` for the parts one of them does not use.

mod answer;
mod call;
mod database;
pub mod documents;
mod mail;
mod outbox;
mod passkey;
mod passkey_check;
mod server;
mod totp;

pub use answer::Answer;
pub use call::Call;
pub use database::{Backend, TestDb, mysql_server_url};
pub use documents::{access_token, refresh_token, session_id};
pub use mail::{MailServer, ReceivedMail};
pub use outbox::OutboxRow;
pub use passkey::{AuthenticatorError, Flags, SoftAuthenticator, Tampering};
pub use passkey_check::{
    Expected, Refused, StoredPasskey, Verified, simplewebauthn_verify_authentication,
    simplewebauthn_verify_registration,
};
pub use server::{Builder, DEFAULT_PEER, TEST_APP_URL, TEST_JWT_SECRET, TestServer, join_answers};
pub use totp::{TotpReading, read_totp, totp_code};
