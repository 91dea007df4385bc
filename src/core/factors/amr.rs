//! How a session was authenticated: RFC 8176 method names as a set, and the
//! assurance level they give. The one place that says which proofs make
//! `mfa` (two kinds of factor, or a passkey that verified its user) and
//! that `aal` is 2 exactly when `mfa` is there.

use std::collections::BTreeSet;

/// An RFC 8176 authentication method reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
pub(crate) enum Method {
    /// A password: something the user knows.
    Pwd,
    /// A one-time password (TOTP) or a recovery code: something the user has.
    Otp,
    /// A hardware-backed key (a passkey): something the user has.
    Hwk,
    /// Two kinds of factor proved it (or a passkey with user verification).
    Mfa,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }

    fn parse(name: &str) -> Option<Method> {
        [Method::Pwd, Method::Otp, Method::Hwk, Method::Mfa]
            .into_iter()
            .find(|method| method.as_str() == name)
    }
}

/// The methods that proved a session, as a set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Amr(BTreeSet<Method>);

impl Amr {
    /// The set of these methods, `mfa` added when they make two factors.
    pub(crate) fn of(methods: &[Method]) -> Amr {
        let mut amr = Amr(methods.iter().copied().collect());
        amr.settle();
        amr
    }

    /// A passkey's methods: `hwk`, and `mfa` when the authenticator verified
    /// its user (a PIN or biometric on the device: two factors in one).
    pub(crate) fn passkey(user_verified: bool) -> Amr {
        if user_verified {
            Amr::of(&[Method::Hwk, Method::Mfa])
        } else {
            Amr::of(&[Method::Hwk])
        }
    }

    /// As the session row keeps it (comma-separated, in a fixed order);
    /// names it does not know are dropped.
    pub(crate) fn from_column(column: &str) -> Amr {
        Amr(column.split(',').filter_map(Method::parse).collect())
    }

    /// The session row's form.
    pub(crate) fn to_column(&self) -> String {
        self.names().join(",")
    }

    /// The names, for `Session.amr` and the access token's `amr` claim.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|method| method.as_str()).collect()
    }

    /// This set with `more` proved too.
    pub(crate) fn with(&self, more: &[Method]) -> Amr {
        let mut amr = self.clone();
        amr.0.extend(more.iter().copied());
        amr.settle();
        amr
    }

    /// 2 when the set holds `mfa`, else 1.
    pub(crate) fn aal(&self) -> i32 {
        if self.0.contains(&Method::Mfa) { 2 } else { 1 }
    }

    /// Adds `mfa` when two kinds of factor are there: a password, a code
    /// (TOTP or recovery) and a passkey are each a kind of their own, so a
    /// code proved in a passkey's session raises it as it raises a
    /// password's.
    fn settle(&mut self) {
        let kinds = [Method::Pwd, Method::Otp, Method::Hwk]
            .iter()
            .filter(|method| self.0.contains(method))
            .count();
        if kinds >= 2 {
            self.0.insert(Method::Mfa);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_alone_is_level_one() {
        let amr = Amr::of(&[Method::Pwd]);
        assert_eq!(amr.names(), ["pwd"]);
        assert_eq!(amr.aal(), 1);
    }

    #[test]
    fn a_password_and_a_code_make_mfa_at_level_two() {
        let amr = Amr::of(&[Method::Pwd]).with(&[Method::Otp]);
        assert_eq!(amr.names(), ["pwd", "otp", "mfa"]);
        assert_eq!(amr.aal(), 2);
        assert_eq!(Amr::from_column(&amr.to_column()), amr);
    }

    #[test]
    fn a_passkey_with_user_verification_is_level_two_alone() {
        assert_eq!(Amr::of(&[Method::Hwk]).aal(), 1);
        let verified = Amr::of(&[Method::Hwk, Method::Mfa]);
        assert_eq!(verified.aal(), 2);
        assert_eq!(verified.names(), ["hwk", "mfa"]);
    }

    #[test]
    fn a_code_in_a_passkey_session_makes_mfa() {
        let amr = Amr::passkey(false).with(&[Method::Otp]);
        assert_eq!(amr.names(), ["otp", "hwk", "mfa"]);
        assert_eq!(amr.aal(), 2);
    }

    #[test]
    fn unknown_names_in_a_column_are_dropped() {
        assert_eq!(Amr::from_column("pwd,sms,").names(), ["pwd"]);
    }
}
