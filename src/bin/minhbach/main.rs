//! The `minhbach` command: serve the application, or run an operator's task.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod backup;
mod commands;
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
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Report keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The tamper-evident ledger.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The organisation: units, teams and routing rules.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Copy the database and a manifest (ledger head, checksums) into a new directory while the server runs:
    /// SQLite by VACUUM INTO, PostgreSQL by pg_dump. Key files only when asked.
    Backup {
        /// A directory that does not exist yet (or is empty).
        #[arg(long)]
        to: std::path::PathBuf,
        /// Also copy recovery.key (only if it is still on this server; whoever holds such a backup can
        /// re-grant every report).
        #[arg(long)]
        with_recovery_key: bool,
        /// Also copy secret.key. By default it stays out (SECURITY.md: keep it apart from backups of the
        /// database), and a restore needs it put in the new data directory first.
        #[arg(long)]
        with_secret_key: bool,
    },
    /// Restore a backup into an empty data directory (SQLite) or an empty database (PostgreSQL), then run
    /// `audit verify` and compare the ledger head with the backup's manifest.
    Restore {
        /// The backup directory (with its manifest.json).
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Raise an escalation for every case whose resolution is overdue (the server also does this every
    /// 10 minutes).
    Escalate,
    /// Closed reports past their retention period (the policy's `[retention]`): erase them by
    /// crypto-shredding, keeping a content-free stub (the server also does this every 10 minutes).
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Staff notifications by email.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Fill an empty database with demo staff and reports at every stage (back-dated over eight months),
    /// with a progress bar; prints the demo accounts and a few retrieval codes to try.
    Demo {
        /// How many reports to file.
        #[arg(long, default_value_t = 400)]
        reports: usize,
        /// Seeds the simulated history.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Leave the overdue resolutions unescalated: the server's background sweep escalates them.
        #[arg(long)]
        leave_overdue: bool,
    },
    /// Compute a deadline under a policy preset; prints JSON.
    Deadline {
        /// vn-2018 (default) or eu-2019
        #[arg(long, default_value = "vn-2018")]
        policy: String,
        /// triage, notice, resolution, feedback, commendation_proposal, commendation_decision, escalation_report
        #[arg(long)]
        stage: String,
        /// The day of the event that starts the clock (YYYY-MM-DD); it is not counted.
        #[arg(long)]
        from: String,
        /// An extension of the stage (complex, very_complex); repeat for several.
        #[arg(long = "extension")]
        extensions: Vec<String>,
    },
    /// Compute a reward proposal under a scheme; prints JSON with an integer "amount".
    Reward {
        /// vn_ttlt_01_2015 (default), kr_acrc, us_sec or id_pp43_2018
        #[arg(long, default_value = "vn_ttlt_01_2015")]
        scheme: String,
        /// The amount recovered (sanctions collected for us_sec), in the scheme's currency unit.
        #[arg(long)]
        recovered: i64,
        /// The commendation form (vn_ttlt_01_2015): order_of_bravery, pm_certificate, ministry_certificate.
        #[arg(long)]
        form: Option<String>,
        /// The decision date (YYYY-MM-DD), for the base salary in force; default today.
        #[arg(long)]
        date: Option<String>,
        /// For id_pp43_2018: the amount is a bribe, not a recovered loss.
        #[arg(long)]
        bribe: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Create a staff account; prints the TOTP enrolment URI (otpauth://…) once.
    Add {
        #[arg(long)]
        username: String,
        /// admin, supervisor, inspector or officer
        #[arg(long)]
        role: String,
        /// The team (default: the organisation's default team; admins join none).
        #[arg(long)]
        team: Option<String>,
        /// The unit the user works in: they are never assigned reports about it.
        #[arg(long)]
        home_unit: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable an account: no sign-in, no new cases.
    Disable { username: String },
    /// Set a new password (and a new key pair: run `keys regrant` afterwards).
    ResetPassword {
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Give a user back the keys of their cases, from the organisation's recovery key.
    Regrant {
        #[arg(long)]
        recovery_key: std::path::PathBuf,
        #[arg(long)]
        user: String,
    },
}

#[derive(Subcommand)]
enum NotifyCommand {
    /// Send a test mail through the configured mail server (MINHBACH_SMTP_*) and print its answer.
    Test {
        /// The address to send it to.
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Erase every closed report whose retention period ended, unless a legal hold keeps it; prints each
    /// report and a summary.
    Run {
        /// Only say which reports would be erased; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the ledger's hash chain; exits non-zero naming the first broken entry.
    Verify,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Insert or update units, teams and routing rules from a TOML file (see org/hoc-mon.toml).
    Import { file: std::path::PathBuf },
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
        Command::Migrate => commands::migrate().await,
        Command::User(command) => commands::user(command).await,
        Command::Keys(KeysCommand::Regrant { recovery_key, user }) => commands::regrant(&recovery_key, &user).await,
        Command::Audit(AuditCommand::Verify) => commands::audit_verify().await,
        Command::Org(OrgCommand::Import { file }) => commands::org_import(&file).await,
        Command::Backup {
            to,
            with_recovery_key,
            with_secret_key,
        } => backup::backup(&to, with_recovery_key, with_secret_key).await,
        Command::Restore { from } => backup::restore(&from).await,
        Command::Escalate => commands::escalate().await,
        Command::Retention(RetentionCommand::Run { dry_run }) => commands::retention_run(dry_run).await,
        Command::Notify(NotifyCommand::Test { to }) => commands::notify_test(&to).await,
        Command::Demo {
            reports,
            seed,
            leave_overdue,
        } => commands::demo(reports, seed, leave_overdue).await,
        Command::Deadline {
            policy,
            stage,
            from,
            extensions,
        } => commands::deadline(&policy, &stage, &from, &extensions),
        Command::Reward {
            scheme,
            recovered,
            form,
            date,
            bribe,
        } => commands::reward(&scheme, recovered, form.as_deref(), date.as_deref(), bribe),
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
            match rocket
                .state::<minhbach::app::sign_in::SetupCode>()
                .and_then(|c| c.current())
            {
                Some(code) => {
                    // Printed, not logged: the setup code is a one-time secret for whoever runs the server.
                    println!();
                    println!("  No admin yet. To create the first admin, open");
                    println!("      http://{}:{}/admin/setup", config.address, config.port);
                    println!(
                        "  and enter this one-time setup code (valid until an admin exists; every instance on this database shows it):"
                    );
                    println!("      {code}");
                    println!(
                        "  You choose the password there and enrol the one-time codes (TOTP) in an authenticator app."
                    );
                    println!();
                }
                None => tracing::info!(
                    "staff sign in at http://{}:{}/inspector/sign-in",
                    config.address,
                    config.port
                ),
            }
        })
    }));
    rocket
        .launch()
        .await
        .map(|_| ())
        .map_err(|e| format!("server stopped: {e}"))
}

/// The database and server secret, as `serve` would open them.
pub(crate) async fn open() -> Result<(minhbach::store::Db, minhbach::config::ServerSecret), String> {
    let settings: minhbach::Settings = minhbach::config::figment().extract().map_err(|e| e.to_string())?;
    let secret = minhbach::config::prepare_data_dir(&settings.data_dir).map_err(|e| e.to_string())?;
    settings.install_deployment().map_err(|e| e.to_string())?;
    let db = minhbach::setup::open_database(&settings)
        .await
        .map_err(|e| e.to_string())?;
    Ok((db, secret))
}

pub(crate) fn read_password() -> Result<zeroize::Zeroizing<String>, String> {
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("reading the password: {e}"))?;
    let trimmed = zeroize::Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned());
    if trimmed.is_empty() {
        return Err("no password on standard input".into());
    }
    Ok(trimmed)
}
