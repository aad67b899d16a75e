//! The commendation as the reporter meets it with the code: what was decided, and the claim or the refusal.

use serde::Serialize;

use super::{grants_for, heal_with_report_key};
use crate::app::reporting::Opened;
use crate::app::{Clock, Error, Result};
use crate::crypto::{self, aad, ReportKey};
use crate::domain::claim::Identity;
use crate::domain::commendation::State;
use crate::store::commendations::{self as stored, Purpose};
use crate::store::{users, Db};

/// The commendation as the reporter sees it with the code.
#[derive(Debug, Clone, Serialize)]
pub struct ReporterView {
    pub status: &'static str,
    pub form: Option<String>,
    pub amount: Option<i64>,
    pub currency: String,
    pub decided_at: Option<i64>,
    pub reason: Option<String>,
    pub paid_amount: Option<i64>,
    pub paid_at: Option<i64>,
    pub claimed_at: Option<i64>,
    /// Whether the reporter may claim now (or claim again, to send their details to the officers of the day).
    pub can_claim: bool,
    /// Whether the reporter may decline now.
    pub can_decline: bool,
}

/// The commendation of the reporter's report, if one was opened. Opening it grants its key to officers
/// who lack it.
pub async fn for_reporter(db: &Db, opened: &Opened) -> Result<Option<ReporterView>> {
    let id = &opened.report.id;
    let Some((row, key)) = heal_with_report_key(db, opened.key(), id).await? else {
        return Ok(None);
    };
    let state = row.status;
    let decided = !matches!(state, State::Pending);
    let reason = match (&row.reason, decided) {
        (Some(sealed), true) => {
            let plain =
                crypto::open(&key, &aad::field(id, "reason"), sealed).map_err(|_| Error::Corrupt("commendation"))?;
            Some(String::from_utf8_lossy(&plain).into_owned())
        }
        _ => None,
    };
    Ok(Some(ReporterView {
        status: state.as_str(),
        form: row.decided_form.clone().filter(|_| decided),
        amount: row.decided_amount.filter(|_| decided),
        currency: row.currency.clone(),
        decided_at: row.decided_at,
        reason,
        paid_amount: row.paid_amount,
        paid_at: row.paid_at,
        claimed_at: row.claimed_at,
        can_claim: matches!(state, State::Decided | State::Claimed),
        can_decline: state == State::Decided,
    }))
}

/// The reporter claims the decided reward (revealing `identity` to the officers alone, if given) or declines
/// it; a claimed reward may be claimed again until it is paid, replacing what was revealed. The identity is
/// sealed under a fresh claim key granted to the active officers, nobody else.
pub async fn answer(
    db: &Db,
    opened: &Opened,
    clock: Clock,
    accept: bool,
    identity: Option<&Identity>,
) -> Result<State> {
    let at = clock.millis();
    let id = &opened.report.id;
    let row = stored::find(db.pool(), id).await?.ok_or(Error::NotClaimable)?;
    let claimable = row.status == State::Decided || (accept && row.status == State::Claimed);
    if !claimable {
        return Err(Error::NotClaimable);
    }
    let (sealed, grants) = match identity.filter(|_| accept) {
        Some(identity) => {
            let key = ReportKey::generate();
            let json = serde_json::to_vec(identity).map_err(|_| Error::Corrupt("claim"))?;
            let sealed = crypto::seal(&key, &aad::claim(id), &json);
            let officers = users::list_officers(db.pool()).await?;
            let grants = grants_for(&key, id, Purpose::Claim, &officers);
            if grants.is_empty() {
                return Err(Error::NoRecipient);
            }
            (Some(sealed), grants)
        }
        None => (None, vec![]),
    };
    if !stored::record_answer(
        db.pool(),
        id,
        row.status.as_str(),
        accept,
        sealed.as_deref(),
        &grants,
        at,
    )
    .await?
    {
        return Err(Error::NotClaimable);
    }
    Ok(if accept { State::Claimed } else { State::Declined })
}
