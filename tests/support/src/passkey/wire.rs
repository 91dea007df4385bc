//! The bytes of a WebAuthn answer, as an authenticator and a browser write
//! them: client data, authenticator data, the COSE key, the "none"
//! attestation object, base64url. Written from the specifications (WebAuthn
//! Level 3 §6.1 and §6.5, RFC 9053 for COSE, CTAP 2.1 for the CBOR order)
//! rather than taken from a WebAuthn crate, so that the kit shares no code
//! with what it tests.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value;
use p256::ecdsa::VerifyingKey;
use p256::pkcs8::EncodePublicKey as _;
use sha2::{Digest as _, Sha256};

/// base64url without padding, the encoding of every binary field of the
/// JSON forms.
pub(super) fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes of a base64url field; browsers accept padding, so do we.
pub(super) fn from_base64url(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('='))
}

pub(super) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// clientDataJSON with its members in the order browsers write them (§5.8.1.2,
/// the order a "limited verification" of the spec relies on).
pub(super) fn client_data_json(ceremony_type: &str, challenge: &str, origin: &str) -> String {
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    format!(
        r#"{{"type":{},"challenge":{},"origin":{},"crossOrigin":false}}"#,
        quoted(ceremony_type),
        quoted(challenge),
        quoted(origin)
    )
}

/// authenticatorData (§6.1): rpIdHash | flags | signCount (big-endian), then
/// the attested credential data of a registration.
pub(super) fn authenticator_data(
    rp_id: &str,
    flags: u8,
    counter: u32,
    attested_credential: Option<&[u8]>,
) -> Vec<u8> {
    let mut data = Vec::with_capacity(37 + attested_credential.map_or(0, <[u8]>::len));
    data.extend_from_slice(&sha256(rp_id.as_bytes()));
    data.push(flags);
    data.extend_from_slice(&counter.to_be_bytes());
    if let Some(attested) = attested_credential {
        data.extend_from_slice(attested);
    }
    data
}

/// Attested credential data (§6.5.2): an all-zero AAGUID (no attestation
/// says which model we are), the credential id with its u16 length, and the
/// public key as COSE.
pub(super) fn attested_credential_data(credential_id: &[u8], public_key: &VerifyingKey) -> Vec<u8> {
    let id_length =
        u16::try_from(credential_id.len()).expect("a credential id is at most 1023 bytes");
    let cose_key = cose_es256_key(public_key);
    let mut data = Vec::with_capacity(18 + credential_id.len() + cose_key.len());
    data.extend_from_slice(&[0; 16]);
    data.extend_from_slice(&id_length.to_be_bytes());
    data.extend_from_slice(credential_id);
    data.extend_from_slice(&cose_key);
    data
}

/// The EC2 COSE_Key of an ES256 public key, keys in CTAP2's canonical order:
/// {1 (kty): 2 (EC2), 3 (alg): -7 (ES256), -1 (crv): 1 (P-256), -2: x, -3: y}.
pub(super) fn cose_es256_key(public_key: &VerifyingKey) -> Vec<u8> {
    let point = public_key.to_encoded_point(false);
    let coordinate = |bytes: Option<&p256::FieldBytes>| {
        Value::Bytes(
            bytes
                .expect("an uncompressed point has both coordinates")
                .to_vec(),
        )
    };
    let key = Value::Map(vec![
        (Value::from(1), Value::from(2)),
        (Value::from(3), Value::from(-7)),
        (Value::from(-1), Value::from(1)),
        (Value::from(-2), coordinate(point.x())),
        (Value::from(-3), coordinate(point.y())),
    ]);
    cbor(&key)
}

/// The attestation object of "none" attestation (§8.7):
/// {"fmt": "none", "attStmt": {}, "authData": bytes}, in canonical order.
pub(super) fn attestation_object_none(authenticator_data: &[u8]) -> Vec<u8> {
    let object = Value::Map(vec![
        (Value::from("fmt"), Value::from("none")),
        (Value::from("attStmt"), Value::Map(Vec::new())),
        (
            Value::from("authData"),
            Value::Bytes(authenticator_data.to_vec()),
        ),
    ]);
    cbor(&object)
}

/// The SubjectPublicKeyInfo (DER) that `getPublicKey()` gives, the
/// `publicKey` member of a RegistrationResponseJSON.
pub(super) fn spki_der(public_key: &VerifyingKey) -> Vec<u8> {
    public_key
        .to_public_key_der()
        .expect("a P-256 key has an SPKI encoding")
        .into_vec()
}

fn cbor(value: &Value) -> Vec<u8> {
    let mut bytes = Vec::new();
    ciborium::into_writer(value, &mut bytes).expect("CBOR into a Vec cannot fail");
    bytes
}
