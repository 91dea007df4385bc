//! Accounts: addresses, the one-use tokens mails carry, and the flows of the
//! contract's "Accounts" section.

pub(crate) mod address;
pub(crate) mod mail_tokens;
