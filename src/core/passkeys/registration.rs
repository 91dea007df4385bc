//! Adding a passkey: `beginPasskeyRegistration` (recent authentication,
//! as the contract lists it) gives the creation options; the answer of
//! `navigator.credentials.create()` finishes it, for the same user, within
//! the ceremony's five minutes.
//!
//! The options ask for a discoverable credential (so sign-in needs no user
//! name), prefer user verification, exclude the user's own credentials (an
//! authenticator that holds one says so instead of making a second) and
//! take no attestation (`none`: nothing about the device is kept or judged).

use webauthn_rs_core::proto::{
    AttestationConveyancePreference, RegisterPublicKeyCredential, RegistrationState,
    RequestRegistrationExtensions, UserVerificationPolicy,
};

use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::factors::recent::{self, Need};
use crate::core::ids;
use crate::core::passkeys::ceremony::{self, Kind};
use crate::core::passkeys::manage::check_label;
use crate::core::passkeys::{MAX_CREDENTIAL_CHARS, PasskeyView, credential_key, credential_of};
use crate::core::security_events::{self, Source};
use crate::core::sessions::Authenticated;
use crate::error::AppError;
use crate::store::passkeys::{self as passkey_rows, NewPasskey};
use crate::vocabulary::SecurityEventKind;

/// The label of a passkey added without one.
const DEFAULT_LABEL: &str = "Passkey";

/// A ceremony begun: its id and the options for the browser (JSON text).
pub(crate) struct Begun {
    pub challenge_id: String,
    pub options_json: String,
}

fn library_error(
    what: &'static str,
) -> impl Fn(webauthn_rs_core::error::WebauthnError) -> AppError {
    move |error| {
        tracing::error!(%error, "{what}");
        AppError::Internal(crate::error::InternalCause::Invariant(what))
    }
}

/// Starts registering a passkey for the caller.
pub(crate) async fn begin(app: &App, auth: &Authenticated) -> Result<Begun, AppError> {
    recent::require(app, auth, Need::Recent).await?;
    let user = &auth.user;
    let existing = {
        let mut conn = app.pool.get().await?;
        passkey_rows::of_user(&mut conn, &user.id).await?
    };
    let exclude = existing
        .iter()
        .filter_map(|row| credential_of(row).ok())
        .map(|credential| credential.cred_id)
        .collect();
    let webauthn = &app.passkeys.webauthn;
    let builder = webauthn
        .new_challenge_register_builder(user.id.as_bytes(), &user.user_name, &user.user_name)
        .map_err(library_error("cannot build passkey creation options"))?
        .attestation(AttestationConveyancePreference::None)
        .user_verification_policy(UserVerificationPolicy::Preferred)
        .require_resident_key(true)
        .exclude_credentials(Some(exclude))
        .extensions(Some(RequestRegistrationExtensions {
            // Not the library's default `uvm`: a report nobody reads.
            uvm: None,
            cred_props: Some(true),
            ..RequestRegistrationExtensions::default()
        }));
    let (options, state) = webauthn
        .generate_challenge_register(builder)
        .map_err(library_error("cannot make passkey creation options"))?;
    let options_json = serde_json::to_string(&options.public_key).map_err(|_| {
        AppError::Internal(crate::error::InternalCause::Invariant(
            "passkey creation options do not encode",
        ))
    })?;
    let challenge_id = ceremony::start(app, Kind::Registration, Some(&user.id), state)?;
    Ok(Begun {
        challenge_id,
        options_json,
    })
}

/// What the client sends to finish a registration.
pub(crate) struct Finish {
    pub challenge_id: String,
    pub credential_json: String,
    pub label: Option<String>,
}

/// Verifies the authenticator's answer and stores the passkey:
/// `INVALID_TOKEN` for a ceremony that is not the caller's, used or
/// expired; `BAD_USER_INPUT` for an answer that does not verify or a
/// credential stored already.
pub(crate) async fn finish(
    app: &App,
    auth: &Authenticated,
    request: Finish,
    client: &ClientInfo,
) -> Result<PasskeyView, AppError> {
    let label = match request.label.as_deref() {
        Some(label) => check_label(label)?,
        None => DEFAULT_LABEL.to_owned(),
    };
    if request.credential_json.len() > MAX_CREDENTIAL_CHARS {
        return Err(AppError::BadUserInput(format!(
            "credential must be at most {MAX_CREDENTIAL_CHARS} characters"
        )));
    }
    let answer: RegisterPublicKeyCredential = serde_json::from_str(&request.credential_json)
        .map_err(|_| {
            AppError::BadUserInput("credential is not a RegistrationResponseJSON".into())
        })?;
    let spent =
        ceremony::spend::<RegistrationState>(app, Kind::Registration, &request.challenge_id)
            .await?;
    if spent.user_id.as_deref() != Some(auth.user.id.as_str()) {
        return Err(AppError::InvalidToken);
    }
    let credential = app
        .passkeys
        .webauthn
        .register_credential(&answer, &spent.state, None)
        .map_err(|error| {
            tracing::info!(user_id = %auth.user.id, %error, "passkey registration refused");
            AppError::BadUserInput(format!("the registration does not verify: {error}"))
        })?;
    let stored_credential = serde_json::to_string(&credential).map_err(|_| {
        AppError::Internal(crate::error::InternalCause::Invariant(
            "a passkey credential does not encode",
        ))
    })?;
    let id = ids::new_id();
    let now = app.clock.now();
    let row = NewPasskey {
        id: &id,
        user_id: &auth.user.id,
        credential_key: &credential_key(credential.cred_id.as_ref()),
        credential: &stored_credential,
        label: &label,
        sign_count: i64::from(credential.counter),
        backed_up: credential.backup_state,
        created_at: now,
    };
    let source = Source::in_session(client, &auth.session.id);
    let added =
        security_events::event(SecurityEventKind::PasskeyAdded, &auth.user.id, now, &source);
    let mut conn = app.pool.get().await?;
    if !passkey_rows::insert(&mut conn, &row, &added).await? {
        return Err(AppError::BadUserInput(
            "this passkey is registered already".into(),
        ));
    }
    tracing::info!(user_id = %auth.user.id, passkey_id = %id, "passkey added");
    Ok(PasskeyView {
        id,
        label,
        created_at: now,
        last_used_at: None,
        backed_up: credential.backup_state,
    })
}
