//! The `authql_device` cookie's value: a random id (256 bits, base64url)
//! that names a device, and what a request's cookie counts for. Apart from
//! `known` (which asks the database) so that the request's `ClientInfo` can
//! carry it without depending on the app.

use chrono::TimeDelta;
use sha2::{Digest, Sha256};

use crate::core::ids;
use crate::core::mail::seal::hex;
use crate::secret::{ExposeSecret, Secret};

/// How long the device cookie lives in the browser (the longest a browser
/// keeps a cookie), set again at every sign-in.
pub(crate) const COOKIE_LIFETIME: TimeDelta = TimeDelta::days(400);

/// The random id a device's cookie holds. No `Debug` of the value: whoever
/// holds it passes for the device.
#[derive(Clone, Debug)]
pub(crate) struct DeviceId(Secret);

impl DeviceId {
    /// A new id (a secret of `ids::new_secret`), for a device that brought
    /// none.
    pub(crate) fn new() -> DeviceId {
        DeviceId(Secret::from(ids::new_secret()))
    }

    /// The id a cookie's value holds, when it has the shape of one made by
    /// [`DeviceId::new`]; None for anything else (junk is no device).
    pub(crate) fn parse(value: &str) -> Option<DeviceId> {
        ids::looks_like_secret(value).then(|| DeviceId(Secret::from(value.to_owned())))
    }

    /// The value the cookie carries.
    pub(crate) fn cookie_value(&self) -> &str {
        self.0.expose_secret()
    }

    /// What the database keeps of the id: its SHA-256 in hex (the id's
    /// entropy makes a salt or a slow hash pointless).
    pub(crate) fn hash(&self) -> String {
        hex(&Sha256::digest(self.0.expose_secret().as_bytes()))
    }
}

/// The `authql_device` cookie of a request, as the cross-site rule of the
/// refresh cookie lets it count.
#[derive(Clone, Debug, Default)]
pub(crate) enum DeviceCookie {
    /// The request carries none, or one that is not a device id.
    #[default]
    Absent,
    /// It carries one, from an origin that may not use the cookies: it is
    /// kept (set again at a sign-in) but proves nothing, so a cross-site
    /// request gains no exemption from it.
    CrossSite(DeviceId),
    /// It carries one that may be used.
    Usable(DeviceId),
}

impl DeviceCookie {
    /// The id that proves the device, if the request may use it.
    pub(crate) fn usable(&self) -> Option<&DeviceId> {
        match self {
            DeviceCookie::Usable(id) => Some(id),
            DeviceCookie::Absent | DeviceCookie::CrossSite(_) => None,
        }
    }

    /// The id a sign-in sets the cookie to: the one the device brought,
    /// else a new one.
    pub(crate) fn id_to_set(&self) -> DeviceId {
        match self {
            DeviceCookie::Usable(id) | DeviceCookie::CrossSite(id) => id.clone(),
            DeviceCookie::Absent => DeviceId::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_only_their_shape_parses() {
        let id = DeviceId::new();
        assert_ne!(id.cookie_value(), DeviceId::new().cookie_value());
        let parsed = DeviceId::parse(id.cookie_value()).expect("its own shape");
        assert_eq!(parsed.hash(), id.hash());
        assert_eq!(id.hash().len(), 64);
        assert!(!id.hash().contains(id.cookie_value()));
        for junk in [
            "",
            "abc",
            &"a".repeat(44),
            &"a".repeat(4000),
            &format!("{}+", "a".repeat(42)),
        ] {
            assert!(DeviceId::parse(junk).is_none(), "{junk}");
        }
        assert!(!format!("{id:?}").contains(id.cookie_value()));
    }
}
