//! The operator's commands other than `serve` and the backups: each calls `app` and prints what it did.

use crate::{open, read_password, UserCommand};

pub(crate) async fn migrate() -> Result<(), String> {
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

pub(crate) async fn user(command: UserCommand) -> Result<(), String> {
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

pub(crate) async fn regrant(recovery_key: &std::path::Path, username: &str) -> Result<(), String> {
    let (db, _) = open().await?;
    let key = minhbach::app::accounts::read_recovery_key(recovery_key).map_err(|e| e.to_string())?;
    let granted = minhbach::app::accounts::keys_regrant(&db, &key, username)
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    println!("Re-granted the keys of {granted} report(s) to {username:?}.");
    Ok(())
}

pub(crate) async fn audit_verify() -> Result<(), String> {
    let (db, _) = open().await?;
    let result = minhbach::app::audit::audit_verify(&db).await;
    db.close().await;
    let checked = result.map_err(|e| e.to_string())?;
    println!("{checked} ledger entries checked: the chain is intact.");
    Ok(())
}

pub(crate) async fn org_import(file: &std::path::Path) -> Result<(), String> {
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

pub(crate) fn parse_day(text: &str) -> Result<time::Date, String> {
    time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)"))
}

pub(crate) fn deadline(policy: &str, stage: &str, from: &str, extensions: &[String]) -> Result<(), String> {
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

pub(crate) fn reward(
    scheme: &str,
    recovered: i64,
    form: Option<&str>,
    date: Option<&str>,
    bribe: bool,
) -> Result<(), String> {
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

pub(crate) async fn escalate() -> Result<(), String> {
    let (db, _) = open().await?;
    let raised = minhbach::app::casework::escalate_overdue(&db, minhbach::app::Clock::now())
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    println!("{raised} overdue case(s) escalated.");
    Ok(())
}

pub(crate) async fn retention_run(dry_run: bool) -> Result<(), String> {
    let (db, _) = open().await?;
    let policy = minhbach::domain::policy::Policy::active();
    let clock = minhbach::app::Clock::now();
    println!(
        "Retention sweep{} under policy {} {}, on {}:",
        if dry_run { " (dry run: nothing is changed)" } else { "" },
        policy.policy.id,
        policy.policy.version,
        clock.today()
    );
    if policy.retention().is_none() {
        println!("  This policy has no [retention] schedule: nothing is erased.");
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("  {msg} [{bar:40}] {pos}/{len} closed reports")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    bar.set_message(if dry_run { "Checking" } else { "Erasing" });
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let mode = if dry_run {
        minhbach::app::retention::Mode::DryRun
    } else {
        minhbach::app::retention::Mode::Operator
    };
    let result = minhbach::app::retention::sweep(&db, clock, mode, progress).await;
    bar.finish_and_clear();
    db.close().await;
    let sweep = result.map_err(|e| e.to_string())?;
    let (line, total) = if dry_run {
        ("would erase", "to be erased")
    } else {
        ("erased", "erased")
    };
    for erased in &sweep.erased {
        println!(
            "  {line} {}  {}, due {}",
            erased.id,
            erased.outcome.as_str(),
            erased.due
        );
    }
    println!(
        "{} closed report(s) looked at: {} {total}, {} held past their period, {} not yet due, {} waiting for \
         their commendation to end{}.",
        sweep.looked_at,
        sweep.erased.len(),
        sweep.held,
        sweep.not_due,
        sweep.awaiting_commendation,
        if sweep.kept > 0 {
            format!(", {} kept (no retention schedule)", sweep.kept)
        } else {
            String::new()
        }
    );
    if sweep.reclaimed == Some(false) {
        println!(
            "The erased reports' space is not reclaimed yet: the database's write-ahead log is in use (a reader \
             kept it). The server retries every 10 minutes; or run this command again when it is quiet."
        );
    }
    Ok(())
}

pub(crate) async fn demo(reports: usize, seed: u64, leave_overdue: bool) -> Result<(), String> {
    let (db, secret) = open().await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} events, {elapsed} (ETA {eta})")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    bar.set_message(format!("Filing {reports} demo reports"));
    let options = minhbach::demo::Options {
        reports,
        seed,
        leave_overdue,
    };
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

/// `minhbach notify test --to ADDRESS`: one mail through the configured server, and its answer.
pub(crate) async fn notify_test(to: &str) -> Result<(), String> {
    let settings: minhbach::Settings = minhbach::config::figment().extract().map_err(|e| e.to_string())?;
    let smtp = settings.smtp().map_err(|e| e.to_string())?;
    if let Some(smtp) = &smtp {
        let tls = if smtp.starttls { "STARTTLS" } else { "no TLS" };
        println!(
            "Sending a test mail to {to} through {}:{} ({tls})…",
            smtp.host, smtp.port
        );
    }
    let answer = minhbach::app::notify::send_test(&settings, to)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "The mail server accepted it: {} {}",
        answer.code,
        answer.lines.join(" ")
    );
    Ok(())
}
