//! A flood of anonymous submissions: every answer is `201` or `503` with `Retry-After`, no connection is
//! refused, exactly the acknowledged reports are stored, and staff still sign in and read their queue. A
//! short run here; `cargo bench --bench flood` runs the full one (128 clients, 30 s) and its figures are in
//! `docs/benchmarks.md`.

use std::time::Duration;

use crate::flood::{add_inspectors, flood, percentile};
use crate::server::{opens, Deployment};
use crate::{figure, fresh_database};

#[test]
fn a_flood_gets_201_or_503_with_retry_after_and_staff_still_work() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database_url = fresh_database();
    let mut deployment = Deployment::new(&dir.path().join("data"), database_url.clone());
    // A short queue, so that 32 clients certainly overflow it.
    deployment.env.push(("MINHBACH_KDF_QUEUE".into(), "2".into()));
    let staff = add_inspectors(&deployment, 4);
    let server = deployment.serve();
    let seen = flood(&server, staff, 32, Duration::from_secs(8));
    figure!(
        "flood, 32 clients for {:.1} s: {:.1} accepted/s, {:.1} refused/s (503 + Retry-After), {} other, {} \
         connection errors; staff sign-in p95 {:.0} ms ({} sign-ins), queue page p95 {:.0} ms ({}); peak RSS {} MiB",
        seen.seconds,
        seen.accepted as f64 / seen.seconds,
        seen.refused as f64 / seen.seconds,
        seen.other.len(),
        seen.connection_errors,
        percentile(&seen.sign_in_ms, 0.95),
        seen.sign_in_ms.len(),
        percentile(&seen.queue_ms, 0.95),
        seen.queue_ms.len(),
        seen.peak_rss_kib / 1024
    );
    assert_eq!(seen.other, Vec::<u16>::new(), "only 201 and 503");
    assert_eq!(seen.connection_errors, 0);
    assert_eq!(seen.refused_without_retry_after, 0);
    assert!(seen.accepted > 0 && seen.refused > 0, "{seen:?}");
    assert_eq!(seen.codes.len(), seen.accepted);
    assert!(
        !seen.sign_in_ms.is_empty() && !seen.queue_ms.is_empty(),
        "staff worked during the flood"
    );
    // Exactly the acknowledged reports were stored, and their codes open them.
    let stored = deployment.count_reports();
    assert_eq!(stored, seen.accepted as i64, "refused submissions stored nothing");
    for code in seen.codes.iter().step_by((seen.codes.len() / 20).max(1)) {
        assert!(opens(&server.base, code), "{code} opens its report");
    }
}
