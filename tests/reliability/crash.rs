//! Row 1, a short run: 8 clients submitting reports and messages, the server killed with SIGKILL at 12
//! random moments. `cargo bench --bench crash` runs the full loop (50 kills, N ≥ 2 000).

use crate::crash::crash_loop;
use crate::server::Deployment;
use crate::{figure, fresh_database};

#[test]
fn no_acknowledged_report_or_message_is_lost_across_kill_9() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let deployment = Deployment::new(&dir.path().join("data"), fresh_database());
    let seen = crash_loop(&deployment, 12, 8, (300, 1200), 2026);
    figure!(
        "crash loop: {} reports and {} messages acknowledged, {} lost, {} kills, {}/{} integrity ok; audit verify: {}",
        seen.reports,
        seen.messages,
        seen.lost.len(),
        seen.kills,
        seen.integrity_ok,
        seen.kills,
        seen.audit_said
    );
    assert!(seen.reports > 0 && seen.messages > 0, "the clients got through");
    assert!(
        seen.control_caught,
        "a code never submitted is found missing (the check can fail)"
    );
    assert_eq!(
        seen.lost,
        Vec::<String>::new(),
        "every acknowledged code opens with its messages"
    );
    assert_eq!(seen.integrity_ok, seen.kills);
    assert!(seen.audit_ok, "{}", seen.audit_said);
}
