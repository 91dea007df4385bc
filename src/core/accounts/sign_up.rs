//! `signUp`: a new account, as `SIGNUP_MODE` allows. In `open` mode the
//! account is created unverified and a verification mail is queued with it;
//! an address that already has an account gets a notice instead, and the
//! answer is the same, as is its time: both paths hash the password and
//! commit one transaction that queues one mail. With an invitation (in
//! every mode) the account is created verified, with the invitation's role,
//! and its first session opens at once.

use crate::config::SignupMode;
use crate::core::accounts::address::EmailAddress;
use crate::core::accounts::mail_tokens::{self, TokenKind};
use crate::core::accounts::mails;
use crate::core::app::App;
use crate::core::client::ClientInfo;
use crate::core::credentials::throttle::address_key;
use crate::core::sessions::{self, IssuedTokens, SignIn, SignInMethod};
use crate::core::{clock, ids, input};
use crate::error::AppError;
use crate::secret::{ExposeSecret, Secret};
use crate::store::accounts::{self as account_rows, Creation, NewAccount, NewAccountToken};
use crate::store::users::{self as user_rows, NewUser, UserRecord};
use crate::store::{self, throttle};
use crate::vocabulary::UserStatus;

/// Sign-ups counted per client address in one window.
pub(crate) const SIGN_UPS_PER_ADDRESS: u32 = 10;
/// The window of [`SIGN_UPS_PER_ADDRESS`].
pub(crate) const SIGN_UP_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// What a client sends to sign up.
pub(crate) struct SignUpRequest {
    pub user_name: String,
    pub email: String,
    pub password: Secret,
    pub invite_token: Option<Secret>,
    pub device_info: Option<String>,
}

/// How a sign-up ended.
pub(crate) enum SignedUp {
    /// A mail went to the address (a verification link, or a notice to the
    /// owner of an address in use: the caller cannot tell which).
    VerificationSent,
    /// An invitation was accepted: the account's first session.
    SignedIn(Box<IssuedTokens>),
}

/// Signs up, as the mode and the invitation allow.
pub(crate) async fn sign_up(
    app: &App,
    request: SignUpRequest,
    client: &ClientInfo,
) -> Result<SignedUp, AppError> {
    let settings = &app.config.accounts;
    if request.invite_token.is_none() {
        match settings.signup_mode {
            SignupMode::Closed => {
                return Err(AppError::Forbidden(
                    "sign-up needs an invitation on this server",
                ));
            }
            SignupMode::Invite => return Err(AppError::InvalidToken),
            SignupMode::Open => {}
        }
    }
    let user_name = input::new_user_name(&request.user_name);
    input::check_user_name(&user_name)?;
    input::check_new_user_name(&user_name)?;
    input::check_password(request.password.expose_secret())?;
    input::check_new_password(
        request.password.expose_secret(),
        app.config.password_min_length,
    )?;
    input::check_device_info(request.device_info.as_deref())?;
    let address = EmailAddress::parse(&request.email)?;
    count_attempt(app, client).await?;
    match &request.invite_token {
        Some(token) => accept_invitation(app, &request, token, &user_name, &address, client).await,
        None => {
            if !settings.mail_enabled() {
                return Err(AppError::Forbidden("mail is not configured on this server"));
            }
            open_sign_up(app, &request, &user_name, &address).await
        }
    }
}

/// Counts this sign-up against its client address's limit.
async fn count_attempt(app: &App, client: &ClientInfo) -> Result<(), AppError> {
    let Some(ip) = client.ip_address else {
        return Ok(());
    };
    let key = format!("signup:{}", address_key(ip));
    let now = app.clock.now();
    let window_cutoff = clock::earlier(now, SIGN_UP_WINDOW);
    let mut conn = app.pool.get().await?;
    if throttle::take_attempt(&mut conn, &key, now, window_cutoff, SIGN_UPS_PER_ADDRESS).await? {
        return Ok(());
    }
    let retry_after_secs = match throttle::window(&mut conn, &key).await? {
        Some(window) => (clock::later(window.started_at, SIGN_UP_WINDOW) - now)
            .num_seconds()
            .max(1) as u64,
        None => 1,
    };
    tracing::info!("sign-up refused: too many from one client address");
    Err(AppError::TooManyAttempts { retry_after_secs })
}

/// The new password's hash, or `TOO_MANY_ATTEMPTS` when no hashing thread
/// was free in time.
async fn hash_new_password(app: &App, password: &Secret) -> Result<String, AppError> {
    let deadline = tokio::time::Instant::now() + app.config.password_check_wait;
    app.passwords
        .hash_before(password, deadline)
        .await?
        .ok_or(AppError::TooManyAttempts {
            retry_after_secs: app.config.password_check_wait.as_secs().max(1),
        })
}

