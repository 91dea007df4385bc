//! Table definitions shared by both backends. Only portable SQL types are used:
//! `Varchar`/`Text`, `BigInt` and `Timestamp` (naive UTC, microseconds).

diesel::table! {
    /// People who can log in. `user_name_key` is the Unicode lower-case form of
    /// `user_name` and carries the uniqueness constraint.
    users (id) {
        id -> Varchar,
        user_name -> Varchar,
        user_name_key -> Varchar,
        password_hash -> Varchar,
        role -> Varchar,
        status -> Varchar,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// As given; `email_key` is its lower-case form and carries the
        /// uniqueness constraint.
        email -> Nullable<Varchar>,
        email_key -> Nullable<Varchar>,
        email_verified_at -> Nullable<Timestamp>,
        /// The TOTP secret, sealed (see `core::keys::sealing`); None while
        /// TOTP is off.
        totp_secret -> Nullable<Text>,
        /// A secret enrolled and not yet confirmed, sealed.
        totp_pending_secret -> Nullable<Text>,
        totp_enabled_at -> Nullable<Timestamp>,
        /// The last TOTP time step accepted: codes at or before it are refused.
        totp_last_step -> Nullable<BigInt>,
        /// When a sign-in was reported as not the user's: while set, the
        /// right password answers `PASSWORD_RESET_REQUIRED`.
        password_reset_required_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// One row per login session (device). Refresh-token state lives here and
    /// only here: rotation updates the row, it never adds one.
    user_login_sessions (id) {
        id -> Varchar,
        user_id -> Varchar,
        device_info -> Nullable<Varchar>,
        ip_address -> Nullable<Varchar>,
        user_agent -> Nullable<Varchar>,
        created_at -> Timestamp,
        last_active_at -> Timestamp,
        expires_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        end_reason -> Nullable<Varchar>,
        refresh_secret -> Varchar,
        refresh_generation -> BigInt,
        refreshed_at -> Nullable<Timestamp>,
        /// 2 when `amr` holds `mfa`, else 1.
        aal -> Integer,
        /// RFC 8176 method names, comma-separated (a set).
        amr -> Varchar,
        /// When a credential was last proved in this session.
        authenticated_at -> Timestamp,
        /// `Session.deviceName`, set when the session opens (`core::devices`).
        device_name -> Varchar,
    }
}

diesel::joinable!(user_login_sessions -> users (user_id));
diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(mfa_challenges -> users (user_id));
diesel::joinable!(passkeys -> users (user_id));
diesel::joinable!(known_devices -> users (user_id));
diesel::joinable!(security_events -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    user_login_sessions,
    login_throttle,
    account_tokens,
    mail_outbox,
    recovery_codes,
    mfa_challenges,
    passkeys,
    passkey_ceremonies_used,
    known_devices,
    security_events,
    audit_log
);

diesel::table! {
    /// Failed-login counters per user name key or client address, in a
    /// fixed window from the first failure, and the password checks under
    /// way for a user name key.
    login_throttle (throttle_key) {
        throttle_key -> Varchar,
        failure_count -> Integer,
        window_started_at -> Timestamp,
        checking -> Integer,
        checking_since -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// One-use tokens that mails carry, kept only as their SHA-256.
    account_tokens (token_hash) {
        token_hash -> Varchar,
        kind -> Varchar,
        user_id -> Nullable<Varchar>,
        email -> Nullable<Varchar>,
        role -> Nullable<Varchar>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        /// For a new-device alert's report token: the session it is about.
        session_id -> Nullable<Varchar>,
    }
}

diesel::table! {
    /// Mails to send, sealed with a key derived from `JWT_SECRET`.
    mail_outbox (id) {
        id -> Varchar,
        kind -> Varchar,
        recipient_key -> Varchar,
        sealed -> Text,
        created_at -> Timestamp,
        due_at -> Nullable<Timestamp>,
        attempts -> Integer,
        claimed_by -> Nullable<Varchar>,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Recovery codes, kept only as their SHA-256; each is used once.
    recovery_codes (user_id, code_hash) {
        user_id -> Varchar,
        code_hash -> Varchar,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The second step of logins that answered `MFA_REQUIRED`, by the
    /// SHA-256 of their `mfaToken`.
    mfa_challenges (token_hash) {
        token_hash -> Varchar,
        user_id -> Varchar,
        /// The password hash the first step verified.
        verified_hash -> Varchar,
        device_info -> Nullable<Varchar>,
        delivery -> Varchar,
        failures -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Users' passkeys (WebAuthn credentials), by id; unique by the SHA-256
    /// of the credential id.
    passkeys (id) {
        id -> Varchar,
        user_id -> Varchar,
        /// SHA-256 (hex) of the credential id.
        credential_key -> Varchar,
        /// The credential as the WebAuthn library keeps it (JSON).
        credential -> Text,
        label -> Varchar,
        /// The signature counter last accepted.
        sign_count -> BigInt,
        backed_up -> Bool,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        /// When a counter that went backwards was last refused.
        counter_refused_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Passkey ceremonies finished or tried, by the SHA-256 of their
    /// `challengeId`, until they would have expired.
    passkey_ceremonies_used (ceremony_hash) {
        ceremony_hash -> Varchar,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Devices that had a successful sign-in of a user, by the SHA-256 (hex)
    /// of their `authql_device` cookie; one row per user and device.
    known_devices (user_id, device_hash) {
        user_id -> Varchar,
        device_hash -> Varchar,
        first_seen_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    /// What happened to an account, for its owner's timeline, ordered by
    /// (`at`, `seq`, `id`) (see `crate::core::security_events`).
    security_events (id) {
        id -> Varchar,
        user_id -> Varchar,
        kind -> Varchar,
        at -> Timestamp,
        /// Raised by the writing process for every event: the order of
        /// events of the same instant.
        seq -> BigInt,
        ip_address -> Nullable<Varchar>,
        device_name -> Nullable<Varchar>,
        session_id -> Nullable<Varchar>,
        /// For a session's end: why (`EndReason`).
        end_reason -> Nullable<Varchar>,
        /// For a sign-in: its `amr`, space-separated. Never a secret.
        detail -> Nullable<Varchar>,
    }
}

diesel::table! {
    /// What admins did, newest first by (`at`, `seq`, `id`) (see
    /// `crate::core::admin::audit`). No foreign keys: entries outlive the
    /// rows they name.
    audit_log (id) {
        id -> Varchar,
        at -> Timestamp,
        /// Raised by the writing process for every entry, as security
        /// events' `seq`.
        seq -> BigInt,
        actor_id -> Varchar,
        /// The admin mutation's name, such as `setUserStatus`.
        action -> Varchar,
        target_user_id -> Nullable<Varchar>,
        /// What changed; never a secret.
        detail -> Nullable<Varchar>,
        ip_address -> Nullable<Varchar>,
    }
}

diesel::table! {
    /// The user directory's shards: each one's latest version (see
    /// `store::directory_changes`).
    directory_shards (shard) {
        shard -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    /// Which users a directory version added, changed or deleted.
    directory_changes (shard, version, user_id) {
        shard -> BigInt,
        version -> BigInt,
        user_id -> Varchar,
        at -> Timestamp,
    }
}
