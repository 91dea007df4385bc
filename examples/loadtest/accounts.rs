//! Accounts made in bulk before the server starts, through
//! `authql::core::users::add_user` on an App of the benchmark's own over the
//! server's database, with a throwaway Argon2 cost: hundreds of them take a
//! second, not a hash each. An account that logs in has its hash upgraded
//! to the server's cost by its first login (see `core::sessions::login`),
//! so from then on its logins cost what any other's do.

use authql::config::{Argon2Cost, Config};
use authql::core::app::App;
use authql::core::keys::Keys;
use authql::secret::Secret;
use futures::{StreamExt, TryStreamExt};

use crate::BoxError;
use crate::server::ServerSetup;

/// Accounts made at once.
const CREATED_AT_ONCE: usize = 8;
/// The Argon2 cost of the accounts' passwords: the least the crate takes.
const THROWAWAY_COST: Argon2Cost = Argon2Cost {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
};

/// An account to make: its name and, when it has one, its verified address.
pub struct NewAccount<'a> {
    pub user_name: &'a str,
    pub email: Option<&'a str>,
}

/// Makes each of `accounts` (active, role `user`, the benchmark's password);
/// their ids, in the same order.
pub async fn create(
    setup: &ServerSetup,
    accounts: &[NewAccount<'_>],
) -> Result<Vec<String>, BoxError> {
    create_with_role(setup, accounts, "user").await
}

/// Makes the admin `user_name`, without an address.
pub async fn create_admin(setup: &ServerSetup, user_name: &str) -> Result<(), BoxError> {
    let admin = NewAccount {
        user_name,
        email: None,
    };
    create_with_role(setup, &[admin], "admin").await.map(drop)
}

async fn create_with_role(
    setup: &ServerSetup,
    accounts: &[NewAccount<'_>],
    role: &str,
) -> Result<Vec<String>, BoxError> {
    let mut config = Config::from_lookup(|name| setup.var(name))?;
    config.argon2_cost = THROWAWAY_COST;
    let app = App::new(config, &Keys::unused())?;
    let password = Secret::from(crate::PASSWORD);
    let made = futures::stream::iter(accounts)
        .map(|account| {
            authql::core::users::add_user(&app, account.user_name, &password, role, account.email)
        })
        .buffered(CREATED_AT_ONCE)
        .try_collect::<Vec<_>>()
        .await;
    app.pool.close();
    Ok(made.map_err(|error| format!("cannot create an account: {error}"))?)
}

/// Makes an account for each of `user_names`, without an address; their
/// ids, in the same order.
pub async fn create_named(
    setup: &ServerSetup,
    user_names: &[String],
) -> Result<Vec<String>, BoxError> {
    let accounts: Vec<NewAccount<'_>> = user_names
        .iter()
        .map(|user_name| NewAccount {
            user_name,
            email: None,
        })
        .collect();
    create(setup, &accounts).await
}
