//! Row 18: Schemathesis, from PyPI, generates requests from the published OpenAPI document
//! (`/api/v1/openapi.json`) against the real server: reporter and catalogue calls signed out, case calls
//! signed in as a supervisor (who may make all of them), commendation calls as an officer, sign-in calls
//! with made-up credentials. Every request and answer is kept in a HAR file; the figure is read from it:
//! R requests, 0 answers 5xx. Then the server must still be running and answering.
//!
//! Without the `schemathesis` command this test says it was skipped (`pip install schemathesis`); under
//! CI it fails instead (`.ci/run` installs it).

use std::path::Path;
use std::process::Command;

use crate::ci::skip;
use crate::server::Deployment;
use crate::{figure, fresh_database};

/// Examples per operation and phase (Schemathesis' own default is 100; the run takes about a minute per
/// 25 with a debug build). `MINHBACH_SCHEMATHESIS_EXAMPLES` sets another.
fn examples() -> String {
    std::env::var("MINHBACH_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "25".into())
}

/// One Schemathesis run over the operations of `tag` in `schema` (a URL or a file), with `cookie` if any;
/// it writes every request and answer to `har`.
fn run(schema: &str, base: &str, tag: &str, cookie: Option<&str>, har: &Path) -> std::process::Output {
    let mut command = Command::new("schemathesis");
    command
        .args(["run", schema])
        .args(["--url", base])
        .args(["--include-tag", tag])
        // Signing out would end the session the rest of the run uses.
        .args(["--exclude-method", "DELETE"])
        .args(["--checks", "not_a_server_error"])
        .args(["--max-examples", &examples()])
        .args(["--phases", "examples,coverage,fuzzing"])
        // One worker: the reporters' derivation queue (8 per worker) never fills, so a 503 would be a bug.
        .args(["--workers", "1"])
        .args(["--seed", "2026"])
        .args(["--report", "har", "--report-har-path"])
        .arg(har)
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .env("NO_COLOR", "1");
    if let Some(cookie) = cookie {
        command.args(["--header", &format!("Cookie: {cookie}")]);
    }
    command.output().expect("schemathesis runs")
}

/// (requests, answers 5xx, statuses seen) in a HAR file.
fn har_figures(har: &Path) -> (usize, usize, std::collections::BTreeMap<u64, usize>) {
    let text = std::fs::read_to_string(har).unwrap_or_else(|e| panic!("{}: {e}", har.display()));
    let har: serde_json::Value = serde_json::from_str(&text).expect("a HAR file");
    let entries = har["log"]["entries"].as_array().cloned().unwrap_or_default();
    let mut statuses = std::collections::BTreeMap::new();
    for entry in &entries {
        let status = entry["response"]["status"].as_u64().unwrap_or(0);
        *statuses.entry(status).or_insert(0) += 1;
    }
    let server_errors = statuses
        .iter()
        .filter(|(s, _)| **s >= 500 || **s == 0)
        .map(|(_, n)| n)
        .sum();
    (entries.len(), server_errors, statuses)
}

#[test]
fn schemathesis_finds_no_server_error_in_the_json_api() {
    if Command::new("schemathesis").arg("--version").output().is_err() {
        return skip("the schemathesis command is missing (pip install schemathesis)");
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let deployment = Deployment::new(&dir.path().join("data"), fresh_database());
    let mut supervisor = deployment.add_staff("giam.sat", "supervisor");
    let mut officer = deployment.add_staff("thi.dua", "officer");
    deployment.add_staff("thanh.tra", "inspector");
    let server = deployment.serve();
    // Something to find: a few reports in the queues.
    for i in 0..3 {
        crate::server::submit(&server.base, i).expect("a report");
    }
    let (supervisor_cookie, _) = supervisor.sign_in(&server.base).expect("the supervisor signs in");
    let (officer_cookie, _) = officer.sign_in(&server.base).expect("the officer signs in");

    let runs = [
        ("catalogue", None),
        ("reporter", None),
        ("session", None),
        ("cases", Some(supervisor_cookie.as_str())),
        ("commendations", Some(officer_cookie.as_str())),
    ];
    let (mut requests, mut server_errors, mut failed) = (0, 0, Vec::new());
    let mut all_statuses = std::collections::BTreeMap::new();
    for (tag, cookie) in runs {
        let har = dir.path().join(format!("{tag}.har"));
        let out = run(
            &format!("{}/api/v1/openapi.json", server.base),
            &server.base,
            tag,
            cookie,
            &har,
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let (n, errors, statuses) = har_figures(&har);
        eprintln!("schemathesis {tag}: {n} requests, {errors} server errors, statuses {statuses:?}");
        if !out.status.success() || errors > 0 {
            failed.push(format!(
                "{tag}: exit {:?}\n{stdout}\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        assert!(n > 0, "{tag}: no request was made\n{stdout}");
        requests += n;
        server_errors += errors;
        for (status, count) in statuses {
            *all_statuses.entry(status).or_insert(0) += count;
        }
    }
    // The control: over a document naming the test build's panicking route, the same run and the same
    // reading of its HAR file find the 500s, and Schemathesis fails.
    let control_doc = dir.path().join("control.json");
    let control = serde_json::json!({
        "openapi": "3.1.0",
        "info": { "title": "control", "version": "1" },
        "paths": { "/api/v1/test-hooks/panic": { "get": { "tags": ["control"], "operationId": "panic",
            "responses": { "200": { "description": "never" } } } } }
    });
    std::fs::write(&control_doc, control.to_string()).expect("control document");
    let har = dir.path().join("control.har");
    let out = run(&control_doc.display().to_string(), &server.base, "control", None, &har);
    let (n, control_errors, _) = har_figures(&har);
    assert!(
        !out.status.success() && control_errors > 0,
        "the control: {n} requests, {control_errors} 5xx"
    );

    // The server is still up and answering.
    let alive = ureq::get(&server.base).call().map(|r| r.status()).unwrap_or(0);
    figure!(
        "row 18: Schemathesis, {requests} generated requests over the OpenAPI document (5 runs), {server_errors} \
         answers 5xx, statuses {all_statuses:?}; the server still answers: {alive}; the control (a panicking \
         route): {control_errors} answers 5xx found"
    );
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    assert_eq!(server_errors, 0);
    assert_eq!(alive, 200);
    assert!(
        all_statuses.keys().any(|s| (200..300).contains(s)),
        "some requests succeeded"
    );
}
