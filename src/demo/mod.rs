//! `minhbach demo`: fills an empty database with the demo organisation's staff and a few hundred reports
//! at every stage — new, triaged, under investigation (some extended, some overdue and escalated),
//! concluded, commended, claimed and paid — back-dated over the last eight months, for demos, screenshots
//! and benchmarks.
//!
//! Every step goes through `app`, the code that serves users: the demo staff sign in with their password and
//! one-time code; reports are submitted with a real code and Argon2id, routed to the least-loaded inspector,
//! moved by the lifecycle's transitions with sealed reasons by whoever holds them, extended by the
//! supervisor, proposed, decided and paid by the officer, claimed by the reporter with the code; each step
//! in the ledger in time order. Only the clock is simulated (each use case is told when it acts). The generator is seeded, so a seed gives the same
//! organisation history (keys and codes are random every time).

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::app::accounts::{self, NewUser};
use crate::app::commendations::{self, Identity, ProposalInput};
use crate::app::sign_in::{self, Credentials, SignInLimits};
use crate::app::{audit, casework, org, reporting, Actor, Clock, Error, KdfGate};
use crate::config::ServerSecret;

mod history;

use crate::crypto::{self, RetrievalCode};
use crate::domain::ids::{ReportId, UserId};
use crate::domain::reward::Scheme;
use crate::domain::Status;
use crate::store::Db;
use history::{new_report, on_working_day, reason_for, script, Event, Step, DAY};

pub struct Options {
    /// How many reports to file.
    pub reports: usize,
    /// Seeds the simulated history.
    pub seed: u64,
    /// Leaves the overdue resolutions unescalated, for the server's background sweep to escalate.
    pub leave_overdue: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            reports: 400,
            seed: 2026,
            leave_overdue: false,
        }
    }
}

/// A demo staff account.
pub struct Account {
    pub username: &'static str,
    pub role: &'static str,
    pub otpauth_uri: String,
}

/// What the demo created.
pub struct Summary {
    /// The one password of every demo account.
    pub password: String,
    pub accounts: Vec<Account>,
    pub reports: usize,
    pub events: usize,
    pub escalated: usize,
    /// One retrieval code per kind of outcome, to try the reporter's status page with.
    pub sample_codes: BTreeMap<String, String>,
}

const ACCOUNTS: [(&str, &str, Option<&str>); 6] = [
    ("giamsat.demo", "supervisor", None),
    ("thanhtra.an", "inspector", Some("ba-diem")),
    ("thanhtra.binh", "inspector", Some("tan-xuan")),
    ("thanhtra.chi", "inspector", None),
    ("thanhtra.dung", "inspector", Some("xuan-thoi-son")),
    ("thiduakt.demo", "officer", None),
];

/// What the demo knows of a report while replaying its history.
struct Filed {
    id: ReportId,
    code: RetrievalCode,
    /// Whoever holds the case: its inspector, or the supervisor when none was free.
    holder: UserId,
    status: Status,
    /// Whether a conclusion opened its commendation.
    commendation: bool,
    decided: Option<i64>,
}

/// Who acts in the demo organisation, signed in.
struct Staffing {
    staff: BTreeMap<UserId, Actor>,
    supervisor: UserId,
    officer: UserId,
    /// The organisation's town and communes (a report about the district itself would go to a team above).
    units: Vec<String>,
}

impl Staffing {
    fn actor(&self, id: &UserId) -> Result<&Actor, Error> {
        self.staff
            .get(id)
            .ok_or_else(|| Error::Refused(format!("demo account {id} is not signed in")))
    }
}

