//! A software passkey authenticator with the browser in front of it: it
//! reads the WebAuthn Level 3 options JSON a relying party sends
//! (`PublicKeyCredentialCreationOptionsJSON`,
//! `PublicKeyCredentialRequestOptionsJSON`) and answers with the JSON of
//! `credential.toJSON()` (`RegistrationResponseJSON`,
//! `AuthenticationResponseJSON`), so that a test drives authql's passkey
//! ceremonies without a browser.
//!
//! Its credentials are discoverable ES256 (P-256) key pairs with a
//! signature counter, attested with "none". Written by hand on RustCrypto
//! crates rather than with a WebAuthn library, and proved against an
//! independent relying party (`@simplewebauthn/server`, see
//! [`crate::simplewebauthn_verify_registration`]), so that a mistake shared
//! by authql and the kit cannot hide.
//!
//! The attacks a test needs are knobs, not forks of the code:
//! - another origin: pass it to [`SoftAuthenticator::register`] or
//!   [`SoftAuthenticator::sign_in`];
//! - user verification, backup: [`Flags`];
//! - another rp id in the authenticator data, another ceremony type in the
//!   client data, another user handle: [`Tampering`];
//! - a counter that goes backwards: [`SoftAuthenticator::set_counter`], or a
//!   `clone()` whose counter stays behind the original's;
//! - a signature by the wrong key: [`SoftAuthenticator::with_wrong_keys`];
//! - an authenticator that never counts (synced passkeys report 0):
//!   [`SoftAuthenticator::without_counter`].

mod options;
mod wire;

use std::fmt;

use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use rand::Rng as _;
use serde_json::json;

use options::{
    base64url_field, credential_ids_in, offers_es256, parse_options, rp_id_or_origin_host, text,
};

/// The flags of the authenticator data (WebAuthn §6.1) that a person's
/// gesture decides. AT (attested credential data) is set by registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    /// UP (0x01): someone touched the authenticator.
    pub user_present: bool,
    /// UV (0x04): and proved who they are (fingerprint, PIN).
    pub user_verified: bool,
    /// BE (0x08): the credential may be synced to other devices.
    pub backup_eligible: bool,
    /// BS (0x10): it is synced now.
    pub backed_up: bool,
}

impl Flags {
    /// UP and UV: a platform authenticator after a fingerprint or a PIN.
    pub const VERIFIED: Flags = Flags {
        user_present: true,
        user_verified: true,
        backup_eligible: false,
        backed_up: false,
    };
    /// UP only: a security key touched, no PIN asked.
    pub const PRESENT: Flags = Flags {
        user_verified: false,
        ..Flags::VERIFIED
    };

    /// These flags with BE and BS: a passkey synced by a password manager.
    pub const fn synced(self) -> Flags {
        Flags {
            backup_eligible: true,
            backed_up: true,
            ..self
        }
    }

    fn byte(self, attested_credential: bool) -> u8 {
        [
            (self.user_present, 0x01),
            (self.user_verified, 0x04),
            (self.backup_eligible, 0x08),
            (self.backed_up, 0x10),
            (attested_credential, 0x40),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .fold(0, |byte, (_, bit)| byte | bit)
    }
}

impl Default for Flags {
    fn default() -> Self {
        Flags::VERIFIED
    }
}

/// What an attacker changes in an otherwise honest answer; every answer
/// is still signed by the credential's key. `Tampering::default()` changes
/// nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tampering {
    /// The rp id whose SHA-256 the authenticator data carries, instead of
    /// the options' (the credential is still chosen by the options' rp id).
    pub rp_id: Option<String>,
    /// clientDataJSON's `type`, instead of "webauthn.create" or "webauthn.get".
    pub client_data_type: Option<String>,
    /// An assertion's `userHandle` (base64url), instead of the credential's.
    pub user_handle: Option<String>,
}

/// Why the authenticator (or the browser in front of it) refuses a
/// ceremony, as the DOMException a page would get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthenticatorError {
    /// InvalidStateError: `excludeCredentials` holds one of this
    /// authenticator's credentials for the rp.
    InvalidState,
    /// NotAllowedError: no credential of this authenticator fits the request.
    NotAllowed,
    /// NotSupportedError: `pubKeyCredParams` does not offer ES256 (-7).
    NotSupported,
    /// TypeError: the options are not the JSON expected; says what is wrong.
    BadOptions(String),
}

