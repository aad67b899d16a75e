//! `minhbach demo`: fills an empty database with the demo organisation's staff and a few hundred reports
//! at every stage — new, triaged, under investigation (some extended, some overdue and escalated),
//! concluded, commended, claimed and paid — back-dated over the last eight months, for demos, screenshots
//! and benchmarks.
//!
//! Every report goes through the real paths: submitted with a real code and Argon2id, routed to the
//! least-loaded inspector, moved by the lifecycle's transitions with sealed reasons, each step in the ledger
//! in time order. Only the clock is simulated. The generator is seeded, so a seed gives the same
//! organisation history (keys and codes are random every time).

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use time::Weekday;

use crate::config::ServerSecret;
use crate::crypto::{self, ReportKey, RetrievalCode};
use crate::domain::calendar;
use crate::domain::reward::{self, Claim, Scheme};
use crate::domain::{Category, NewReport, RawReport, Status};
use crate::ops::{self, NewUser, OpsError};
use crate::store::commendations::{self as stored, DecisionRecord, ProposalRecord};
use crate::store::messages::{Author, StoredMessage};
use crate::store::{self, cases, Db};
use crate::web::commendations::{self, Identity};
use crate::web::reporting::{self, KdfGate, Opened};

pub struct Options {
    /// How many reports to file.
    pub reports: usize,
    /// Seeds the simulated history.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            reports: 400,
            seed: 2026,
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

const NARRATIVES: [&str; 8] = [
    "Cán bộ địa chính yêu cầu nộp thêm tiền ngoài quy định để được cấp giấy chứng nhận quyền sử dụng đất nhanh hơn.",
    "Khi xin giấy phép xây dựng, tôi được gợi ý chuyển tiền vào tài khoản cá nhân để hồ sơ không bị trả lại.",
    "Gói thầu sửa chữa đường liên ấp được giao cho công ty của người thân lãnh đạo xã, giá cao hơn thị trường.",
    "Tiền hỗ trợ hộ nghèo bị cắt giảm, danh sách nhận hỗ trợ có tên những người không thuộc diện.",
    "Cán bộ thu phí chợ không xuất biên lai, số tiền thu không được nộp đầy đủ vào ngân sách.",
    "Đất công bên kênh bị cho thuê lại trái phép, tiền thuê không nộp về xã.",
    "Công an khu vực nhận tiền để bỏ qua vi phạm của cơ sở kinh doanh karaoke.",
    "Hồ sơ đăng ký kinh doanh bị giữ lại nhiều tuần, chỉ được giải quyết sau khi đưa phong bì.",
];

/// One step of a report's simulated history.
#[derive(Debug, Clone, Copy)]
enum Step {
    Submit,
    Move(Status),
    /// A message from staff to the reporter (the notice of acceptance, the outcome).
    Tell,
    /// The reporter answers a request for more information.
    Reply,
    Extend(&'static str),
    Propose,
    Decide,
    Claim {
        reveal: bool,
    },
    Decline,
    Pay,
}

struct Event {
    at: i64,
    report: usize,
    step: Step,
}

const DAY: i64 = 86_400_000;

/// Moves a time into office hours (08:00–17:00 in Vietnam) on a weekday: staff act on working days.
fn on_working_day(at: i64) -> i64 {
    const HOUR: i64 = 3_600_000;
    let local = at + 7 * HOUR;
    let day_start = local - local.rem_euclid(DAY);
    let at = day_start - 7 * HOUR + 8 * HOUR + local.rem_euclid(DAY) % (9 * HOUR);
    match calendar::local_date(at).weekday() {
        Weekday::Saturday => at + 2 * DAY,
        Weekday::Sunday => at + DAY,
        _ => at,
    }
}

type Days = std::ops::RangeInclusive<i64>;

/// Advances `at` by a number of days drawn from `days` (and some working hours); returns the new time.
fn after(rng: &mut StdRng, days: Days, at: &mut i64) -> i64 {
    *at = on_working_day(*at + rng.gen_range(days) * DAY + rng.gen_range(0..8 * 3_600_000));
    *at
}

/// `usual` with probability `p`, else `late`.
fn mostly(rng: &mut StdRng, p: f64, usual: Days, late: Days) -> Days {
    if rng.gen_bool(p) {
        usual
    } else {
        late
    }
}

/// The history of one report received at `received`, as steps after it (times may pass `now`; those are
/// dropped later, so a history in progress ends where the present is).
fn script(rng: &mut StdRng, report: usize, received: i64) -> Vec<Event> {
    let mut at = received;
    let mut out = vec![Event {
        at,
        report,
        step: Step::Submit,
    }];
    let mut push = |at: i64, step| out.push(Event { at, report, step });
    // Triage: most within the 7 working days, some late.
    let triage = mostly(rng, 0.9, 1..=8, 9..=16);
    let fate = rng.gen_range(0..100);
    if fate < 5 {
        push(after(rng, triage, &mut at), Step::Move(Status::Rejected));
        push(after(rng, 3..=15, &mut at), Step::Move(Status::Closed));
        return out;
    }
    if fate < 8 {
        push(after(rng, triage, &mut at), Step::Move(Status::Transferred));
        return out;
    }
    if fate < 16 {
        push(after(rng, triage.clone(), &mut at), Step::Move(Status::InfoRequested));
        if rng.gen_bool(0.4) {
            return out;
        }
        push(after(rng, 2..=10, &mut at), Step::Reply);
        push(after(rng, 1..=5, &mut at), Step::Move(Status::Accepted));
    } else {
        push(after(rng, triage, &mut at), Step::Move(Status::Accepted));
    }
    let accepted = at;
    // Notice of acceptance within 5 working days, mostly.
    let mut notice_at = at;
    let days = mostly(rng, 0.92, 1..=6, 7..=12);
    push(after(rng, days, &mut notice_at), Step::Tell);
    push(after(rng, 1..=4, &mut at), Step::Move(Status::Investigating));
    // Resolution: 30 days, extended when the work takes longer; a few overrun.
    let days = rng.gen_range(12..=88);
    let extended = days > 30 && rng.gen_bool(0.85);
    if extended {
        let kind = if days > 60 { "very_complex" } else { "complex" };
        push(accepted + rng.gen_range(20..=28) * DAY, Step::Extend(kind));
        if days > 60 {
            push(accepted + rng.gen_range(50..=58) * DAY, Step::Extend(kind));
        }
    }
    at = on_working_day(accepted + days * DAY);
    let conclusion = match rng.gen_range(0..100) {
        0..=39 => Status::Unsubstantiated,
        40..=74 => Status::Substantiated,
        _ => Status::PartiallySubstantiated,
    };
    push(at, Step::Move(conclusion));
    let concluded = at;
    let days = mostly(rng, 0.9, 1..=6, 7..=12);
    push(after(rng, days, &mut at), Step::Tell);
    if rng.gen_bool(0.7) {
        push(after(rng, 3..=20, &mut at), Step::Move(Status::Closed));
    }
    if conclusion == Status::Unsubstantiated {
        return out;
    }
    // The commendation: proposal within 30 days, decision within 60 of it, mostly.
    let mut at = concluded;
    let days = mostly(rng, 0.9, 3..=28, 31..=45);
    push(after(rng, days, &mut at), Step::Propose);
    let days = mostly(rng, 0.9, 5..=55, 61..=80);
    push(after(rng, days, &mut at), Step::Decide);
    match rng.gen_range(0..100) {
        0..=14 => {}
        15..=69 => {
            let reveal = rng.gen_bool(0.6);
            push(after(rng, 2..=30, &mut at), Step::Claim { reveal });
            push(after(rng, 3..=25, &mut at), Step::Pay);
        }
        70..=84 => {
            push(after(rng, 2..=30, &mut at), Step::Claim { reveal: true });
        }
        _ => push(after(rng, 2..=30, &mut at), Step::Decline),
    }
    out
}

/// What the demo knows of a report while replaying its history.
struct Filed {
    id: String,
    code: RetrievalCode,
    key: ReportKey,
    assignee: String,
    status: Status,
    file_key: Option<ReportKey>,
    recovered: i64,
    decided: Option<i64>,
}

/// Who acts, and what reports name, in the demo organisation.
struct Staffing {
    supervisor: String,
    officer: String,
    /// The organisation's town and communes (a report about the district itself would go to a team above).
    units: Vec<String>,
}

/// Fills `db` (which must hold no report yet) and calls `progress(done, total)` as it goes.
pub async fn fill(
    db: &Db,
    secret: &ServerSecret,
    options: &Options,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Summary, OpsError> {
    let pool = db.pool();
    // Never into a real deployment: demo accounts (an officer among them, with a printed password) would
    // receive its future reports and claims.
    for (table, what) in [("reports", "reports"), ("users", "staff accounts")] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let existing: i64 = sqlx::Row::try_get(&sqlx::query(&sql).fetch_one(pool).await?, "n")?;
        if existing > 0 {
            return Err(OpsError::Invalid(format!(
                "the database already holds {existing} {what}: the demo fills a new, empty one \
                 (point MINHBACH_DATA_DIR at a new directory)"
            )));
        }
    }
    let password = format!("demo-{}", &crypto::random_id()[..16]);
    let mut accounts = Vec::new();
    let mut ids = BTreeMap::new();
    for (username, role, home_unit) in ACCOUNTS {
        let new = NewUser {
            username,
            role,
            team: None,
            home_unit,
            password: &password,
        };
        let added = ops::user_add_by(db, secret, new, "demo").await?;
        ids.insert(username, added.id);
        accounts.push(Account {
            username,
            role,
            otpauth_uri: added.otpauth_uri,
        });
    }
    let staffing = Staffing {
        supervisor: ids["giamsat.demo"].clone(),
        officer: ids["thiduakt.demo"].clone(),
        units: store::units::list_units(pool)
            .await?
            .into_iter()
            .filter(|u| u.kind != "district")
            .map(|u| u.id)
            .collect(),
    };
    if staffing.units.is_empty() {
        return Err(OpsError::Invalid(
            "the organisation has no town or commune to report about".into(),
        ));
    }

    let mut rng = StdRng::seed_from_u64(options.seed);
    let now = store::now_millis();
    let mut events: Vec<Event> = Vec::new();
    for report in 0..options.reports {
        let received = now - rng.gen_range(0..240 * DAY);
        events.extend(script(&mut rng, report, on_working_day(received)));
    }
    events.retain(|e| e.at <= now);
    events.sort_by_key(|e| (e.at, e.report));

    let gate = KdfGate::for_this_machine();
    let mut filed: Vec<Option<Filed>> = (0..options.reports).map(|_| None).collect();
    let total = events.len() as u64;
    for (done, event) in events.iter().enumerate() {
        apply(db, &gate, &staffing, &mut rng, &mut filed, event).await?;
        progress(done as u64 + 1, total);
    }
    let escalated = crate::web::casework::escalate_overdue(db, now).await?;

    let mut sample_codes = BTreeMap::new();
    for report in filed.iter().flatten() {
        let commendation = stored::find(pool, &report.id).await?.map(|c| c.status);
        let label = match commendation {
            Some(state) => format!("{} / {state}", report.status.as_str()),
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

fn new_report(rng: &mut StdRng, units: &[String], received: i64) -> Result<NewReport, OpsError> {
    let category = Category::ALL[rng.gen_range(0..Category::ALL.len())];
    let incident = calendar::local_date(received - rng.gen_range(1..90) * DAY);
    let raw = RawReport {
        category: Some(category.id().to_owned()),
        unit: Some(units[rng.gen_range(0..units.len())].clone()),
        narrative: Some(NARRATIVES[rng.gen_range(0..NARRATIVES.len())].to_owned()),
        accused: rng
            .gen_bool(0.6)
            .then(|| "Cán bộ phụ trách (dữ liệu minh họa)".to_owned()),
        incident_date: rng.gen_bool(0.7).then(|| incident.to_string()),
        amount_vnd: rng
            .gen_bool(0.5)
            .then(|| (rng.gen_range(1..=500) * 1_000_000).to_string()),
    };
    NewReport::parse(&raw, |id| units.iter().any(|u| u == id), calendar::local_date(received))
        .map_err(|e| OpsError::Invalid(format!("demo report does not parse: {e:?}")))
}

fn reason_for(status: Status) -> &'static str {
    match status {
        Status::Accepted => "Đủ điều kiện thụ lý theo Điều 29 Luật Tố cáo.",
        Status::Rejected => "Nội dung không đủ thông tin để xác minh.",
        Status::Transferred => "Thuộc thẩm quyền của cơ quan khác; đã chuyển đơn.",
        Status::InfoRequested => "Đề nghị bạn cho biết thời gian và địa điểm cụ thể của sự việc.",
        Status::Investigating => "Thành lập tổ xác minh.",
        Status::Substantiated => "Kết luận: nội dung tố cáo là đúng.",
        Status::PartiallySubstantiated => "Kết luận: nội dung tố cáo đúng một phần.",
        Status::Unsubstantiated => "Kết luận: không có căn cứ.",
        Status::Closed | Status::Received => "Kết thúc hồ sơ.",
    }
}

fn message(report: &Filed, author: Author, text: &str, at: i64) -> StoredMessage {
    let id = crypto::random_id();
    StoredMessage {
        body: crypto::seal(&report.key, &[&report.id, "message", &id], text.as_bytes()),
        id,
        report_id: report.id.clone(),
        author,
        created_at: at,
    }
}

async fn apply(
    db: &Db,
    gate: &KdfGate,
    staffing: &Staffing,
    rng: &mut StdRng,
    filed: &mut [Option<Filed>],
    event: &Event,
) -> Result<(), OpsError> {
    let pool = db.pool();
    let at = event.at;
    if let Step::Submit = event.step {
        let report = new_report(rng, &staffing.units, at)?;
        let submitted = reporting::submit_at(db, gate, report, at)
            .await
            .map_err(|e| OpsError::Invalid(format!("demo report not stored: {e}")))?;
        let case = cases::find(pool, &submitted.id).await?;
        let assignee = case
            .and_then(|c| c.assignee_id)
            .unwrap_or_else(|| staffing.supervisor.clone());
        filed[event.report] = Some(Filed {
            id: submitted.id,
            code: submitted.code,
            key: submitted.key,
            assignee,
            status: Status::Received,
            file_key: None,
            recovered: 0,
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
            let note_id = crypto::random_id();
            let reason = reason_for(to);
            let sealed = crypto::seal(&report.key, &[&id, "note", &note_id], reason.as_bytes());
            let question = (to == Status::InfoRequested).then(|| message(report, Author::Staff, reason, at));
            let (opening, file_key) = if crate::domain::commendation::OPENING_CONCLUSIONS.contains(&to.as_str()) {
                let (opening, key) = commendations::opening_with_key(db, &report.key, &id).await?;
                (Some(opening), Some(key))
            } else {
                (None, None)
            };
            let moved = cases::transition(
                pool,
                &cases::Transition {
                    report_id: &id,
                    from: report.status.as_str(),
                    to: to.as_str(),
                    actor_id: &report.assignee,
                    at,
                    note_id: &note_id,
                    sealed_reason: &sealed,
                    message: question.as_ref(),
                    opening: opening.as_ref(),
                },
            )
            .await?;
            if moved {
                report.status = to;
                report.file_key = file_key.or(report.file_key.take());
            }
        }
        Step::Tell => {
            let text = "Cơ quan thanh tra thông báo kết quả xử lý ở bước hiện tại (dữ liệu minh họa).";
            store::messages::insert_message(pool, &message(report, Author::Staff, text, at), &report.assignee).await?;
        }
        Step::Reply => {
            let text = "Sự việc xảy ra vào buổi sáng tại bộ phận một cửa của xã.";
            store::messages::insert_message(pool, &message(report, Author::Reporter, text, at), "reporter").await?;
        }
        Step::Extend(kind) => {
            let note_id = crypto::random_id();
            let sealed = crypto::seal(
                &report.key,
                &[&id, "note", &note_id],
                "Vụ việc phức tạp, cần xác minh thêm.".as_bytes(),
            );
            let detail = serde_json::json!({ "stage": "resolution", "type": kind, "note": note_id }).to_string();
            let note = Some((note_id.as_str(), sealed.as_slice()));
            cases::add_event(pool, &id, "extension", &staffing.supervisor, at, &detail, note).await?;
        }
        Step::Propose => {
            let Some(file_key) = &report.file_key else {
                return Ok(());
            };
            report.recovered = if rng.gen_bool(0.3) {
                0
            } else {
                rng.gen_range(1..=3_000) * 1_000_000
            };
            let scheme = Scheme::active();
            let form = match scheme {
                Scheme::VnTtlt012015 => Some(["ministry_certificate", "pm_certificate"][rng.gen_range(0..2)]),
                _ => None,
            };
            let claim = Claim {
                recovered: report.recovered,
                form,
                bribe: false,
            };
            let proposal = reward::propose(scheme, &claim, calendar::local_date(at))
                .map_err(|e| OpsError::Invalid(e.to_string()))?;
            let evidence =
                commendations::seal_field(file_key, &id, "evidence", "Kết luận thanh tra số 00/KL-TTr (minh họa)");
            let record = ProposalRecord {
                recovered: report.recovered,
                bribe: None,
                evidence: &evidence,
                form,
                amount: proposal.amount,
                min: proposal.min,
                max: proposal.max,
            };
            stored::record_proposal(pool, &id, &record, &staffing.officer, at).await?;
            report.decided = Some(proposal.amount);
        }
        Step::Decide => {
            let (Some(file_key), Some(proposed)) = (&report.file_key, report.decided) else {
                return Ok(());
            };
            let Some(row) = stored::find(pool, &id).await? else {
                return Ok(());
            };
            let proposed_amount = row.proposed_amount;
            let form = row.proposed_form.unwrap_or_else(|| "money".into());
            let (form, amount, reason) = if rng.gen_bool(0.12) {
                (
                    "none".to_owned(),
                    0,
                    Some("Thông tin tố cáo không góp phần trực tiếp vào kết quả xử lý."),
                )
            } else {
                (form, proposed, None)
            };
            let sealed = reason.map(|r| commendations::seal_field(file_key, &id, "reason", r));
            let state = if amount == 0 && form == "none" {
                "no_reward"
            } else {
                "decided"
            };
            let record = DecisionRecord {
                state,
                form: &form,
                proposed_amount,
                amount,
                reason: sealed.as_deref(),
            };
            stored::record_decision(pool, &id, &record, &staffing.officer, at).await?;
            report.decided = (state == "decided").then_some(amount);
        }
        Step::Claim { .. } | Step::Decline => {
            let Some(stored_report) = store::reports::find_by_id(pool, &id).await? else {
                return Ok(());
            };
            let opened = Opened::with_key(stored_report, report.key.clone());
            let identity = matches!(event.step, Step::Claim { reveal: true }).then(|| Identity {
                name: Some("Người tố cáo (dữ liệu minh họa)".into()),
                payment: Some("Nhận trực tiếp tại Thanh tra huyện".into()),
                ..Identity::default()
            });
            let accept = matches!(event.step, Step::Claim { .. });
            // A claim on a reward that was not decided (no reward) is refused, as it would be live.
            let _ = commendations::answer_at(db, &opened, accept, identity.as_ref(), at).await;
        }
        Step::Pay => {
            let (Some(file_key), Some(amount)) = (&report.file_key, report.decided) else {
                return Ok(());
            };
            let reference =
                commendations::seal_field(file_key, &id, "payment_reference", "Ủy nhiệm chi số 00 (minh họa)");
            let Some(claimed_at) = stored::find(pool, &id).await?.and_then(|row| row.claimed_at) else {
                return Ok(());
            };
            stored::record_payment(pool, &id, claimed_at, amount, &reference, &staffing.officer, at).await?;
        }
    }
    Ok(())
}
