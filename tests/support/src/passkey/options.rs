//! Reading the options JSON a relying party sends, as the browser does
//! before it asks the authenticator: the fields the ceremonies need, and the
//! defaults WebAuthn Level 3 gives the ones left out.

use serde_json::Value;

use super::AuthenticatorError;
use super::wire;

pub(super) fn parse_options(options_json: &str) -> Result<Value, AuthenticatorError> {
    let options: Value = serde_json::from_str(options_json)
        .map_err(|e| AuthenticatorError::BadOptions(format!("the options are not JSON: {e}")))?;
    // Some relying parties wrap the options as {"publicKey": {...}}; the
    // contract's are bare, and a wrapped one is a mistake to point at.
    if options.get("publicKey").is_some() {
        return Err(AuthenticatorError::BadOptions(
            "the options are wrapped in `publicKey`; Level 3 JSON is the bare object".to_owned(),
        ));
    }
    Ok(options)
}

pub(super) fn text<'options>(
    options: &'options Value,
    pointer: &str,
) -> Result<&'options str, AuthenticatorError> {
    options
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| AuthenticatorError::BadOptions(format!("`{pointer}` is not a string")))
}

pub(super) fn base64url_field(
    options: &Value,
    pointer: &str,
) -> Result<Vec<u8>, AuthenticatorError> {
    wire::from_base64url(text(options, pointer)?)
        .map_err(|e| AuthenticatorError::BadOptions(format!("`{pointer}` is not base64url: {e}")))
}

/// The rp id the options name, else the origin's host (the browser's
/// default, WebAuthn §5.1.3 step 8 and §5.1.4.1 step 9).
pub(super) fn rp_id_or_origin_host(
    options: &Value,
    pointer: &str,
    origin: &str,
) -> Result<String, AuthenticatorError> {
    if options.pointer(pointer).is_some() {
        return text(options, pointer).map(str::to_owned);
    }
    let authority = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    let host_and_port = authority.split('/').next().unwrap_or(authority);
    let host = host_and_port
        .rsplit_once(':')
        .map_or(host_and_port, |(host, _)| host);
    Ok(host.to_owned())
}

/// Whether `pubKeyCredParams` offers ES256; an empty list means the
/// defaults, ES256 among them (§5.4, `pubKeyCredParams`).
pub(super) fn offers_es256(options: &Value) -> Result<bool, AuthenticatorError> {
    let params = options
        .get("pubKeyCredParams")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            AuthenticatorError::BadOptions("`pubKeyCredParams` is not a list".to_owned())
        })?;
    Ok(params.is_empty()
        || params
            .iter()
            .any(|param| param["type"] == "public-key" && param["alg"] == -7))
}

/// The ids of a PublicKeyCredentialDescriptorJSON list (absent: none).
pub(super) fn credential_ids_in(
    options: &Value,
    pointer: &str,
) -> Result<Vec<Vec<u8>>, AuthenticatorError> {
    let Some(descriptors) = options.pointer(pointer) else {
        return Ok(Vec::new());
    };
    let descriptors = descriptors
        .as_array()
        .ok_or_else(|| AuthenticatorError::BadOptions(format!("`{pointer}` is not a list")))?;
    (0..descriptors.len())
        .map(|index| base64url_field(options, &format!("{pointer}/{index}/id")))
        .collect()
}
