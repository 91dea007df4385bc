//! The kit's software authenticator proved against an independent relying
//! party, @simplewebauthn/server: what it answers verifies there as a
//! browser's answer would, and each attack knob makes the check fail that it
//! is meant to. No authql here: the passkey tests trust the kit because of
//! these. Here rather than in the kit's own tests so that `cargo test` (CI)
//! runs them. Needs `npm ci` in tests/webauthn.

use authql_testkit::{
    AuthenticatorError, Expected, Flags, SoftAuthenticator, StoredPasskey, Tampering,
    simplewebauthn_verify_authentication, simplewebauthn_verify_registration,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng as _;
use serde_json::{Value, json};

const ORIGIN: &str = "http://localhost:8080";
const RP_ID: &str = "localhost";
const EXPECTED: Expected<'static> = Expected {
    origin: ORIGIN,
    rp_id: RP_ID,
    require_user_verification: true,
};

fn random_base64url(length: usize) -> String {
    let mut bytes = vec![0; length];
    rand::rng().fill(bytes.as_mut_slice());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// PublicKeyCredentialCreationOptionsJSON as the contract describes
/// authql's: a discoverable credential, user verification preferred, no
/// attestation, the user's own credentials excluded.
fn creation_options(user_id: &str, exclude_credential_ids: &[String]) -> String {
    let exclude: Vec<Value> = exclude_credential_ids
        .iter()
        .map(|id| json!({ "type": "public-key", "id": id }))
        .collect();
    json!({
        "rp": { "id": RP_ID, "name": "authql" },
        "user": { "id": user_id, "name": "ana", "displayName": "ana" },
        "challenge": random_base64url(32),
        "pubKeyCredParams": [{ "type": "public-key", "alg": -7 }],
        "timeout": 300_000,
        "excludeCredentials": exclude,
        "authenticatorSelection": { "residentKey": "required", "userVerification": "preferred" },
        "attestation": "none",
    })
    .to_string()
}

/// PublicKeyCredentialRequestOptionsJSON of a sign-in that names no user.
fn request_options() -> String {
    json!({
        "challenge": random_base64url(32),
        "rpId": RP_ID,
        "allowCredentials": [],
        "userVerification": "preferred",
        "timeout": 300_000,
    })
    .to_string()
}

/// Registers a credential with `flags` and returns what the relying party
/// stored.
fn register(authenticator: &mut SoftAuthenticator, flags: Flags) -> StoredPasskey {
    let options = creation_options(&random_base64url(16), &[]);
    let response = authenticator.register(&options, ORIGIN, flags).unwrap();
    let expected = Expected {
        require_user_verification: flags.user_verified,
        ..EXPECTED
    };
    simplewebauthn_verify_registration(&options, &response, expected)
        .unwrap()
        .credential
}

#[test]
fn a_registration_and_sign_ins_verify_with_simplewebauthn() {
    let mut authenticator = SoftAuthenticator::new();
    let user_id = random_base64url(16);
    let options = creation_options(&user_id, &[]);
    let response = authenticator
        .register(&options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    let registered = simplewebauthn_verify_registration(&options, &response, EXPECTED).unwrap();
    assert!(registered.user_verified);
    assert!(!registered.backed_up);
    assert_eq!(registered.credential.counter, 0);
    assert_eq!(
        authenticator.credential_ids(),
        [registered.credential.id.as_str()]
    );
    let response: Value = serde_json::from_str(&response).unwrap();
    assert_eq!(response["id"], registered.credential.id.as_str());

    let mut stored = registered.credential;
    for expected_counter in 1..=2 {
        let options = request_options();
        let assertion = authenticator
            .sign_in(&options, ORIGIN, Flags::VERIFIED)
            .unwrap();
        let signed_in =
            simplewebauthn_verify_authentication(&options, &assertion, EXPECTED, &stored).unwrap();
        assert!(signed_in.user_verified);
        assert_eq!(signed_in.new_counter, expected_counter);
        let assertion: Value = serde_json::from_str(&assertion).unwrap();
        assert_eq!(assertion["response"]["userHandle"], user_id.as_str());
        stored = signed_in.credential;
    }
    assert_eq!(authenticator.counter(&stored.id), 2);
}

#[test]
fn a_signature_by_the_wrong_key_is_refused() {
    let mut authenticator = SoftAuthenticator::new();
    let stored = register(&mut authenticator, Flags::VERIFIED);
    let options = request_options();
    let assertion = authenticator
        .with_wrong_keys()
        .sign_in(&options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    let refused =
        simplewebauthn_verify_authentication(&options, &assertion, EXPECTED, &stored).unwrap_err();
    assert!(refused.0.contains("signature"), "{refused}");
}

#[test]
fn a_clone_whose_counter_stayed_behind_is_refused() {
    let mut authenticator = SoftAuthenticator::new();
    let mut stored = register(&mut authenticator, Flags::VERIFIED);
    let mut clone = authenticator.clone();
    let options = request_options();
    let assertion = authenticator
        .sign_in(&options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    stored = simplewebauthn_verify_authentication(&options, &assertion, EXPECTED, &stored)
        .unwrap()
        .credential;

    let options = request_options();
    let assertion = clone.sign_in(&options, ORIGIN, Flags::VERIFIED).unwrap();
    let refused =
        simplewebauthn_verify_authentication(&options, &assertion, EXPECTED, &stored).unwrap_err();
    assert!(refused.0.contains("counter"), "{refused}");

    // The same with the counter set back by hand.
    authenticator.set_counter(&stored.id, 0);
    let options = request_options();
    let assertion = authenticator
        .sign_in(&options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    assert!(simplewebauthn_verify_authentication(&options, &assertion, EXPECTED, &stored).is_err());
}

#[test]
fn a_synced_passkey_without_verification_or_counter_reads_as_such() {
    let mut authenticator = SoftAuthenticator::without_counter();
    let flags = Flags::PRESENT.synced();
    let mut stored = register(&mut authenticator, flags);
    let expected = Expected {
        require_user_verification: false,
        ..EXPECTED
    };
    for _ in 0..2 {
        let options = request_options();
        let assertion = authenticator.sign_in(&options, ORIGIN, flags).unwrap();
        let signed_in =
            simplewebauthn_verify_authentication(&options, &assertion, expected, &stored).unwrap();
        assert!(!signed_in.user_verified);
        assert!(signed_in.backed_up);
        assert_eq!(signed_in.new_counter, 0);
        stored = signed_in.credential;
    }

    let options = request_options();
    let assertion = authenticator.sign_in(&options, ORIGIN, flags).unwrap();
    assert!(simplewebauthn_verify_authentication(&options, &assertion, EXPECTED, &stored).is_err());
}

#[test]
fn another_origin_or_rp_id_is_refused() {
    let mut authenticator = SoftAuthenticator::new();
    let stored = register(&mut authenticator, Flags::VERIFIED);

    let options = request_options();
    let assertion = authenticator
        .sign_in(&options, "https://evil.example", Flags::VERIFIED)
        .unwrap();
    let refused =
        simplewebauthn_verify_authentication(&options, &assertion, EXPECTED, &stored).unwrap_err();
    assert!(refused.0.contains("origin"), "{refused}");

    authenticator.tampering = Tampering {
        rp_id: Some("evil.example".to_owned()),
        ..Tampering::default()
    };
    let options = request_options();
    let assertion = authenticator
        .sign_in(&options, ORIGIN, Flags::VERIFIED)
        .unwrap();
    let refused =
        simplewebauthn_verify_authentication(&options, &assertion, EXPECTED, &stored).unwrap_err();
    assert!(refused.0.contains("RP ID"), "{refused}");
}

#[test]
fn the_authenticator_refuses_what_a_real_one_would() {
    let mut authenticator = SoftAuthenticator::new();
    let user_id = random_base64url(16);
    let options = creation_options(&user_id, &[]);
    authenticator
        .register(&options, ORIGIN, Flags::VERIFIED)
        .unwrap();

    let excluding = creation_options(&user_id, &authenticator.credential_ids());
    assert_eq!(
        authenticator.register(&excluding, ORIGIN, Flags::VERIFIED),
        Err(AuthenticatorError::InvalidState)
    );
    let other_rp = request_options().replace(RP_ID, "example.org");
    assert_eq!(
        authenticator.sign_in(&other_rp, ORIGIN, Flags::VERIFIED),
        Err(AuthenticatorError::NotAllowed)
    );
    let mut only_other = serde_json::from_str::<Value>(&request_options()).unwrap();
    only_other["allowCredentials"] = json!([{ "type": "public-key", "id": random_base64url(16) }]);
    assert_eq!(
        authenticator.sign_in(&only_other.to_string(), ORIGIN, Flags::VERIFIED),
        Err(AuthenticatorError::NotAllowed)
    );
}
