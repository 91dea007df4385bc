//! Devices: the name a session and a security event show for the device
//! that made a request ("Firefox on Linux"), from what the client says of
//! itself (`deviceInfo`), else its User-Agent and client hints.

use crate::core::client::ClientInfo;

/// The name shown when nothing tells what the device is.
pub(crate) const UNKNOWN_DEVICE: &str = "Unknown device";

/// The device name the contract gives a session opened by `client`: the
/// client's own `deviceInfo` when it sent one, else a name read from its
/// User-Agent and client hints, else "Unknown device".
#[allow(
    dead_code,
    reason = "its callers (sessions, security events) land next; remove this then"
)]
pub(crate) fn device_name(device_info: Option<&str>, client: &ClientInfo) -> String {
    if let Some(given) = device_info.map(str::trim).filter(|given| !given.is_empty()) {
        return given.to_owned();
    }
    // Reading the User-Agent and the client hints comes with the parser.
    let _ = client;
    UNKNOWN_DEVICE.to_owned()
}
