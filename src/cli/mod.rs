//! The command line of the contract: `serve`, `migrate`, `user
//! add|disable|enable|set-password|sessions|logout`, `schema`, `prune`,
//! `keys generate|public`. Each command is a thin wrapper over the services; any failure is
//! one line on stderr and a non-zero exit.

pub mod keys;
mod logging;
mod password_input;
pub(crate) mod serve;
mod session_table;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::core::app::App;
use crate::core::users::{self, UserCommandError};
use crate::store::migrate;

/// A GraphQL authentication service.
#[derive(Parser, Debug)]
#[command(name = "authql", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP until SIGINT/SIGTERM (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Print the GraphQL SDL.
    Schema,
    /// Delete sessions past SESSION_RETENTION_DAYS, stale throttle rows,
    /// accounts never verified and spent mail tokens, once.
    Prune,
    /// Key files for JWT_ALGORITHM=EdDSA or ES256.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read from stdin (first line) or asked for.
    Add {
        name: String,
        #[arg(long, default_value = "user")]
        role: String,
        /// The user's email address; one given here counts as verified.
        #[arg(long)]
        email: Option<String>,
    },
    /// Mail an invitation to create an account (whatever SIGNUP_MODE is).
    Invite {
        email: String,
        #[arg(long, default_value = "user")]
        role: String,
    },
    /// Disable a user and end all of its sessions.
    Disable { name: String },
    /// Let a disabled user log in again.
    Enable { name: String },
    /// Set a new password (read like `user add`) and end all of the user's sessions.
    SetPassword { name: String },
    /// List the user's open sessions, one a line.
    Sessions { name: String },
    /// End all of the user's sessions, or the one given; print how many ended.
    Logout {
        name: String,
        /// The id of the one session to end. Ids are base64url and may
        /// begin with `-`, so the value is taken as given.
        #[arg(long, allow_hyphen_values = true)]
        session: Option<String>,
    },
}

/// Why a command failed; printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("invalid RUST_LOG: {0}")]
    LogFilter(String),
    #[error("{0}")]
    Keys(#[from] crate::core::keys::LoadError),
    #[error("{0}")]
    Start(#[from] crate::core::app::StartError),
    #[error("{0}")]
    GraphiqlAssets(#[from] crate::api::browser::graphiql_assets::AssetsError),
    #[error("migrations: {0}")]
    Migrate(#[from] migrate::MigrateError),
    #[error("{0}")]
    User(#[from] UserCommandError),
    #[error("{0}")]
    Password(String),
    #[error("{}", .0.detail())]
    Service(#[from] crate::error::AppError),
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    KeyCommand(#[from] keys::KeysError),
}

/// Runs the parsed command and turns its outcome into an exit code.
pub fn run(cli: Cli) -> ExitCode {
    let command = cli.command.unwrap_or(Command::Serve);
    let outcome = match command {
        Command::Schema => {
            print!("{}", crate::api::graphql::sdl());
            Ok(())
        }
        // Neither needs the configuration nor the database.
        Command::Keys(command) => keys::run(command).map_err(CliError::from),
        command => run_with_config(command),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("authql: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run_with_config(command: Command) -> Result<(), CliError> {
    let config = Config::from_env()?;
    logging::init(config.log_format).map_err(CliError::LogFilter)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(crate::api::graphql::admission::THREAD_STACK_BYTES)
        .build()
        .map_err(CliError::Runtime)?;
    let outcome = runtime.block_on(async move {
        match command {
            Command::Serve => serve::serve(config).await,
            Command::Migrate => {
                let applied = migrate::run_pending(&config.database_url).await?;
                tracing::info!(applied, "migrations are up to date");
                Ok(())
            }
            Command::User(user_command) => user(config, user_command).await,
            Command::Prune => prune(config).await,
            Command::Schema | Command::Keys(_) => Ok(()),
        }
    });
    // A task still running (a request past the shutdown deadline) must not
    // hold the exit: dropping the runtime would wait for it.
    runtime.shutdown_timeout(serve::RUNTIME_STOP_GRACE);
    outcome
}

/// An `App` for commands that sign no token.
fn offline_app(config: Config) -> Result<App, CliError> {
    Ok(App::new(config, &crate::core::keys::Keys::unused())?)
}

async fn prune(config: Config) -> Result<(), CliError> {
    migrate::run_pending(&config.database_url).await?;
    let app = offline_app(config)?;
    let report = crate::core::prune::prune_once(&app).await?;
    println!(
        "deleted {} sessions, {} throttle rows, {} unverified accounts, {} mail tokens, {} sign-in challenges and {} mails",
        report.sessions,
        report.throttle_rows,
        report.unverified_accounts,
        report.mail_tokens,
        report.sign_in_challenges,
        report.mails
    );
    app.pool.close();
    Ok(())
}

async fn user(config: Config, command: UserCommand) -> Result<(), CliError> {
    migrate::run_pending(&config.database_url).await?;
    let app = match command {
        // The invitation's mail is sealed with the key the servers open it
        // with: JWT_SECRET's, not a throwaway one.
        UserCommand::Invite { .. } => {
            let keys = crate::core::keys::Keys::load(&config)?;
            App::new(config, &keys)?
        }
        _ => offline_app(config)?,
    };
    match command {
        UserCommand::Add { name, role, email } => {
            let password = password_input::read_new_password().map_err(CliError::Password)?;
            let id = users::add_user(&app, &name, &password, &role, email.as_deref()).await?;
            tracing::info!(user_id = %id, "user created");
            println!("created user {name} ({id})");
        }
        UserCommand::Invite { email, role } => {
            if users::invite(&app, &email, &role).await? {
                println!("queued an invitation to {email} (role {role})");
            } else {
                println!(
                    "not sent: {email} already got the most invitations for now; try again later"
                );
            }
        }
        UserCommand::Disable { name } => {
            users::disable_user(&app.pool, &name).await?;
            println!("disabled user {name}; its sessions have ended");
        }
        UserCommand::Enable { name } => {
            users::enable_user(&app.pool, &name).await?;
            println!("enabled user {name}");
        }
        UserCommand::SetPassword { name } => {
            let password = password_input::read_new_password().map_err(CliError::Password)?;
            let ended = users::set_password(&app, &name, &password).await?;
            println!("set a new password for {name}; {}", sessions_ended(ended));
        }
        UserCommand::Sessions { name } => {
            let listed = users::list_sessions(&app, &name).await?;
            print!("{}", session_table::render(&listed));
        }
        UserCommand::Logout { name, session } => {
            let ended = users::end_sessions(&app, &name, session.as_deref()).await?;
            println!("{}", sessions_ended(ended));
        }
    }
    app.pool.close();
    Ok(())
}

/// "1 session ended", "3 sessions ended".
fn sessions_ended(count: usize) -> String {
    match count {
        1 => "1 session ended".to_owned(),
        n => format!("{n} sessions ended"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_id_that_begins_with_a_dash_is_taken_as_the_value() {
        let parsed = Cli::try_parse_from(["authql", "user", "logout", "kai", "--session", "-Pq7"])
            .expect("parses");
        match parsed.command {
            Some(Command::User(UserCommand::Logout { name, session })) => {
                assert_eq!(name, "kai");
                assert_eq!(session.as_deref(), Some("-Pq7"));
            }
            other => panic!("parsed as {other:?}"),
        }
    }
}
