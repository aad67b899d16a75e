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
    /// Raise an escalation for every case whose resolution is overdue (the server also does this every
    /// 10 minutes).
    Escalate,
    /// Fill an empty database with demo staff and reports at every stage (back-dated over eight months),
    /// with a progress bar; prints the demo accounts and a few retrieval codes to try.
    Demo {
        /// How many reports to file.
        #[arg(long, default_value_t = 400)]
        reports: usize,
        /// Seeds the simulated history.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
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
enum UserCommand {
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
        Command::Migrate => migrate().await,
        Command::User(command) => user(command).await,
        Command::Keys(KeysCommand::Regrant { recovery_key, user }) => regrant(&recovery_key, &user).await,
        Command::Audit(AuditCommand::Verify) => audit_verify().await,
        Command::Org(OrgCommand::Import { file }) => org_import(&file).await,
        Command::Escalate => escalate().await,
        Command::Demo { reports, seed } => demo(reports, seed).await,
        Command::Deadline {
            policy,
            stage,
            from,
            extensions,
        } => deadline(&policy, &stage, &from, &extensions),
        Command::Reward {
            scheme,
            recovered,
            form,
            date,
            bribe,
        } => reward(&scheme, recovered, form.as_deref(), date.as_deref(), bribe),
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
                .state::<minhbach::app::accounts::SetupCode>()
                .and_then(|c| c.current())
            {
                Some(code) => {
                    // Printed, not logged: the setup code is a one-time secret for whoever runs the server.
                    println!();
                    println!("  No admin yet. To create the first admin, open");
                    println!("      http://{}:{}/admin/setup", config.address, config.port);
                    println!(
                        "  and enter this one-time setup code (valid until an admin exists or the server restarts):"
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

async fn migrate() -> Result<(), String> {
    let settings: minhbach::Settings = minhbach::config::figment().extract().map_err(|e| e.to_string())?;
    minhbach::config::prepare_data_dir(&settings.data_dir).map_err(|e| e.to_string())?;
    let db = minhbach::setup::open_database(&settings)
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

/// The database and server secret, as `serve` would open them.
async fn open() -> Result<(minhbach::store::Db, minhbach::config::ServerSecret), String> {
    let settings: minhbach::Settings = minhbach::config::figment().extract().map_err(|e| e.to_string())?;
    let secret = minhbach::config::prepare_data_dir(&settings.data_dir).map_err(|e| e.to_string())?;
    settings.install_deployment().map_err(|e| e.to_string())?;
    let db = minhbach::setup::open_database(&settings)
        .await
        .map_err(|e| e.to_string())?;
    Ok((db, secret))
}

fn read_password() -> Result<zeroize::Zeroizing<String>, String> {
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

async fn user(command: UserCommand) -> Result<(), String> {
    let (db, secret) = open().await?;
    match command {
        UserCommand::Add {
            username,
            role,
            team,
            home_unit,
            password_stdin: _,
        } => {
            let password = read_password()?;
            let new = minhbach::app::accounts::NewUser {
                username: &username,
                role: &role,
                team: team.as_deref(),
                home_unit: home_unit.as_deref(),
                password: &password,
            };
            let added = minhbach::app::accounts::user_add(&db, &secret, new)
                .await
                .map_err(|e| e.to_string())?;
            println!("Created {role} {username:?}. Enrol this in an authenticator app now (shown once):");
            println!("{}", added.otpauth_uri);
        }
        UserCommand::Disable { username } => {
            minhbach::app::accounts::user_disable(&db, &username)
                .await
                .map_err(|e| e.to_string())?;
            println!("Disabled {username:?}.");
        }
        UserCommand::ResetPassword {
            username,
            password_stdin: _,
        } => {
            let password = read_password()?;
            minhbach::app::accounts::user_reset_password(&db, &username, &password)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "New password set for {username:?}. Run `minhbach keys regrant --recovery-key FILE --user {username}`"
            );
            println!("to give them back the keys of their cases.");
        }
    }
    db.close().await;
    Ok(())
}

async fn regrant(recovery_key: &std::path::Path, username: &str) -> Result<(), String> {
    let (db, _) = open().await?;
    let key = minhbach::app::accounts::read_recovery_key(recovery_key).map_err(|e| e.to_string())?;
    let granted = minhbach::app::accounts::keys_regrant(&db, &key, username)
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    println!("Re-granted the keys of {granted} report(s) to {username:?}.");
    Ok(())
}

async fn audit_verify() -> Result<(), String> {
    let (db, _) = open().await?;
    let result = minhbach::app::audit::audit_verify(&db).await;
    db.close().await;
    let checked = result.map_err(|e| e.to_string())?;
    println!("{checked} ledger entries checked: the chain is intact.");
    Ok(())
}

async fn org_import(file: &std::path::Path) -> Result<(), String> {
    let (db, _) = open().await?;
    let imported = minhbach::app::org::org_import(&db, file)
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    println!(
        "Imported {} units, {} teams, {} routing rules.",
        imported.units, imported.teams, imported.rules
    );
    Ok(())
}

fn parse_day(text: &str) -> Result<time::Date, String> {
    time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)"))
}

fn deadline(policy: &str, stage: &str, from: &str, extensions: &[String]) -> Result<(), String> {
    use minhbach::domain::policy::{Policy, Stage};
    let policy = Policy::preset(policy).map_err(|e| e.to_string())?;
    let stage = Stage::parse(stage).ok_or_else(|| {
        let known: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown stage {stage:?} (known: {})", known.join(", "))
    })?;
    let start = parse_day(from)?;
    let kinds: Vec<&str> = extensions.iter().map(String::as_str).collect();
    let due = policy.due(stage, start, &kinds).map_err(|e| e.to_string())?;
    let rule = policy.stage(stage).map_err(|e| e.to_string())?;
    let out = serde_json::json!({
        "policy": policy.policy.id,
        "version": policy.policy.version,
        "stage": stage,
        "from": start.to_string(),
        "extensions": kinds,
        "due": due.to_string(),
        "days": rule.days,
        "unit": rule.unit,
        "rule": rule.rule,
    });
    println!("{out}");
    Ok(())
}

fn reward(scheme: &str, recovered: i64, form: Option<&str>, date: Option<&str>, bribe: bool) -> Result<(), String> {
    use minhbach::domain::reward::{self, Claim, Scheme};
    let scheme = Scheme::parse(scheme).ok_or_else(|| reward::RewardError::UnknownScheme(scheme.into()).to_string())?;
    let on = match date {
        Some(text) => parse_day(text)?,
        None => minhbach::app::Clock::now().today(),
    };
    let proposal = reward::propose(scheme, &Claim { recovered, form, bribe }, on).map_err(|e| e.to_string())?;
    let mut out = serde_json::to_value(&proposal).map_err(|e| e.to_string())?;
    out["date"] = serde_json::json!(on.to_string());
    out["recovered"] = serde_json::json!(recovered);
    println!("{out}");
    Ok(())
}

async fn escalate() -> Result<(), String> {
    let (db, _) = open().await?;
    let raised = minhbach::app::casework::escalate_overdue(&db, minhbach::app::Clock::now())
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    println!("{raised} overdue case(s) escalated.");
    Ok(())
}

async fn demo(reports: usize, seed: u64) -> Result<(), String> {
    let (db, secret) = open().await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} events, {elapsed} (ETA {eta})")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    bar.set_message(format!("Filing {reports} demo reports"));
    let options = minhbach::demo::Options { reports, seed };
    let mut progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let summary = minhbach::demo::fill(&db, &secret, &options, &mut progress)
        .await
        .map_err(|e| e.to_string())?;
    bar.finish();
    db.close().await;
    println!();
    println!(
        "{} reports, {} events, {} overdue resolution(s) escalated.",
        summary.reports, summary.events, summary.escalated
    );
    println!();
    println!("Demo staff accounts (all with the password {}):", summary.password);
    for account in &summary.accounts {
        println!(
            "  {:<14} {:<10} TOTP: {}",
            account.username, account.role, account.otpauth_uri
        );
    }
    println!();
    println!("Retrieval codes of demo reports, one per outcome (fake reports, for trying /report/status):");
    for (outcome, code) in &summary.sample_codes {
        println!("  {outcome:<40} {code}");
    }
    Ok(())
}
