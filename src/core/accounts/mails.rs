//! The accounts' mails: plain text that says what happened, what to do,
//! the link, and what to do if it was not you. Links carry their token
//! after a `#`, so that it never reaches a web server's log.

use crate::core::accounts::mail_tokens::TokenKind;
use crate::core::mail::{Mail, MailKind};
use crate::secret::{ExposeSecret, Secret};

/// `<PUBLIC_APP_URL>/<page>#token=<token>`.
pub(crate) fn link(app_url: &str, kind: TokenKind, token: &Secret) -> String {
    format!("{app_url}/{}#token={}", kind.page(), token.expose_secret())
}

const NOT_YOU: &str = "If this was not you, you can ignore this mail: nothing changes \
without the link. Questions? Reply to this mail or contact the team that runs";

fn footer(app_url: &str) -> String {
    format!("{NOT_YOU} {app_url}.\n")
}

/// Proves an address: after a sign-up, `requestEmailVerification` or
/// `changeEmail`.
pub(crate) fn verification(to: &str, user_name: &str, app_url: &str, link: &str) -> Mail {
    Mail {
        kind: MailKind::Verification,
        to: to.to_owned(),
        subject: "Confirm your email address".into(),
        text: format!(
            "Hello {user_name},\n\n\
             Please confirm that {to} is your address by opening this link \
             within 24 hours:\n\n{link}\n\n{}",
            footer(app_url)
        ),
        html: None,
    }
}

/// Sets a new password.
pub(crate) fn password_reset(to: &str, user_name: &str, app_url: &str, link: &str) -> Mail {
    Mail {
        kind: MailKind::PasswordReset,
        to: to.to_owned(),
        subject: "Reset your password".into(),
        text: format!(
            "Hello {user_name},\n\n\
             Someone asked to reset the password of your account. To choose a \
             new password, open this link within 30 minutes:\n\n{link}\n\n\
             Resetting it signs you out on every device.\n\n{}",
            footer(app_url)
        ),
        html: None,
    }
}

/// Invites someone to create an account.
pub(crate) fn invitation(to: &str, app_url: &str, link: &str) -> Mail {
    Mail {
        kind: MailKind::Invitation,
        to: to.to_owned(),
        subject: "You are invited".into(),
        text: format!(
            "Hello,\n\n\
             You are invited to create an account with this address. Open \
             this link within 7 days to choose a user name and a \
             password:\n\n{link}\n\n{}",
            footer(app_url)
        ),
        html: None,
    }
}

/// To the owner of an address that someone tried to sign up with or move
/// an account to: the answer they got said nothing of it.
pub(crate) fn address_in_use(to: &str, app_url: &str) -> Mail {
    Mail {
        kind: MailKind::AddressInUse,
        to: to.to_owned(),
        subject: "Someone tried to use your address".into(),
        text: format!(
            "Hello,\n\n\
             Someone tried to create an account, or to move one, with {to}. \
             This address already belongs to your account, so nothing was \
             created or changed.\n\n\
             If it was you and you forgot your password, reset it here: \
             {app_url}/forgot-password\n\n{}",
            footer(app_url)
        ),
        html: None,
    }
}

/// To an account's old address once a new one is verified.
pub(crate) fn email_changed(to: &str, app_url: &str) -> Mail {
    Mail {
        kind: MailKind::EmailChanged,
        to: to.to_owned(),
        subject: "Your email address was changed".into(),
        text: format!(
            "Hello,\n\n\
             The address of your account is no longer {to}: a new address was \
             confirmed just now, and mails go there from now on.\n\n\
             If this was not you, reset your password at \
             {app_url}/forgot-password from a mailbox you control, and contact \
             the team that runs {app_url} at once.\n"
        ),
        html: None,
    }
}

/// To the owner, after a sign-in from a device that is not known
/// (`core::devices::alerts`): what signed in, from where and when, and the
/// link that reports it. The device's name is what the device called
/// itself, so it is quoted as such.
pub(crate) fn new_device_alert(
    to: &str,
    user_name: &str,
    app_url: &str,
    link: &str,
    opening: &crate::core::devices::alerts::Opening<'_>,
) -> Mail {
    let address = opening.ip_address.unwrap_or("an unknown address");
    let at = opening.at.format("%Y-%m-%d %H:%M UTC");
    Mail {
        kind: MailKind::NewDeviceAlert,
        to: to.to_owned(),
        subject: "New sign-in to your account".into(),
        text: format!(
            "Hello {user_name},\n\n\
             Your account was just signed in to from a device not seen \
             before:\n\n\
             \x20 Device (as it names itself): \"{device}\"\n\
             \x20 From: {address}\n\
             \x20 When: {at}\n\n\
             If this was you, there is nothing to do.\n\n\
             If this was not you, open this link within 7 days:\n\n{link}\n\n\
             It signs that device out at once, and your password stops \
             working until you choose a new one at {app_url}/forgot-password. \
             Questions? Reply to this mail or contact the team that runs \
             {app_url}.\n",
            device = opening.device_name,
        ),
        html: None,
    }
}
