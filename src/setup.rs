//! First run and every start: the database is created, migrated and seeded with the demo organisation,
//! and the organisation's recovery key is made once, its private half written for the admin to take offline.

use std::path::PathBuf;

use crate::config::{self, Settings};
use crate::domain::org::Organisation;
use crate::store::{self, grants, Db, StoreError};

/// Where the recovery key's private half is written on first run.
pub fn recovery_key_path(settings: &Settings) -> PathBuf {
    settings.data_dir.join("recovery.key")
}

/// Opens (and on first run creates) the configured database, migrated and seeded: what `serve` and every
/// CLI command work on.
pub async fn open_database(settings: &Settings) -> Result<Db, StoreError> {
    let url = settings.database_url();
    if store::Backend::from_url(&url) == Some(store::Backend::Sqlite) && settings.database_url.is_none() {
        config::touch_private(&settings.sqlite_path()).map_err(|e| StoreError::Sqlx(e.into()))?;
    }
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    if store::org::count_units(db.pool()).await? == 0 {
        let imported = store::org::import(db.pool(), &Organisation::demo(), "system").await?;
        tracing::info!(
            units = imported.units,
            teams = imported.teams,
            "first run: the demo organisation (Hóc Môn) was loaded"
        );
    }
    ensure_recovery_key(&db, settings).await?;
    let policy = crate::domain::policy::Policy::active();
    let fingerprint = store::on_time::policy_fingerprint(policy);
    if store::on_time::reset_if_policy_changed(db.pool(), &fingerprint).await?
        && store::on_time::due_count(db.pool(), i64::MAX).await? > 0
    {
        tracing::info!(
            policy = %policy.policy.id,
            "the on-time figures are counted again under this policy (in the background)"
        );
    }
    let placed = store::commendations::place_unplaced(db.pool()).await?;
    if placed > 0 {
        tracing::info!(
            commendations = placed,
            "the officer's queue was ordered under this policy"
        );
    }
    Ok(db)
}

/// Creates the organisation's recovery key if there is none: the private half goes to a file with
/// owner-only permissions (written before the public half is recorded, so a crash never leaves a public key
/// without its private half), with a warning to move it offline.
async fn ensure_recovery_key(db: &Db, settings: &Settings) -> Result<(), StoreError> {
    if grants::recovery_public_key(db.pool()).await?.is_some() {
        return Ok(());
    }
    let (private, public) = crate::crypto::generate_keypair();
    let path = recovery_key_path(settings);
    let pending = settings
        .data_dir
        .join(format!("recovery.key.{}", crate::crypto::random_id()));
    let contents = zeroize::Zeroizing::new(format!("{}\n", hex::encode(private.as_bytes())));
    config::write_private(&pending, contents.as_bytes()).map_err(|e| StoreError::Sqlx(e.into()))?;
    if grants::insert_recovery_key(db.pool(), &public, store::now_millis()).await? {
        std::fs::rename(&pending, &path).map_err(|e| StoreError::Sqlx(e.into()))?;
        tracing::warn!(
            file = %path.display(),
            "the organisation's recovery key was created. Move this file offline now (paper or a USB stick in a \
             safe) and delete it from the server: with it, anyone can re-grant access to every report"
        );
    } else {
        // Another instance recorded one first: this key was never used.
        let _ = std::fs::remove_file(&pending);
    }
    Ok(())
}
