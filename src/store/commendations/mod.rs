//! Commendation cases: opened with a substantiated conclusion, then proposal, decision, claim and payment,
//! each a guarded update and its ledger entry in one transaction (so of two concurrent steps one wins).

use crate::domain::EntryKind;
use sqlx::{AnyPool, Row};

use super::{ledger, Tx};

mod queue;
use crate::crypto::Grant;
use crate::domain::commendation::State;
use crate::domain::ids::{ReportId, UserId};
pub(in crate::store) use queue::place_in;
pub use queue::{key_of, list, place_unplaced};

/// What a grant of a commendation opens: the commendation key (the file) or the claim key (identity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    File,
    Claim,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::File => "file",
            Purpose::Claim => "claim",
        }
    }
}

/// A commendation as stored. Sealed fields stay sealed here.
#[derive(Debug, Clone)]
pub struct Commendation {
    pub report_id: ReportId,
    pub status: State,
    pub scheme: String,
    pub currency: String,
    pub conclusion: String,
    pub opened_at: i64,
    pub key_for_reporter: Vec<u8>,
    pub recovered: Option<i64>,
    pub bribe: Option<i64>,
    pub evidence: Option<Vec<u8>>,
    pub proposed_form: Option<String>,
    pub proposed_amount: Option<i64>,
    pub proposed_min: Option<i64>,
    pub proposed_max: Option<i64>,
    pub proposed_at: Option<i64>,
    pub decided_form: Option<String>,
    pub decided_amount: Option<i64>,
    pub decided_at: Option<i64>,
    pub reason: Option<Vec<u8>>,
    pub claimed_at: Option<i64>,
    pub claim: Option<Vec<u8>>,
    pub paid_amount: Option<i64>,
    pub paid_at: Option<i64>,
    pub payment_reference: Option<Vec<u8>>,
    /// The report's category and unit (routing metadata), for the officer's queue.
    pub category: String,
    pub unit_id: String,
    pub received_at: i64,
    /// The report's clock entries (see the `clock` column), for the commendation's deadlines.
    pub clock: String,
    /// Its place in the officer's queue: (`queue_rank`, `queue_due`), see `place_in`.
    pub queue: (i64, i64),
}

const COLUMNS: &str = "c.report_id AS report_id, c.status AS status, c.scheme AS scheme, c.currency AS currency, \
    c.conclusion AS conclusion, c.opened_at AS opened_at, c.key_for_reporter AS key_for_reporter, \
    c.recovered AS recovered, c.bribe AS bribe, c.evidence AS evidence, c.proposed_form AS proposed_form, \
    c.proposed_amount AS proposed_amount, c.proposed_min AS proposed_min, c.proposed_max AS proposed_max, \
    c.proposed_at AS proposed_at, c.decided_form AS decided_form, c.decided_amount AS decided_amount, \
    c.decided_at AS decided_at, c.reason AS reason, c.claimed_at AS claimed_at, c.claim AS claim, \
    c.paid_amount AS paid_amount, c.paid_at AS paid_at, c.payment_reference AS payment_reference, \
    r.category AS category, r.unit_id AS unit_id, r.received_at AS received_at, r.clock AS clock, \
    COALESCE(c.queue_rank, 1) AS queue_rank, COALESCE(c.queue_due, 0) AS queue_due";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Commendation, sqlx::Error> {
    Ok(Commendation {
        report_id: super::id(r, "report_id")?,
        status: {
            let name: String = r.try_get("status")?;
            State::parse(&name)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown commendation state {name:?}").into()))?
        },
        scheme: r.try_get("scheme")?,
        currency: r.try_get("currency")?,
        conclusion: r.try_get("conclusion")?,
        opened_at: r.try_get("opened_at")?,
        key_for_reporter: r.try_get("key_for_reporter")?,
        recovered: r.try_get("recovered")?,
        bribe: r.try_get("bribe")?,
        evidence: r.try_get("evidence")?,
        proposed_form: r.try_get("proposed_form")?,
        proposed_amount: r.try_get("proposed_amount")?,
        proposed_min: r.try_get("proposed_min")?,
        proposed_max: r.try_get("proposed_max")?,
        proposed_at: r.try_get("proposed_at")?,
        decided_form: r.try_get("decided_form")?,
        decided_amount: r.try_get("decided_amount")?,
        decided_at: r.try_get("decided_at")?,
        reason: r.try_get("reason")?,
        claimed_at: r.try_get("claimed_at")?,
        claim: r.try_get("claim")?,
        paid_amount: r.try_get("paid_amount")?,
        paid_at: r.try_get("paid_at")?,
        payment_reference: r.try_get("payment_reference")?,
        category: r.try_get("category")?,
        unit_id: r.try_get("unit_id")?,
        received_at: r.try_get("received_at")?,
        clock: r.try_get("clock")?,
        queue: (r.try_get("queue_rank")?, r.try_get("queue_due")?),
    })
}

/// A commendation to open with a conclusion: its key sealed for the reporter, and granted to the officers.
pub struct Opening {
    pub scheme: &'static str,
    pub currency: &'static str,
    pub key_for_reporter: Vec<u8>,
    pub grants: Vec<(UserId, Grant)>,
}