impl fmt::Display for AuthenticatorError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthenticatorError::InvalidState => formatter.write_str(
                "InvalidStateError: a credential in excludeCredentials is on this authenticator",
            ),
            AuthenticatorError::NotAllowed => formatter
                .write_str("NotAllowedError: no credential on this authenticator fits the request"),
            AuthenticatorError::NotSupported => {
                formatter.write_str("NotSupportedError: pubKeyCredParams offers no ES256 (-7)")
            }
            AuthenticatorError::BadOptions(why) => write!(formatter, "TypeError: {why}"),
        }
    }
}

impl std::error::Error for AuthenticatorError {}

/// One discoverable credential: scoped to an rp id, for one user handle.
#[derive(Clone)]
struct Credential {
    id: Vec<u8>,
    key: SigningKey,
    rp_id: String,
    user_handle: Vec<u8>,
    counter: u32,
}

/// A software authenticator holding discoverable ES256 credentials.
/// `clone()` copies the credentials, keys and counters: a cloned device,
/// whose counter stays where it was while the original's moves on.
#[derive(Clone)]
pub struct SoftAuthenticator {
    credentials: Vec<Credential>,
    counts_signatures: bool,
    /// Changes applied to every answer from now on.
    pub tampering: Tampering,
}

impl Default for SoftAuthenticator {
    fn default() -> Self {
        SoftAuthenticator::new()
    }
}

impl fmt::Debug for SoftAuthenticator {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SoftAuthenticator")
            .field("credential_ids", &self.credential_ids())
            .field("counts_signatures", &self.counts_signatures)
            .field("tampering", &self.tampering)
            .finish()
    }
}

impl SoftAuthenticator {
    /// An authenticator with no credentials whose counters count each
    /// signature (the first sign-in carries 1).
    pub fn new() -> Self {
        SoftAuthenticator {
            credentials: Vec::new(),
            counts_signatures: true,
            tampering: Tampering::default(),
        }
    }

    /// An authenticator whose counters stay 0, as synced passkeys report.
    pub fn without_counter() -> Self {
        SoftAuthenticator {
            counts_signatures: false,
            ..SoftAuthenticator::new()
        }
    }