/// `open` mode: an unverified account and its verification mail, or the
/// notice to an address in use.
async fn open_sign_up(
    app: &App,
    request: &SignUpRequest,
    user_name: &str,
    address: &EmailAddress,
) -> Result<SignedUp, AppError> {
    let user_name_key = input::fold_user_name(user_name);
    {
        // A taken name is said at once (NAME_TAKEN tells no more than the
        // answer must), without the cost of a hash.
        let mut conn = app.pool.get().await?;
        if user_rows::find_by_name_key(&mut conn, &user_name_key)
            .await?
            .is_some()
        {
            return Err(AppError::NameTaken);
        }
    }
    let password_hash = hash_new_password(app, &request.password).await?;
    let app_url = app.config.accounts.public_app_url.as_deref().unwrap_or("");
    let token = mail_tokens::new_token();
    let now = app.clock.now();
    let link = mails::link(app_url, TokenKind::Verification, &token.value);
    let verification = app.mail.outbox_row(
        &mails::verification(&address.shown, user_name, app_url, &link),
        now,
    );
    let notice = app
        .mail
        .outbox_row(&mails::address_in_use(&address.shown, app_url), now);
    let user_id = ids::new_id();
    let account = NewAccount {
        user: NewUser {
            id: &user_id,
            user_name,
            user_name_key: &user_name_key,
            password_hash: &password_hash,
            role: "user",
            status: UserStatus::Unverified,
            created_at: now,
            updated_at: now,
            email: Some(&address.shown),
            email_key: Some(&address.key),
            email_verified_at: None,
        },
        verification: Some((
            NewAccountToken {
                token_hash: &token.hash,
                kind: TokenKind::Verification.as_str(),
                user_id: Some(&user_id),
                email: Some(&address.shown),
                role: None,
                created_at: now,
                expires_at: clock::later(now, TokenKind::Verification.lifetime()),
                session_id: None,
            },
            &verification,
        )),
        address_in_use: Some(&notice),
        invitation_hash: None,
    };
    match create(app, &account).await? {
        Creation::Created => {
            tracing::info!(%user_id, "account signed up; verification mail queued");
            app.metrics
                .mail_queued(crate::core::mail::MailKind::Verification);
        }
        Creation::AddressInUse => {
            tracing::info!("sign-up with an address in use: its owner is told");
            app.metrics
                .mail_queued(crate::core::mail::MailKind::AddressInUse);
        }
        Creation::NameTaken => return Err(AppError::NameTaken),
        Creation::InvalidToken => {
            return Err(AppError::internal(crate::error::InternalCause::Invariant(
                "a sign-up without an invitation spent one",
            )));
        }
    }
    app.mail.wake();
    Ok(SignedUp::VerificationSent)
}

/// Runs the account's transaction, once more after a unique violation (a
/// racing sign-up took the name or address between the checks and the
/// insert: the second run finds its row).
async fn create(app: &App, account: &NewAccount<'_>) -> Result<Creation, AppError> {
    let mut conn = app.pool.get().await?;
    let now = account.user.created_at;
    match account_rows::create(&mut conn, account, now).await {
        Err(error) if store::is_unique_violation(&error) => {
            Ok(account_rows::create(&mut conn, account, now).await?)
        }
        other => Ok(other?),
    }
}

/// An invitation accepted: the account, verified, and its first session.
async fn accept_invitation(
    app: &App,
    request: &SignUpRequest,
    token: &Secret,
    user_name: &str,
    address: &EmailAddress,
    client: &ClientInfo,
) -> Result<SignedUp, AppError> {
    let token = token.expose_secret();
    if !mail_tokens::looks_like_token(token) {
        return Err(AppError::InvalidToken);
    }
    let token_hash = mail_tokens::token_hash(token);
    let invitation = {
        let mut conn = app.pool.get().await?;
        account_rows::find_usable(
            &mut conn,
            &token_hash,
            TokenKind::Invitation.as_str(),
            app.clock.now(),
        )
        .await?
        .ok_or(AppError::InvalidToken)?
    };
    let invited = invitation.email.as_deref().unwrap_or("");
    if invited.to_lowercase() != address.key {
        return Err(AppError::BadUserInput(
            "the email must be the address the invitation was sent to".into(),
        ));
    }
    let role = invitation.role.unwrap_or_else(|| "user".to_owned());
    let password_hash = hash_new_password(app, &request.password).await?;
    let now = app.clock.now();
    let user_id = ids::new_id();
    let user_name_key = input::fold_user_name(user_name);
    let account = NewAccount {
        user: NewUser {
            id: &user_id,
            user_name,
            user_name_key: &user_name_key,
            password_hash: &password_hash,
            role: &role,
            status: UserStatus::Active,
            created_at: now,
            updated_at: now,
            email: Some(&address.shown),
            email_key: Some(&address.key),
            email_verified_at: Some(now),
        },
        verification: None,
        address_in_use: None,
        invitation_hash: Some(&token_hash),
    };
    match create(app, &account).await? {
        Creation::Created => {}
        Creation::NameTaken => return Err(AppError::NameTaken),
        Creation::InvalidToken => return Err(AppError::InvalidToken),
        Creation::AddressInUse => {
            return Err(AppError::BadUserInput(
                "an account already has this address: sign in, or reset its password".into(),
            ));
        }
    }
    tracing::info!(%user_id, "invitation accepted: account created");
    let user = UserRecord {
        id: user_id,
        user_name: user_name.to_owned(),
        role,
        status: UserStatus::Active,
        created_at: now,
        email: Some(address.shown.clone()),
        email_verified_at: Some(now),
        totp_enabled_at: None,
        password_reset_required_at: None,
    };
    let sign_in = SignIn {
        user,
        method: SignInMethod::Password {
            verified_hash: password_hash,
        },
    };
    let issued = sessions::open(app, sign_in, request.device_info.clone(), client).await?;
    Ok(SignedUp::SignedIn(Box::new(issued)))
}
