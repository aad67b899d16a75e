//! Leases (issue 14): work that one instance at a time does when several share a database.

use super::{Clock, Result};
use crate::store::Db;

/// What names this process as a lease holder: its process id (for the operator reading the `leases`
/// table) and a random part (process ids repeat across machines).
pub fn holder_id() -> String {
    format!("{}-{}", std::process::id(), crate::crypto::random_id())
}

/// Takes or renews the lease `name` for `millis` from `clock` if it is free, run out or already
/// `holder`'s; returns whether `holder` holds it.
pub async fn hold(db: &Db, name: &str, holder: &str, clock: Clock, millis: i64) -> Result<bool> {
    let now = clock.millis();
    Ok(crate::store::leases::hold(db.pool(), name, holder, now, now.saturating_add(millis)).await?)
}