    /// `navigator.credentials.create()` with `options_json` on a page of
    /// `origin`: makes a credential and answers RegistrationResponseJSON
    /// text. A credential this authenticator already holds for the same rp
    /// and user handle is replaced, as a real one does.
    pub fn register(
        &mut self,
        options_json: &str,
        origin: &str,
        flags: Flags,
    ) -> Result<String, AuthenticatorError> {
        let options = parse_options(options_json)?;
        let challenge = text(&options, "/challenge")?;
        let rp_id = rp_id_or_origin_host(&options, "/rp/id", origin)?;
        let user_handle = base64url_field(&options, "/user/id")?;
        if !offers_es256(&options)? {
            return Err(AuthenticatorError::NotSupported);
        }
        let excluded = credential_ids_in(&options, "/excludeCredentials")?;
        if self
            .credentials
            .iter()
            .any(|held| held.rp_id == rp_id && excluded.contains(&held.id))
        {
            return Err(AuthenticatorError::InvalidState);
        }

        let credential = Credential {
            id: random_credential_id(),
            key: random_signing_key(),
            rp_id: rp_id.clone(),
            user_handle,
            counter: 0,
        };
        let public_key = credential.key.verifying_key();
        let public_key_der = wire::spki_der(public_key);
        let attested = wire::attested_credential_data(&credential.id, public_key);
        let claimed_rp_id = self.tampering.rp_id.as_deref().unwrap_or(&rp_id);
        let authenticator_data = wire::authenticator_data(
            claimed_rp_id,
            flags.byte(true),
            credential.counter,
            Some(&attested),
        );
        let ceremony_type = self
            .tampering
            .client_data_type
            .as_deref()
            .unwrap_or("webauthn.create");
        let client_data = wire::client_data_json(ceremony_type, challenge, origin);
        let credential_id = wire::base64url(&credential.id);

        self.credentials.retain(|held| {
            !(held.rp_id == credential.rp_id && held.user_handle == credential.user_handle)
        });
        self.credentials.push(credential);

        Ok(json!({
            "id": credential_id,
            "rawId": credential_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": wire::base64url(client_data.as_bytes()),
                "attestationObject": wire::base64url(&wire::attestation_object_none(&authenticator_data)),
                "authenticatorData": wire::base64url(&authenticator_data),
                "transports": ["internal"],
                "publicKeyAlgorithm": -7,
                "publicKey": wire::base64url(&public_key_der),
            },
            "clientExtensionResults": { "credProps": { "rk": true } },
            "authenticatorAttachment": "platform",
        })
        .to_string())
    }

    /// `navigator.credentials.get()` with `options_json` on a page of
    /// `origin`: signs with a credential for the options' `rpId` (among
    /// `allowCredentials` when it lists any; the newest when several fit)
    /// and answers AuthenticationResponseJSON text.
    pub fn sign_in(
        &mut self,
        options_json: &str,
        origin: &str,
        flags: Flags,
    ) -> Result<String, AuthenticatorError> {
        let options = parse_options(options_json)?;
        let challenge = text(&options, "/challenge")?;
        let rp_id = rp_id_or_origin_host(&options, "/rpId", origin)?;
        let allowed = credential_ids_in(&options, "/allowCredentials")?;
        let counts_signatures = self.counts_signatures;
        let credential = self
            .credentials
            .iter_mut()
            .rev()
            .find(|held| held.rp_id == rp_id && (allowed.is_empty() || allowed.contains(&held.id)))
            .ok_or(AuthenticatorError::NotAllowed)?;
        if counts_signatures {
            credential.counter = credential.counter.wrapping_add(1);
        }

        let claimed_rp_id = self.tampering.rp_id.as_deref().unwrap_or(&rp_id);
        let authenticator_data =
            wire::authenticator_data(claimed_rp_id, flags.byte(false), credential.counter, None);
        let ceremony_type = self
            .tampering
            .client_data_type
            .as_deref()
            .unwrap_or("webauthn.get");
        let client_data = wire::client_data_json(ceremony_type, challenge, origin);
        let signed = [
            authenticator_data.as_slice(),
            &wire::sha256(client_data.as_bytes()),
        ]
        .concat();
        let signature: Signature = credential.key.sign(&signed);
        let user_handle = match &self.tampering.user_handle {
            Some(user_handle) => user_handle.clone(),
            None => wire::base64url(&credential.user_handle),
        };
        let credential_id = wire::base64url(&credential.id);

        Ok(json!({
            "id": credential_id,
            "rawId": credential_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": wire::base64url(client_data.as_bytes()),
                "authenticatorData": wire::base64url(&authenticator_data),
                "signature": wire::base64url(signature.to_der().as_bytes()),
                "userHandle": user_handle,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })
        .to_string())
    }

    /// The ids (base64url) of the credentials held, oldest first.
    pub fn credential_ids(&self) -> Vec<String> {
        self.credentials
            .iter()
            .map(|held| wire::base64url(&held.id))
            .collect()
    }

    /// The counter of a credential: the value its last answer carried.
    /// Panics when the authenticator does not hold `credential_id`.
    pub fn counter(&self, credential_id: &str) -> u32 {
        self.credential(credential_id).counter
    }

    /// Sets a credential's counter; the next sign-in carries `counter + 1`
    /// (or `counter` for an authenticator [`without_counter`](Self::without_counter)).
    /// Panics when the authenticator does not hold `credential_id`.
    pub fn set_counter(&mut self, credential_id: &str, counter: u32) {
        let id = decode_credential_id(credential_id);
        let held = self
            .credentials
            .iter_mut()
            .find(|held| held.id == id)
            .unwrap_or_else(|| panic!("this authenticator holds no credential {credential_id}"));
        held.counter = counter;
    }

    /// A copy whose credentials keep their ids, rp ids, user handles and
    /// counters but sign with fresh keys: its answers look right and their
    /// signatures are wrong.
    pub fn with_wrong_keys(&self) -> SoftAuthenticator {
        let mut impostor = self.clone();
        for held in &mut impostor.credentials {
            held.key = random_signing_key();
        }
        impostor
    }

    fn credential(&self, credential_id: &str) -> &Credential {
        let id = decode_credential_id(credential_id);
        self.credentials
            .iter()
            .find(|held| held.id == id)
            .unwrap_or_else(|| panic!("this authenticator holds no credential {credential_id}"))
    }
}

fn decode_credential_id(credential_id: &str) -> Vec<u8> {
    wire::from_base64url(credential_id)
        .unwrap_or_else(|e| panic!("credential id {credential_id:?} is not base64url: {e}"))
}

/// 16 to 32 random bytes: real authenticators' ids vary in length, and a
/// relying party must not assume one.
fn random_credential_id() -> Vec<u8> {
    let mut rng = rand::rng();
    let mut id = vec![0; rng.random_range(16..=32)];
    rng.fill(id.as_mut_slice());
    id
}

/// A P-256 private key from 32 random bytes (`p256` 0.13 speaks an older
/// `rand_core` than the kit's `rand`); a value outside the curve order, of
/// probability about 2^-32, draws again.
fn random_signing_key() -> SigningKey {
    let mut rng = rand::rng();
    loop {
        let scalar: [u8; 32] = rng.random();
        if let Ok(key) = SigningKey::from_slice(&scalar) {
            return key;
        }
    }
}
