//! `tollgate`: print the tokens and auth headers the tollgate SDKs would use (pasteable into
//! `curl -H`), send signed requests, and run the providers' local fakes.
//!
//! Everything is built on the provider crates' public APIs: their credential types, their
//! [`Signer`](auth_core::Signer) implementations and their `mock` fakes. Exit codes: 0 for
//! success (2xx for `send`), 1 for an HTTP status outside 2xx, 2 for a configuration,
//! credential, token or network error (one line on stderr naming the field, never the
//! secret), 3 for `status` when no token is cached.
#![deny(missing_docs)]

mod cache;
mod common;
mod dragonpass;
mod gtr;
mod holidu;
mod mock;
mod snap;
mod v5;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use common::{CliError, EXIT_OK, RequestArgs};

#[derive(Debug, Parser)]
#[command(
    name = "tollgate",
    version,
    about = "Tokens, auth headers and signed requests for partner APIs, and local fakes of them",
    long_about = None,
    after_help = "Exit codes: 0 success (2xx for send), 1 HTTP status outside 2xx, \
                  2 configuration/credential/token/network error, 3 `status`: no token cached.\n\
                  Run `tollgate <provider> --help` for the environment variables each provider reads.\n\
                  Tokens are cached between runs: see `tollgate cache --help`."
)]
struct Cli {
    /// Do not keep tokens between runs: fetch (or mint) a token every time. Also set by
    /// TOLLGATE_NO_CACHE=1.
    #[arg(
        long,
        global = true,
        env = "TOLLGATE_NO_CACHE",
        value_parser = clap::builder::FalseyValueParser::new(),
        default_value_t = false,
        num_args = 0,
        default_missing_value = "true"
    )]
    no_cache: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// DragonPass (self-signed HS256/RS256 JWTs or the token API).
    Dragonpass {
        #[command(subcommand)]
        action: Action,
    },
    /// SNAP B2B (Bank Indonesia open API: B2B access token + signed transactions).
    Snap {
        #[command(subcommand)]
        action: Action,
    },
    /// GTR Global Travel Rule (app token per request, or SSO login; mutual TLS).
    Gtr {
        #[command(subcommand)]
        action: Action,
    },
    /// V5 OpenAPI (app id + secret exchanged for a two-hour bearer token).
    V5 {
        #[command(subcommand)]
        action: Action,
    },
    /// Holidu Channel API (self-signed ES256 JWT from account_info.json).
    Holidu {
        #[command(subcommand)]
        action: Action,
    },
    /// Run a provider's fake on loopback (prints its URL and the environment to use it).
    Mock(mock::MockArgs),
    /// The token cache shared between runs.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
}

#[derive(Debug, Subcommand)]
enum CacheAction {
    /// Remove the cached tokens (of one provider, or of all).
    Clear {
        /// Only this provider's tokens.
        provider: Option<mock::MockProvider>,
    },
    /// Print the cache directory.
    Dir,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Print the token the SDK would use (stdout, nothing else).
    Token,
    /// Print the auth headers for a request without sending it, one 'Name: value' a line.
    Headers(RequestArgs),
    /// Sign and send a request: body on stdout, status line on stderr.
    Send(RequestArgs),
    /// Print the cached token's state for the current variables (store, age, expiry, next
    /// refresh), never the token. Exit 3 when nothing is cached.
    Status,
}

/// The subcommands whose help lists a provider's environment variables.
fn providers() -> [(&'static str, String); 5] {
    [
        ("dragonpass", dragonpass::env_help()),
        ("snap", snap::env_help()),
        ("gtr", gtr::env_help()),
        ("v5", v5::env_help()),
        ("holidu", holidu::env_help()),
    ]
}

fn command() -> clap::Command {
    let mut cmd = Cli::command();
    for (name, env) in providers() {
        cmd = cmd.mut_subcommand(name, |p| {
            let mut p = p.after_help(env.clone());
            for action in ["token", "headers", "send", "status"] {
                p = p.mut_subcommand(action, |a| a.after_help(env.clone()));
            }
            p
        });
    }
    cmd.mut_subcommand("mock", |m| m.after_help(mock::HELP))
        .mut_subcommand("cache", |m| m.after_help(cache::HELP))
}

/// Token requests and signed requests alike: no redirects (a signed request or a secret
/// must not be re-sent elsewhere), with auth-core's timeouts.
fn http_client() -> Result<reqwest::Client, CliError> {
    auth_core::transport::token_client_builder()
        .build()
        .map_err(|e| CliError::config(format!("building the HTTP client failed: {e}")))
}

async fn run(cli: Cli) -> Result<u8, CliError> {
    use mock::MockProvider as P;
    let cache = |p| cache::config(cli.no_cache, p);
    match cli.command {
        Command::Mock(args) => mock::run(&args).await,
        Command::Cache { action } => match action {
            CacheAction::Clear { provider } => cache::clear(provider),
            CacheAction::Dir => cache::print_dir(),
        },
        // `status` reads the cache only: it needs no valid credentials.
        Command::Dragonpass {
            action: Action::Status,
        } => cache::status(cli.no_cache, P::Dragonpass).await,
        Command::Snap {
            action: Action::Status,
        } => cache::status(cli.no_cache, P::Snap).await,
        Command::Gtr {
            action: Action::Status,
        } => cache::status(cli.no_cache, P::Gtr).await,
        Command::V5 {
            action: Action::Status,
        } => cache::status(cli.no_cache, P::V5).await,
        Command::Holidu {
            action: Action::Status,
        } => cache::status(cli.no_cache, P::Holidu).await,
        Command::Dragonpass { action } => {
            act(action, dragonpass::from_env(cache(P::Dragonpass)?)?).await
        }
        Command::Snap { action } => act(action, snap::from_env(cache(P::Snap)?)?).await,
        Command::Gtr { action } => act(action, gtr::from_env(cache(P::Gtr)?)?).await,
        Command::V5 { action } => act(action, v5::from_env(cache(P::V5)?)?).await,
        Command::Holidu { action } => act(action, holidu::from_env(cache(P::Holidu)?)?).await,
    }
}

/// Runs one provider action.
async fn act<P: common::CliProvider>(action: Action, p: P) -> Result<u8, CliError> {
    let (base, fields) = (p.base_url(), p.fields());
    match action {
        Action::Token => {
            println!("{}", p.token().await?);
            Ok(EXIT_OK)
        }
        Action::Headers(args) => common::print_headers(p.signer(), &args, base, fields).await,
        Action::Send(args) => {
            let http = match p.http() {
                Some(http) => http,
                None => http_client()?,
            };
            common::send(p.signer().clone(), http, &args, base, fields).await
        }
        // Answered in `run` before the provider is built.
        Action::Status => Err(CliError::config("status: not reached")),
    }
}

fn main() -> ExitCode {
    let matches = command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tollgate: cannot start the async runtime: {e}");
            return ExitCode::from(common::EXIT_CONFIG);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("tollgate: {e}");
            ExitCode::from(e.code)
        }
    }
}