/// Fills `db` (which must hold no report yet) and calls `progress(done, total)` as it goes.
pub async fn fill(
    db: &Db,
    secret: &ServerSecret,
    options: &Options,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Summary, Error> {
    // Never into a real deployment: demo accounts (an officer among them, with a printed password) would
    // receive its future reports and claims.
    let (reports, users) = audit::holdings(db).await?;
    for (existing, what) in [(reports, "reports"), (users, "staff accounts")] {
        if existing > 0 {
            return Err(Error::Refused(format!(
                "the database already holds {existing} {what}: the demo fills a new, empty one \
                 (point MINHBACH_DATA_DIR at a new directory)"
            )));
        }
    }
    let password = format!("demo-{}", &crypto::random_id()[..16]);
    let gate = KdfGate::configured(None, None);
    let (staffing, accounts) = sign_in_staff(db, secret, &gate, &password).await?;

    let mut rng = StdRng::seed_from_u64(options.seed);
    let now = Clock::now().millis();
    let mut events: Vec<Event> = Vec::new();
    for report in 0..options.reports {
        // The newest report came in an hour ago and waits for triage, whatever the day and the hour (citizens
        // file at any time; staff act on working days): the queue always shows one. (Drawn at random, the
        // newest could be triaged already at some hours, and the demo then had no received report.)
        if report + 1 == options.reports {
            events.push(Event {
                at: now - DAY / 24,
                report,
                step: Step::Submit,
            });
            continue;
        }
        let received = now - rng.gen_range(0..240 * DAY);
        events.extend(script(&mut rng, report, on_working_day(received)));
    }
    events.retain(|e| e.at <= now);
    events.sort_by_key(|e| (e.at, e.report));

    let mut filed: Vec<Option<Filed>> = (0..options.reports).map(|_| None).collect();
    let total = events.len() as u64;
    for (done, event) in events.iter().enumerate() {
        apply(db, &gate, &staffing, &mut rng, &mut filed, event).await?;
        progress(done as u64 + 1, total);
    }
    let escalated = match options.leave_overdue {
        true => 0,
        false => casework::escalate_overdue(db, Clock::at(now)).await?,
    };

    let mut sample_codes = BTreeMap::new();
    for report in filed.iter().flatten() {
        let label = match commendations::state_of(db, &report.id).await? {
            Some(state) => format!("{} / {}", report.status.as_str(), state.as_str()),
            None => report.status.as_str().to_owned(),
        };
        sample_codes
            .entry(label)
            .or_insert_with(|| report.code.grouped().as_str().to_owned());
    }
    Ok(Summary {
        password,
        accounts,
        reports: filed.iter().flatten().count(),
        events: events.len(),
        escalated,
        sample_codes,
    })
}

/// Creates the demo accounts and signs each in, as its owner would, with the password and the current
/// one-time code of the authenticator it was enrolled in.
async fn sign_in_staff(
    db: &Db,
    secret: &ServerSecret,
    gate: &KdfGate,
    password: &str,
) -> Result<(Staffing, Vec<Account>), Error> {
    let limits = SignInLimits::new(secret)?;
    let mut accounts = Vec::new();
    let mut staff = BTreeMap::new();
    let mut ids = BTreeMap::new();
    for (username, role, home_unit) in ACCOUNTS {
        let new = NewUser {
            username,
            role,
            team: None,
            home_unit,
            password,
        };
        let added = accounts::user_add_by(db, secret, new, "demo").await?;
        let clock = Clock::now();
        // The code of the step before (still accepted): the current one stays unused, so whoever runs the
        // demo can sign in with it at once.
        let totp = crypto::code_at(&added.totp_secret, (clock.millis() / 1000) as u64 - 30)
            .ok_or_else(|| Error::Refused("no one-time code for a demo account".into()))?;
        let credentials = Credentials {
            username,
            password,
            totp: &totp,
        };
        let signed_in = sign_in::sign_in(db, gate, &limits, secret, credentials, clock).await?;
        accounts::sign_out(db, &signed_in.session_id).await?;
        ids.insert(username, added.id.clone());
        staff.insert(added.id, signed_in.actor);
        accounts.push(Account {
            username,
            role,
            otpauth_uri: added.otpauth_uri,
        });
    }
    let units: Vec<String> = org::units(db)
        .await?
        .into_iter()
        .filter(|u| u.kind != "district")
        .map(|u| u.id.to_string())
        .collect();
    if units.is_empty() {
        return Err(Error::Refused(
            "the organisation has no town or commune to report about".into(),
        ));
    }
    let staffing = Staffing {
        staff,
        supervisor: ids["giamsat.demo"].clone(),
        officer: ids["thiduakt.demo"].clone(),
        units,
    };
    Ok((staffing, accounts))
}

/// A step refused because the simulated history ran into the lifecycle (as it would live) is skipped.
fn skipped<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::Conflict | Error::NotClaimable) => Ok(None),
        Err(other) => Err(other),
    }
}

