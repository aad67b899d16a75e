//! The simulated history of the demo's reports: what happens to each, and when (in office hours on working
//! days), drawn from a seeded generator; and what each report and each step says.

use rand::rngs::StdRng;
use rand::Rng;
use time::Weekday;

use crate::domain::calendar;
use crate::domain::{Category, RawReport, Status};

pub(super) const NARRATIVES: [&str; 8] = [
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
pub(super) enum Step {
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

pub(super) struct Event {
    pub(super) at: i64,
    pub(super) report: usize,
    pub(super) step: Step,
}

pub(super) const DAY: i64 = 86_400_000;

/// Moves a time into office hours (08:00–17:00 in Vietnam) on a weekday: staff act on working days.
pub(super) fn on_working_day(at: i64) -> i64 {
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

pub(super) type Days = std::ops::RangeInclusive<i64>;

/// Advances `at` by a number of days drawn from `days` (and some working hours); returns the new time.
pub(super) fn after(rng: &mut StdRng, days: Days, at: &mut i64) -> i64 {
    *at = on_working_day(*at + rng.gen_range(days) * DAY + rng.gen_range(0..8 * 3_600_000));
    *at
}

/// `usual` with probability `p`, else `late`.
pub(super) fn mostly(rng: &mut StdRng, p: f64, usual: Days, late: Days) -> Days {
    if rng.gen_bool(p) {
        usual
    } else {
        late
    }
}

/// The history of one report received at `received`, as steps after it (times may pass `now`; those are
/// dropped later, so a history in progress ends where the present is).
pub(super) fn script(rng: &mut StdRng, report: usize, received: i64) -> Vec<Event> {
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
    commendation(rng, concluded, &mut push);
    out
}

/// The commendation after a substantiated conclusion: proposal within 30 days, decision within 60 of it,
/// mostly; then a claim and payment, a claim only, a refusal, or nothing.
fn commendation(rng: &mut StdRng, concluded: i64, push: &mut impl FnMut(i64, Step)) {
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
}

pub(super) fn new_report(rng: &mut StdRng, units: &[String], received: i64) -> RawReport {
    let category = Category::ALL[rng.gen_range(0..Category::ALL.len())];
    let incident = calendar::local_date(received - rng.gen_range(1..90) * DAY);
    RawReport {
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
    }
}

pub(super) fn reason_for(status: Status) -> &'static str {
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
