//! The officer's queue, a page at a time: each commendation keeps its place in the queue's order
//! (`queue_rank`, `queue_due`), set in the transaction of every ledger entry about its report.

use sqlx::{AnyPool, Row};

use super::{from_row, Commendation, COLUMNS};
use crate::domain::commendation::State;
use crate::store::keyset::{self, Cursor, Key, Page};
use crate::store::Tx;

/// The officer's queue's order: those waiting for an officer first, by their current deadline's last day
/// (none first), then the others; then by opening. The columns of the `commendations_officer_*` indexes.
const QUEUE_ORDER: [&str; 4] = ["c.queue_rank", "c.queue_due", "c.opened_at", "c.report_id"];

/// A page of the officer's queue, of commendations in a state (or every one), and their number.
pub async fn list(
    pool: &AnyPool,
    status: Option<&str>,
    cursor: &Cursor,
    per_page: i64,
) -> Result<Page<Commendation>, sqlx::Error> {
    let condition = if status.is_some() { "c.status = $1" } else { "1 = 1" };
    let count_sql = format!("SELECT COUNT(*) AS n FROM commendations c WHERE {condition}");
    let total: i64 = sqlx::query(&count_sql)
        .bind(status)
        .fetch_one(pool)
        .await?
        .try_get("n")?;
    let first = if status.is_some() { 2 } else { 1 };
    let shape = keyset::shape(&QUEUE_ORDER, cursor, first, per_page);
    let sql = format!(
        "SELECT {COLUMNS} FROM commendations c JOIN reports r ON r.id = c.report_id WHERE {condition}{} \
         ORDER BY {} {}",
        shape.range, shape.order, shape.limit
    );
    let mut query = sqlx::query(&sql);
    if let Some(status) = status {
        query = query.bind(status);
    }
    let rows = keyset::bind(query, cursor).fetch_all(pool).await?;
    let rows = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(keyset::page(rows, total, cursor, per_page))
}

/// A commendation's place in the officer's queue, for the page after or before it.
pub fn key_of(row: &Commendation) -> Key {
    Key {
        sort: vec![row.queue.0, row.queue.1, row.opened_at],
        id: row.report_id.as_str().to_owned(),
    }
}

const PLACE_COLUMNS: &str = "c.report_id AS report_id, c.status AS status, c.proposed_at AS proposed_at, \
    r.received_at AS received_at, r.clock AS clock";

/// Its place from its state and its report's clock as they stand, under the active policy.
fn place_of(r: &sqlx::any::AnyRow) -> Result<(String, i64, i64), sqlx::Error> {
    let name: String = r.try_get("status")?;
    let status = State::parse(&name)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown commendation state {name:?}").into()))?;
    let proposed = r.try_get::<Option<i64>, _>("proposed_at")?.is_some();
    let (received_at, clock): (i64, String) = (r.try_get("received_at")?, r.try_get("clock")?);
    let deadlines = crate::domain::clock::deadlines_of_clock(received_at, &clock, crate::store::now_millis());
    let (rank, due) = crate::domain::commendation::queue_place(status, proposed, &deadlines);
    Ok((r.try_get("report_id")?, rank, due))
}

async fn set_place(tx: &mut Tx<'_>, (id, rank, due): &(String, i64, i64)) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE commendations SET queue_rank = $1, queue_due = $2 WHERE report_id = $3")
        .bind(rank)
        .bind(due)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Places report `id`'s commendation, if it has one, in the officer's queue, in `tx` (the ledger's append,
/// after the step's own update and the clock: every change of state or deadline passes there).
pub(in crate::store) async fn place_in(tx: &mut Tx<'_>, id: &str) -> Result<(), sqlx::Error> {
    let sql = format!(
        "SELECT {PLACE_COLUMNS} FROM commendations c JOIN reports r ON r.id = c.report_id WHERE c.report_id = $1"
    );
    if let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await? {
        set_place(tx, &place_of(&row)?).await?;
    }
    Ok(())
}

/// Places the commendations not placed yet (made before the queue kept its order, or all of them after a
/// change of policy), 500 to a transaction, each under its report's row lock (taken in id order, as by any
/// other placing instance); returns how many were placed.
pub async fn place_unplaced(pool: &AnyPool) -> Result<usize, sqlx::Error> {
    const BATCH: i64 = 500;
    let mut placed = 0;
    loop {
        let ids: Vec<String> =
            sqlx::query("SELECT report_id FROM commendations WHERE queue_rank IS NULL ORDER BY report_id LIMIT $1")
                .bind(BATCH)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| r.try_get("report_id"))
                .collect::<Result<_, _>>()?;
        let mut tx = pool.begin().await?;
        for id in &ids {
            sqlx::query("UPDATE reports SET updated_at = updated_at WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            place_in(&mut tx, id).await?;
        }
        tx.commit().await?;
        placed += ids.len();
        if (ids.len() as i64) < BATCH {
            return Ok(placed);
        }
    }
}