/// Opens the commendation of a concluded report, inside the conclusion's transaction.
pub async fn open_in(
    tx: &mut Tx<'_>,
    report_id: &str,
    conclusion: &str,
    opening: &Opening,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO commendations (report_id, status, scheme, currency, conclusion, opened_at, key_for_reporter, \
         updated_at) VALUES ($1, 'pending', $2, $3, $4, $5, $6, $5)",
    )
    .bind(report_id)
    .bind(opening.scheme)
    .bind(opening.currency)
    .bind(conclusion)
    .bind(at)
    .bind(&opening.key_for_reporter)
    .execute(&mut **tx)
    .await?;
    for (holder, grant) in &opening.grants {
        insert_grant(tx, report_id, Purpose::File, holder, grant).await?;
    }
    let detail = serde_json::json!({ "scheme": opening.scheme }).to_string();
    ledger::append(
        tx,
        at,
        EntryKind::CommendationOpened,
        Some(report_id),
        "system",
        &detail,
    )
    .await?;
    Ok(())
}

pub async fn insert_grant(
    tx: &mut Tx<'_>,
    report_id: &str,
    purpose: Purpose,
    holder: &str,
    grant: &Grant,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO commendation_grants (report_id, purpose, holder, encapped_key, sealed_key) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (report_id, purpose, holder) DO UPDATE SET \
         encapped_key = excluded.encapped_key, sealed_key = excluded.sealed_key",
    )
    .bind(report_id)
    .bind(purpose.as_str())
    .bind(holder)
    .bind(&grant.encapped)
    .bind(&grant.sealed)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Adds grants (for officers who had none), in a transaction of their own.
pub async fn add_grants(
    pool: &AnyPool,
    report_id: &ReportId,
    purpose: Purpose,
    grants: &[(UserId, Grant)],
) -> Result<(), sqlx::Error> {
    if grants.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    if !super::reports::lock_unerased(&mut tx, report_id).await? {
        return Ok(());
    }
    for (holder, grant) in grants {
        insert_grant(&mut tx, report_id, purpose, holder, grant).await?;
    }
    tx.commit().await
}

pub async fn find_grant(
    pool: &AnyPool,
    report_id: &ReportId,
    purpose: Purpose,
    holder: &str,
) -> Result<Option<Grant>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT encapped_key, sealed_key FROM commendation_grants WHERE report_id = $1 AND purpose = $2 AND holder = $3",
    )
    .bind(report_id)
    .bind(purpose.as_str())
    .bind(holder)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(super::grants::grant_from_row).transpose()
}

/// The holders of a commendation's grants of one purpose.
pub async fn holders(pool: &AnyPool, report_id: &ReportId, purpose: Purpose) -> Result<Vec<UserId>, sqlx::Error> {
    let rows = sqlx::query("SELECT holder FROM commendation_grants WHERE report_id = $1 AND purpose = $2")
        .bind(report_id)
        .bind(purpose.as_str())
        .fetch_all(pool)
        .await?;
    rows.iter().map(|r| super::id(r, "holder")).collect()
}

pub async fn find(pool: &AnyPool, report_id: &ReportId) -> Result<Option<Commendation>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM commendations c JOIN reports r ON r.id = c.report_id WHERE c.report_id = $1"
    ))
    .bind(report_id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The ledger entry of a step.
struct Event<'a> {
    report_id: &'a str,
    kind: EntryKind,
    actor: &'a str,
    at: i64,
    detail: serde_json::Value,
}

/// Runs a guarded update and appends its ledger entry in one transaction; returns whether it applied.
async fn step<'q>(
    pool: &AnyPool,
    update: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    event: Event<'_>,
    // A claim: the grants of its key, which replace those of any previous claim.
    claim_grants: Option<&[(UserId, Grant)]>,
) -> Result<bool, sqlx::Error> {
    let Event {
        report_id,
        kind,
        actor,
        at,
        detail,
    } = event;
    let mut tx = pool.begin().await?;
    // The report's row first (an erased report's commendation changes no more), then the step's own.
    if !super::reports::lock_unerased(&mut tx, report_id).await? || update.execute(&mut *tx).await?.rows_affected() != 1
    {
        tx.rollback().await?;
        return Ok(false);
    }
    if let Some(grants) = claim_grants {
        sqlx::query("DELETE FROM commendation_grants WHERE report_id = $1 AND purpose = 'claim'")
            .bind(report_id)
            .execute(&mut *tx)
            .await?;
        for (holder, grant) in grants {
            insert_grant(&mut tx, report_id, Purpose::Claim, holder, grant).await?;
        }
    }
    ledger::append(&mut tx, at, kind, Some(report_id), actor, &detail.to_string()).await?;
    tx.commit().await?;
    Ok(true)
}

/// The officer's record and the scheme's proposal.
pub struct ProposalRecord<'a> {
    pub recovered: i64,
    pub bribe: Option<i64>,
    pub evidence: &'a [u8],
    pub form: Option<&'a str>,
    pub amount: i64,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// Records (or, before the decision, corrects) the proposal of a pending commendation.
