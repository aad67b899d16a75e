//! The `minhbach` command: serve the application, or run an operator's task.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// mimalloc gives the memory of each Argon2id derivation (19 MiB) back to the system after use; glibc's
/// allocator would keep it in per-thread arenas, so resident memory would stay at its peak after a burst.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Minh Bạch: anonymous, encrypted anti-corruption reporting.
///
/// Settings come from Rocket.toml and the environment: ROCKET_ADDRESS, ROCKET_PORT (default
/// 127.0.0.1:8000), MINHBACH_DATA_DIR (default ./data), MINHBACH_DATABASE_URL (default: SQLite in the
/// data directory; postgres://… selects PostgreSQL). Logs: MINHBACH_LOG (default "info").
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application and the API (the default).
    Serve,
    /// Create the data directory, the secret key and the database schema, then exit.
    Migrate,
}

fn init_logging() {
    let filter = EnvFilter::try_from_env("MINHBACH_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .finish();
    // Deliberately not `init()`: that would also route the `log` crate into tracing and bypass Rocket's own
    // logger, which is switched off (config::base) so that request URIs never reach the logs.
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        eprintln!("minhbach: a logger was already installed");
    }
}

#[rocket::main]
async fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Migrate => migrate().await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("minhbach: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), String> {
    let rocket = minhbach::rocket(minhbach::config::figment()).map_err(|e| e.to_string())?;
    let rocket = rocket.attach(rocket::fairing::AdHoc::on_liftoff("Announce", |rocket| {
        Box::pin(async move {
            let config = rocket.config();
            let data_dir = rocket
                .state::<minhbach::Settings>()
                .map(|s| s.data_dir.display().to_string());
            tracing::info!(
                data_dir,
                "Minh Bạch is serving on http://{}:{}/",
                config.address,
                config.port
            );
            tracing::info!("Staff accounts arrive with the inspectors' workflow; reporters need none.");
        })
    }));
    rocket
        .launch()
        .await
        .map(|_| ())
        .map_err(|e| format!("server stopped: {e}"))
}

async fn migrate() -> Result<(), String> {
    let settings: minhbach::Settings = minhbach::config::figment().extract().map_err(|e| e.to_string())?;
    minhbach::config::prepare_data_dir(&settings.data_dir).map_err(|e| e.to_string())?;
    let db = minhbach::web::open_database(&settings)
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    println!(
        "Database ready: {:?} backend, data directory {}",
        db.backend(),
        settings.data_dir.display()
    );
    Ok(())
}
