//! Row 3: a backup taken while clients submit, restored into a new data directory (or database): every code
//! acknowledged before the backup started opens its report afterwards.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::server::{opens, submit, Deployment};
use crate::{figure, fresh_database};

#[test]
fn a_backup_under_load_restores_every_code_acknowledged_before_it_started() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let live = Deployment::new(&dir.path().join("live"), fresh_database());
    let server = live.serve();
    // Four clients submit for the whole test; each acknowledged code is kept with when it was shown.
    let acknowledged: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let (stop, next) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (base, acknowledged, stop, next) =
                (server.base.clone(), acknowledged.clone(), stop.clone(), next.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(code) = submit(&base, next.fetch_add(1, Ordering::Relaxed)) {
                        acknowledged.lock().unwrap().push((Instant::now(), code));
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 40 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    let target = dir.path().join("backup");
    let output = live.run(&["backup", "--to", target.to_str().unwrap()]);
    let finished = Instant::now();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // A few more acknowledgements after the backup: they must not be in it (the check can fail).
    let after = acknowledged.lock().unwrap().len() + 8;
    while acknowledged.lock().unwrap().len() < after {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    clients.into_iter().for_each(|c| c.join().expect("a client"));
    server.kill();

    let restored = Deployment::new(&dir.path().join("restored"), fresh_database());
    // The backup holds no secret.key (kept apart by default): without the operator's copy the restore is
    // refused, since nobody could sign in afterwards; with it, it goes ahead.
    let refused = restored.run(&["restore", "--from", target.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("secret.key"));
    std::fs::create_dir_all(&restored.data_dir).expect("the new data directory");
    std::fs::copy(live.data_dir.join("secret.key"), restored.data_dir.join("secret.key")).expect("the custody copy");
    let clock = Instant::now();
    let output = restored.run(&["restore", "--from", target.to_str().unwrap()]);
    let rto = clock.elapsed();
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains("the chain is intact") && said.contains("(the manifest's)"),
        "{said}"
    );

    let server = restored.serve();
    let all = acknowledged.lock().unwrap().clone();
    let before: Vec<&String> = all.iter().filter(|(at, _)| *at < started).map(|(_, c)| c).collect();
    let later: Vec<&String> = all.iter().filter(|(at, _)| *at > finished).map(|(_, c)| c).collect();
    let opened = before.iter().filter(|code| opens(&server.base, code)).count();
    let leaked = later.iter().filter(|code| opens(&server.base, code)).count();
    figure!(
        "backup under 4 submitting clients: {opened} of {} codes acknowledged before the backup open after restore; \
         restore took {:.2} s (RTO), the backup {:.2} s",
        before.len(),
        rto.as_secs_f64(),
        (finished - started).as_secs_f64()
    );
    assert_eq!(opened, before.len(), "every code acknowledged before the backup opens");
    assert!(!later.is_empty());
    assert_eq!(leaked, 0, "codes shown after the backup ended are not in it");
}
