//! `minhbach backup` and `minhbach restore`: the operator's words around `app::backup`, with progress on
//! standard output.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use minhbach::app::backup::{self, KeyChoice, Progress};

use crate::open;

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Prints progress: on a terminal one line rewritten in place, elsewhere (a log, a cron mail) one line per
/// tenth of the copy.
fn printer() -> impl Fn(Progress) + Sync {
    let terminal = std::io::stdout().is_terminal();
    let last_tenth = AtomicU64::new(u64::MAX);
    move |progress| {
        let mut out = std::io::stdout();
        match progress {
            Progress::Copying { done, total } if terminal => {
                let of = if total > 0 {
                    format!(" of about {:.1}", mib(total))
                } else {
                    String::new()
                };
                let _ = write!(out, "\r  copying the database: {:.1}{of} MiB   ", mib(done));
            }
            Progress::Copying { done, total } => {
                // Tenths of the copy, or every 64 MiB when its size is unknown.
                let tenth = (done * 10).checked_div(total).map_or(done >> 26, |t| t.min(10));
                if last_tenth.swap(tenth, Ordering::Relaxed) != tenth {
                    let _ = writeln!(out, "  copying the database: {:.1} MiB", mib(done));
                }
            }
            Progress::Step(step) => {
                let _ = writeln!(out, "{}  {step}…", if terminal { "\n" } else { "" });
            }
        }
        let _ = out.flush();
    }
}

pub(crate) async fn backup(to: &Path, with_recovery_key: bool, with_secret_key: bool) -> Result<(), String> {
    let settings: minhbach::Settings = minhbach::config::figment().extract().map_err(|e| e.to_string())?;
    let (db, _) = open().await?;
    if with_recovery_key {
        println!(
            "Warning: this backup will hold recovery.key. Whoever has the backup can then re-grant every report; \
             keep it as you keep the recovery key itself (offline, in a safe)."
        );
    }
    if !with_secret_key {
        println!(
            "Note: secret.key stays out of this backup (keep it apart, as SECURITY.md says). A restore needs it: \
             put it in the new data directory first, or back up with --with-secret-key."
        );
    }
    println!("Backing up into {} …", to.display());
    let keys = KeyChoice {
        secret: with_secret_key,
        recovery: with_recovery_key,
    };
    let done = backup::backup(&db, &settings, to, keys, &printer()).await;
    db.close().await;
    let done = done.map_err(|e| e.to_string())?;
    let m = &done.manifest;
    println!();
    println!(
        "Backed up {} reports; ledger head: {} entries, {}.",
        m.reports, m.ledger_entries, m.ledger_hash
    );
    for file in &m.files {
        println!("  {:<16} {:>12} bytes  sha256 {}", file.name, file.bytes, file.sha256);
    }
    println!(
        "Took {:.1} s. The manifest is {}.",
        done.took.as_secs_f64(),
        to.join("manifest.json").display()
    );
    Ok(())
}

pub(crate) async fn restore(from: &Path) -> Result<(), String> {
    let settings: minhbach::Settings = minhbach::config::figment().extract().map_err(|e| e.to_string())?;
    settings.install_deployment().map_err(|e| e.to_string())?;
    let target = match &settings.database_url {
        Some(_) => "the configured database".to_owned(),
        None => settings.sqlite_path().display().to_string(),
    };
    println!("Restoring {} into {target} …", from.display());
    let done = backup::restore(&settings, from, &printer())
        .await
        .map_err(|e| e.to_string())?;
    let m = &done.manifest;
    println!();
    println!(
        "Restored {} reports. audit verify: {} ledger entries checked, the chain is intact.",
        m.reports, done.verified
    );
    println!(
        "Restored ledger head: {} entries, {} (the manifest's).",
        m.ledger_entries, m.ledger_hash
    );
    println!("Took {:.1} s.", done.took.as_secs_f64());
    if done.recovery_key_left {
        println!("The backup holds recovery.key; it was not copied onto this server. Keep it offline with the backup.");
    }
    Ok(())
}