async fn apply(
    db: &Db,
    gate: &KdfGate,
    staffing: &Staffing,
    rng: &mut StdRng,
    filed: &mut [Option<Filed>],
    event: &Event,
) -> Result<(), Error> {
    let clock = Clock::at(event.at);
    if let Step::Submit = event.step {
        let raw = new_report(rng, &staffing.units, event.at);
        let report = reporting::check(db, &raw, clock).await?;
        let submitted = reporting::submit(db, gate, report, &[], clock).await?;
        let holder = casework::assignee_id(db, &submitted.id)
            .await?
            .unwrap_or_else(|| staffing.supervisor.clone());
        filed[event.report] = Some(Filed {
            id: submitted.id,
            code: submitted.code,
            holder,
            status: Status::Received,
            commendation: false,
            decided: None,
        });
        return Ok(());
    }
    let Some(report) = filed[event.report].as_mut() else {
        return Ok(());
    };
    let id = report.id.clone();
    match event.step {
        Step::Submit => {}
        Step::Move(to) => {
            let holder = staffing.actor(&report.holder)?;
            let moved = casework::transition(db, holder, clock, &id, Some(to.as_str()), Some(reason_for(to))).await;
            if skipped(moved)?.is_some() {
                report.status = to;
                report.commendation |= crate::domain::commendation::OPENING_CONCLUSIONS.contains(&to);
            }
        }
        Step::Tell => {
            let text = "Cơ quan thanh tra thông báo kết quả xử lý ở bước hiện tại (dữ liệu minh họa).";
            casework::message(db, staffing.actor(&report.holder)?, clock, &id, Some(text)).await?;
        }
        Step::Reply => {
            let text = "Sự việc xảy ra vào buổi sáng tại bộ phận một cửa của xã.";
            let opened = reporting::open(db, gate, Some(report.code.clone())).await?;
            opened.reply(db, text, &[], clock).await?;
        }
        Step::Extend(kind) => {
            let supervisor = staffing.actor(&staffing.supervisor)?;
            let reason = Some("Vụ việc phức tạp, cần xác minh thêm.");
            // A policy that allows fewer extensions than the history asks for refuses the rest, as live.
            match casework::extend(db, supervisor, clock, &id, Some(kind), reason).await {
                Ok(()) | Err(Error::ExtensionLimit) => {}
                Err(other) => return Err(other),
            }
        }
        Step::Claim { reveal } => claim(db, gate, report, clock, Some(reveal)).await?,
        Step::Decline => claim(db, gate, report, clock, None).await?,
        Step::Propose | Step::Decide | Step::Pay => {
            let officer = staffing.actor(&staffing.officer)?;
            commend(db, officer, rng, report, event.step, clock).await?;
        }
    }
    Ok(())
}

/// The officer's steps on a commendation: proposal, decision, payment.
async fn commend(
    db: &Db,
    officer: &Actor,
    rng: &mut StdRng,
    report: &mut Filed,
    step: Step,
    clock: Clock,
) -> Result<(), Error> {
    let id = report.id.clone();
    match step {
        Step::Propose => {
            if !report.commendation {
                return Ok(());
            }
            let recovered: i64 = if rng.gen_bool(0.3) {
                0
            } else {
                rng.gen_range(1..=3_000i64) * 1_000_000
            };
            let form = match Scheme::active() {
                Scheme::VnTtlt012015 => Some(["ministry_certificate", "pm_certificate"][rng.gen_range(0..2)]),
                _ => None,
            };
            let recovered = recovered.to_string();
            let input = ProposalInput {
                recovered: Some(&recovered),
                bribe: None,
                form,
                evidence: Some("Kết luận thanh tra số 00/KL-TTr (minh họa)"),
            };
            let proposal = commendations::propose(db, officer, clock, &id, &input).await?;
            report.decided = Some(proposal.amount);
        }
        Step::Decide => {
            if !report.commendation || report.decided.is_none() {
                return Ok(());
            }
            // The officer decides what the file proposes on the day (the base salary may have changed).
            let file = commendations::open_file(db, officer, &id).await?;
            let proposed = file.proposal_on(clock.today()).map(|p| p.amount);
            let form = file.row.proposed_form.clone().unwrap_or_else(|| "money".into());
            let no_reward = Some("Thông tin tố cáo không góp phần trực tiếp vào kết quả xử lý.");
            let (form, amount, reason) = match (rng.gen_bool(0.12), proposed) {
                // Some schemes propose nothing for nothing recovered: then there is no reward to decide.
                (true, _) | (false, None | Some(0)) => ("none".to_owned(), 0, no_reward),
                (false, Some(amount)) => (form, amount, None),
            };
            let amount_text = amount.to_string();
            let decided = commendations::decide(db, officer, clock, &id, Some(&form), Some(&amount_text), reason);
            let state = skipped(decided.await)?;
            report.decided = (state == Some(crate::domain::commendation::State::Decided)).then_some(amount);
        }
        Step::Pay => {
            let (true, Some(amount)) = (report.commendation, report.decided) else {
                return Ok(());
            };
            let amount = amount.to_string();
            let reference = Some("Ủy nhiệm chi số 00 (minh họa)");
            // Paid only once claimed: a reward never claimed is not paid, as live.
            skipped(commendations::pay(db, officer, clock, &id, Some(&amount), reference, None).await)?;
        }
        _ => {}
    }
    Ok(())
}

/// The reporter, with the code, claims the reward (revealing who they are, or not) or declines it
/// (`reveal` is `None`).
async fn claim(db: &Db, gate: &KdfGate, report: &Filed, clock: Clock, reveal: Option<bool>) -> Result<(), Error> {
    let opened = reporting::open(db, gate, Some(report.code.clone())).await?;
    let identity = (reveal == Some(true)).then(|| Identity {
        name: Some("Người tố cáo (dữ liệu minh họa)".into()),
        payment: Some("Nhận trực tiếp tại Thanh tra huyện".into()),
        ..Identity::default()
    });
    // A claim on a reward that was not decided (no reward) is refused, as it would be live.
    skipped(commendations::answer(db, &opened, clock, reveal.is_some(), identity.as_ref()).await)?;
    Ok(())
}
