//! The browser suite: every journey of every audience, in Chromium and in Firefox ESR with JavaScript off,
//! against the real server binary; every request the browsers make counted by a loopback proxy, cross-site
//! attempts from a second site, and a screenshot of every page under `target/e2e/<browser>/`.
//!
//! `cargo test --test browser -- --nocapture` runs it alone. A missing browser or driver is skipped with a
//! line saying so, except under `CI=true`, where it fails.

#![recursion_limit = "256"]

mod browser;
#[path = "../common/ci.rs"]
mod ci;
mod harness;
mod journeys;
#[path = "../common/postgres.rs"]
mod postgres;
mod text;

use browser::Kind;
use journeys::{Outcome, JOURNEYS};

/// Prints past the test harness's capture, so that `cargo test` shows the tally and any skip.
macro_rules! say {
    () => { say!("") };
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

use ci::in_ci;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_journey_in_real_browsers_with_javascript_off() {
    let mut runs = vec![];
    let mut skipped = vec![];
    for kind in [Kind::Chromium, Kind::Firefox] {
        match kind.programs() {
            Ok((browser, driver)) => runs.push(tokio::spawn(journeys::run(kind, browser, driver))),
            Err(why) if in_ci() => panic!("{}: {why} (CI=true: the browser suite must run)", kind.name()),
            Err(why) => {
                say!("skipped: {why}");
                skipped.push(kind);
            }
        }
    }
    let mut outcomes: Vec<Outcome> = vec![];
    for run in runs {
        outcomes.push(run.await.expect("a browser run ends"));
    }
    tally(&outcomes, &skipped);
    for outcome in &outcomes {
        let name = outcome.kind.name();
        if let Some(failure) = &outcome.failure {
            panic!("{name}: {failure}");
        }
        assert_eq!(outcome.passed, JOURNEYS.to_vec(), "{name}: journeys passed");
        let (_, foreign) = page_requests(outcome);
        assert!(
            foreign.is_empty(),
            "{name}: the pages made requests elsewhere: {foreign:?}"
        );
        assert_eq!(
            outcome.screenshots, outcome.pages,
            "{name}: a screenshot for every page visited"
        );
        assert_eq!(
            outcome.cross_site_attempts, 9,
            "{name}: cross-site posts that reached the app"
        );
        assert_eq!(
            outcome.cross_site_changes, 0,
            "{name}: state changed by cross-site posts"
        );
        assert_eq!(
            outcome.posts_own_origin + outcome.cross_site_attempts,
            outcome.posts,
            "{name}: every form post of the app's own pages names the app's origin"
        );
        assert!(
            outcome.control_changes > 0,
            "{name}: the same-origin control changed nothing"
        );
    }
}

/// The requests the pages made and the foreign ones among them. For Chromium, its performance log (the
/// proxy also sees Chromium's own services, which no page asks for); for Firefox, whose background
/// services are switched off, everything the proxy saw.
fn page_requests(o: &Outcome) -> (usize, Vec<String>) {
    match &o.page_requests {
        Some(all) => (all.len(), o.page_foreign.clone()),
        None => (
            o.requests.len(),
            o.foreign
                .iter()
                .map(|s| format!("{} {}{}", s.method, s.host, s.path))
                .collect(),
        ),
    }
}

fn tally(outcomes: &[Outcome], skipped: &[Kind]) {
    say!();
    say!("browser suite tally");
    for o in outcomes {
        let (requests, foreign) = page_requests(o);
        say!(
            "  {:<9} journeys passed {}/{}  pages visited {}  screenshots {}  requests by the pages {}  foreign {}  \
             form posts {} (Origin this site: {})  cross-site attempts {}  state changes {}  \
             same-origin control changes {}{}",
            o.kind.name(),
            o.passed.len(),
            JOURNEYS.len(),
            o.pages,
            o.screenshots,
            requests,
            foreign.len(),
            o.posts,
            o.posts_own_origin,
            o.cross_site_attempts,
            o.cross_site_changes,
            o.control_changes,
            o.failure.as_ref().map(|_| "  FAILED").unwrap_or_default()
        );
        if o.page_requests.is_some() {
            let mut hosts: Vec<&str> = o.foreign.iter().map(|s| s.host.as_str()).collect();
            hosts.sort();
            hosts.dedup();
            say!(
                "  {:<9} the browser's own services, refused by the proxy: {} requests ({})",
                o.kind.name(),
                o.foreign.len(),
                hosts.join(", ")
            );
        }
        if let Some(failure) = &o.failure {
            say!(
                "  {:<9} failed: {}",
                o.kind.name(),
                failure.lines().take(12).collect::<Vec<_>>().join("\n    ")
            );
        }
    }
    for kind in skipped {
        say!("  {:<9} skipped", kind.name());
    }
    let passed: usize = outcomes.iter().map(|o| o.passed.len()).sum();
    say!(
        "  journeys x browsers passed: {passed} of {} ({} x 2)",
        JOURNEYS.len() * 2,
        JOURNEYS.len()
    );
    say!(
        "  pages visited {}, screenshots written {}, requests seen {}, foreign requests {}, cross-site attempts {}, state changes {}",
        outcomes.iter().map(|o| o.pages).sum::<usize>(),
        outcomes.iter().map(|o| o.screenshots).sum::<usize>(),
        outcomes.iter().map(|o| page_requests(o).0).sum::<usize>(),
        outcomes.iter().map(|o| page_requests(o).1.len()).sum::<usize>(),
        outcomes.iter().map(|o| o.cross_site_attempts).sum::<usize>(),
        outcomes.iter().map(|o| o.cross_site_changes).sum::<usize>(),
    );
    say!();
}
