//! The service's closed vocabularies as enums: why a session ended,
//! whether a user may log in, and what a security event records. Each is one type from the services to its database column and its metric
//! label (the GraphQL layer mirrors it as a remote enum); the text form
//! appears only at those edges.
//!
//! The columns are plain text (`snake_case`), so that an operator reading the
//! tables sees words and a migration can add a value without a type change.

use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{Output, ToSql};
use diesel::sql_types::Text;

/// Why a session ended, as `SessionEndReason` shows it and `end_reason` keeps it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::EnumIter,
    strum::EnumString,
    strum::IntoStaticStr,
    AsExpression,
    FromSqlRow,
)]
#[strum(serialize_all = "snake_case")]
#[diesel(sql_type = Text)]
pub enum EndReason {
    /// logout, or logoutSession of this session from itself.
    Logout,
    /// logoutSession from another session of the same user.
    EndedByOtherSession,
    /// logoutAll.
    LogoutAll,
    /// A used-up refresh token was presented after the grace window.
    RefreshReuse,
    /// The user was disabled (`authql user disable`).
    UserDisabled,
    /// changePassword or `authql user set-password`.
    PasswordChanged,
    /// Ended by an operator (`authql user logout`).
    EndedByAdmin,
    /// The oldest session, ended to keep the user within MAX_SESSIONS_PER_USER.
    Evicted,
    /// Its refresh token went unused too long, or it reached its maximum lifetime.
    Expired,
    /// resetPassword with the token of a reset mail.
    PasswordReset,
    /// reportSignIn: the user said a sign-in was not theirs.
    ReportedByUser,
}

/// Whether a user may log in, as the `status` column keeps it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    strum::EnumIter,
    strum::EnumString,
    strum::IntoStaticStr,
    AsExpression,
    FromSqlRow,
)]
#[strum(serialize_all = "snake_case")]
#[diesel(sql_type = Text)]
pub enum UserStatus {
    Active,
    Disabled,
    /// Signed up and not yet proved its address: cannot sign in.
    Unverified,
}

/// What a security event records, as `SecurityEventKind` shows it and the
/// `kind` column keeps it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::EnumIter,
    strum::EnumString,
    strum::IntoStaticStr,
    AsExpression,
    FromSqlRow,
)]
#[strum(serialize_all = "snake_case")]
#[diesel(sql_type = Text)]
pub enum SecurityEventKind {
    /// A session opened; `detail` holds its `amr`.
    SignedIn,
    /// A wrong password or code for an existing account.
    SignInFailed,
    /// A session ended; `end_reason` says why.
    SessionEnded,
    PasswordChanged,
    PasswordReset,
    EmailVerified,
    EmailChanged,
    TotpEnabled,
    TotpDisabled,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    PasskeyAdded,
    PasskeyRemoved,
    /// A used-up refresh token was presented after the grace window.
    RefreshTokenReused,
    /// A new-device alert was mailed (written by the alerts, to come).
    NewDeviceAlertSent,
    /// The owner reported a sign-in (`reportSignIn`, to come).
    SignInReported,
    /// An admin changed the account (the admin mutations, to come).
    AdminAction,
}

/// The text form of a vocabulary enum, for columns, labels and logs.
macro_rules! text_column {
    ($ty:ty) => {
        impl $ty {
            /// The word kept in the database and used as a metric label.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<DB> ToSql<Text, DB> for $ty
        where
            DB: diesel::backend::Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> diesel::serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB> FromSql<Text, DB> for $ty
        where
            DB: diesel::backend::Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let word = String::from_sql(bytes)?;
                word.parse()
                    .map_err(|_| format!("unknown {} {word:?}", stringify!($ty)).into())
            }
        }
    };
}

text_column!(EndReason);
text_column!(UserStatus);
text_column!(SecurityEventKind);

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn words_round_trip_and_match_the_stored_ones() {
        for reason in EndReason::iter() {
            assert_eq!(reason.as_str().parse::<EndReason>(), Ok(reason));
        }
        // Rows written before these enums existed hold these words.
        assert_eq!(
            EndReason::EndedByOtherSession.as_str(),
            "ended_by_other_session"
        );
        assert_eq!(EndReason::RefreshReuse.as_str(), "refresh_reuse");
        for kind in SecurityEventKind::iter() {
            assert_eq!(kind.as_str().parse::<SecurityEventKind>(), Ok(kind));
        }
        assert_eq!(SecurityEventKind::SignInFailed.as_str(), "sign_in_failed");
        assert_eq!(UserStatus::Active.as_str(), "active");
        assert_eq!(UserStatus::Disabled.as_str(), "disabled");
    }
}
