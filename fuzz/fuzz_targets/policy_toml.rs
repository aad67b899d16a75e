//! Fuzzes the policy loader `domain::policy::Policy::parse`: a deployment may load its own policy file
//! (`policy_file` in the settings), so a malformed one must be refused with an error, not crash the server
//! at start or later. A policy that loads must give an answer for every due date: `Policy::due` for each
//! of its stages, from two fixed days (a Monday, and the last day of a year for month arithmetic), with no
//! extension and with each of its extension types. A due date that comes back lies after its start and
//! ends on a working day; with an extension it is no earlier than without.

#![no_main]

use libfuzzer_sys::fuzz_target;
use minhbach::domain::calendar::local_date;
use minhbach::domain::policy::{Policy, Stage};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::parse(text) else {
        return;
    };
    let starts = [
        local_date(1_772_416_800_000), // Monday 2 March 2026, in Vietnam.
        local_date(1_798_682_400_000), // Thursday 31 December 2026.
    ];
    for stage in Stage::ALL {
        let Ok(rule) = policy.stage(stage) else {
            continue;
        };
        let kinds: Vec<&str> = rule.extensions.keys().map(String::as_str).collect();
        for start in starts {
            let Ok(plain) = policy.due(stage, start, &[]) else {
                continue;
            };
            assert!(plain > start, "{stage} from {start} due on {plain}");
            assert!(
                policy.calendar().is_working_day(plain),
                "{stage} due on a day off, {plain}"
            );
            for kind in &kinds {
                if let Ok(extended) = policy.due(stage, start, &[kind]) {
                    assert!(
                        extended >= plain,
                        "{stage} extended by {kind}: {extended} before {plain}"
                    );
                }
            }
        }
    }
});