pub async fn record_proposal(
    pool: &AnyPool,
    report_id: &ReportId,
    p: &ProposalRecord<'_>,
    actor: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let update = sqlx::query(
        "UPDATE commendations SET recovered = $1, bribe = $2, evidence = $3, proposed_form = $4, \
         proposed_amount = $5, proposed_min = $6, proposed_max = $7, proposed_at = COALESCE(proposed_at, $8), \
         updated_at = $8 WHERE report_id = $9 AND status = 'pending'",
    )
    .bind(p.recovered)
    .bind(p.bribe)
    .bind(p.evidence)
    .bind(p.form)
    .bind(p.amount)
    .bind(p.min)
    .bind(p.max)
    .bind(at)
    .bind(report_id);
    let detail = serde_json::json!({
        "recovered": p.recovered, "form": p.form, "amount": p.amount, "min": p.min, "max": p.max,
    });
    let kind = EntryKind::CommendationProposed;
    step(
        pool,
        update,
        Event {
            report_id,
            kind,
            actor,
            at,
            detail,
        },
        None,
    )
    .await
}

/// A decision as stored: the state it leads to, form, amount and the sealed reason.
#[derive(Clone, Copy)]
pub struct DecisionRecord<'a> {
    pub state: &'a str,
    pub form: &'a str,
    pub amount: i64,
    pub reason: Option<&'a [u8]>,
    /// The proposed amount the decision was checked against.
    pub proposed_amount: Option<i64>,
}

/// Records the decision of a pending, proposed commendation: `decided` or `no_reward`.
pub async fn record_decision(
    pool: &AnyPool,
    report_id: &ReportId,
    d: &DecisionRecord<'_>,
    actor: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let DecisionRecord {
        state,
        form,
        amount,
        reason,
        proposed_amount,
    } = *d;
    let update = sqlx::query(
        "UPDATE commendations SET status = $1, decided_form = $2, decided_amount = $3, decided_at = $4, \
         reason = $5, updated_at = $4 WHERE report_id = $6 AND status = 'pending' AND proposed_at IS NOT NULL \
         AND proposed_amount = $7",
    )
    .bind(state)
    .bind(form)
    .bind(amount)
    .bind(at)
    .bind(reason)
    .bind(report_id)
    .bind(proposed_amount.unwrap_or(-1));
    let detail = serde_json::json!({ "to": state, "form": form, "amount": amount });
    let kind = EntryKind::CommendationDecided;
    step(
        pool,
        update,
        Event {
            report_id,
            kind,
            actor,
            at,
            detail,
        },
        None,
    )
    .await
}

/// The reporter claims a reward (decided, or claimed before: the new claim replaces the old one and its
/// grants), with the identity sealed to the officers (or none), or declines it. `from` is the state the
/// caller saw: if another answer came first, nothing changes.
pub async fn record_answer(
    pool: &AnyPool,
    report_id: &ReportId,
    from: &str,
    accept: bool,
    claim: Option<&[u8]>,
    grants: &[(UserId, Grant)],
    at: i64,
) -> Result<bool, sqlx::Error> {
    let state = if accept { "claimed" } else { "declined" };
    // A declined reward was never claimed: only a claim sets claimed_at.
    let sql = if accept {
        "UPDATE commendations SET status = $1, claimed_at = $2, claim = $3, updated_at = $2 \
         WHERE report_id = $4 AND status = $5"
    } else {
        "UPDATE commendations SET status = $1, claim = $3, updated_at = $2 WHERE report_id = $4 AND status = $5"
    };
    let update = sqlx::query(sql)
        .bind(state)
        .bind(at)
        .bind(claim)
        .bind(report_id)
        .bind(from);
    let kind = if accept {
        EntryKind::CommendationClaimed
    } else {
        EntryKind::CommendationDeclined
    };
    let detail = serde_json::json!({ "to": state });
    let actor = "reporter";
    step(
        pool,
        update,
        Event {
            report_id,
            kind,
            actor,
            at,
            detail,
        },
        accept.then_some(grants),
    )
    .await
}

/// Records the payment of a claimed reward, if the claim is still the one made at `claimed_at`.
pub async fn record_payment(
    pool: &AnyPool,
    report_id: &ReportId,
    claimed_at: i64,
    amount: i64,
    reference: &[u8],
    actor: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let update = sqlx::query(
        "UPDATE commendations SET status = 'paid', paid_amount = $1, paid_at = $2, payment_reference = $3, \
         updated_at = $2 WHERE report_id = $4 AND status = 'claimed' AND claimed_at = $5",
    )
    .bind(amount)
    .bind(at)
    .bind(reference)
    .bind(report_id)
    .bind(claimed_at);
    let detail = serde_json::json!({ "to": "paid", "amount": amount });
    let kind = EntryKind::CommendationPaid;
    step(
        pool,
        update,
        Event {
            report_id,
            kind,
            actor,
            at,
            detail,
        },
        None,
    )
    .await
}
