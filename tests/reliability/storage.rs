//! Storage faults at the disk (row 2, row 25): the SQLite files made immutable (writes refused by the
//! kernel), the disk full (a small filesystem), the database file removed, PostgreSQL stopped and started.
//! Each fault is injected under a running server; each submission meanwhile must end in `503` (no code) or
//! `201` for a report that is really stored, never anything else; and once storage is back the next
//! submission is taken. Faults that need root (`chattr`, `mount`) are skipped without it, except under
//! `CI=true`, where the suite must run them.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::ci::skip;
use crate::server::{report_body, Deployment, Server};
use crate::{figure, fresh_database};

/// The number of failures each fault must produce.
const FAILURES: usize = 20;

fn sh(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What one submission got.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Stored(String),
    Unavailable,
    Other(u16, String),
}

const SECURITY_HEADERS: [&str; 5] = [
    "Content-Security-Policy",
    "Cache-Control",
    "Referrer-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
];

fn submit(server: &Server, i: usize) -> Answer {
    match ureq::post(&format!("{}/api/v1/reports", server.base))
        .timeout(Duration::from_secs(60))
        .send_json(report_body(i))
    {
        Ok(r) if r.status() == 201 => {
            let body: serde_json::Value = r.into_json().unwrap_or_default();
            Answer::Stored(body["code"].as_str().unwrap_or_default().to_owned())
        }
        Ok(r) => Answer::Other(r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(503, r)) => {
            for name in SECURITY_HEADERS {
                assert!(r.header(name).is_some(), "the 503 carries {name}");
            }
            let body = r.into_string().unwrap_or_default();
            assert!(body.contains("storage_unavailable"), "{body}");
            Answer::Unavailable
        }
        Err(ureq::Error::Status(status, r)) => Answer::Other(status, r.into_string().unwrap_or_default()),
        Err(e) => Answer::Other(0, e.to_string()),
    }
}

/// Submits until `FAILURES` answers were 503 (at most 10× as many tries): the codes of those stored
/// meanwhile, and the number refused.
fn during_fault(server: &Server, from: usize) -> (Vec<String>, usize) {
    let (mut stored, mut refused) = (Vec::new(), 0);
    // Ten at a time: a PostgreSQL that is down costs each request the pool's connect timeout.
    for batch in 0..FAILURES {
        let answers: Vec<Answer> = std::thread::scope(|scope| {
            let tries: Vec<_> = (0..10)
                .map(|j| scope.spawn(move || submit(server, from + batch * 10 + j)))
                .collect();
            tries.into_iter().map(|t| t.join().expect("a client")).collect()
        });
        for answer in answers {
            match answer {
                Answer::Stored(code) => stored.push(code),
                Answer::Unavailable => refused += 1,
                Answer::Other(status, body) => panic!("during the fault: {status} {body}"),
            }
        }
        if refused >= FAILURES {
            break;
        }
    }
    (stored, refused)
}

/// One fault: inject, submit through it, repair, and check what was stored.
fn through(name: &str, deployment: &Deployment, server: Server, inject: impl FnOnce(), repair: impl FnOnce()) {
    assert!(
        matches!(submit(&server, 0), Answer::Stored(_)),
        "{name}: a report is taken before the fault"
    );
    inject();
    let (stored, refused) = during_fault(&server, 1);
    repair();
    let after = submit(&server, 10_000);
    let after_ok = matches!(after, Answer::Stored(_));
    // Counted as the next start finds them: the server killed, the database opened afresh.
    server.kill();
    let rows = deployment.count_reports();
    figure!(
        "{name}: {refused} submissions refused with 503 (no code shown), {} stored during the fault; rows = {rows} \
         = 1 before + {} + 1 after; the next submission after repair: {}",
        stored.len(),
        stored.len(),
        if after_ok { "201" } else { "refused" }
    );
    assert!(refused >= FAILURES, "{name}: the fault was felt");
    assert!(after_ok, "{name}: served again after repair: {after:?}");
    assert_eq!(
        rows,
        2 + stored.len() as i64,
        "{name}: only reports whose code was shown are stored"
    );
}

#[test]
fn sqlite_files_made_read_only_at_the_disk() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"x").expect("a probe file");
    if !sh("chattr", &["+i", probe.to_str().unwrap()]) {
        return skip("chattr +i does not work here (needs root and ext4/xfs)");
    }
    sh("chattr", &["-i", probe.to_str().unwrap()]);
    if fresh_database().is_some() {
        return eprintln!("skipped on PostgreSQL: a SQLite fault");
    }
    let deployment = Deployment::new(&dir.path().join("data"), None);
    let server = deployment.serve();
    let files: Vec<String> = ["minhbach.db", "minhbach.db-wal"]
        .iter()
        .map(|f| deployment.data_dir.join(f).display().to_string())
        .collect();
    let set = |flag: &str| {
        for file in &files {
            assert!(sh("chattr", &[flag, file]), "chattr {flag} {file}");
        }
    };
    through("read-only (chattr +i)", &deployment, server, || set("+i"), || set("-i"));
}

/// A small filesystem of its own, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl Drop for SmallDisk {
    fn drop(&mut self) {
        sh("umount", &["-l", self.0.to_str().unwrap()]);
    }
}

#[test]
fn sqlite_on_a_full_disk() {
    if fresh_database().is_some() {
        return eprintln!("skipped on PostgreSQL: a SQLite fault");
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mount = dir.path().join("disk");
    std::fs::create_dir(&mount).expect("a mount point");
    if !sh(
        "mount",
        &["-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.to_str().unwrap()],
    ) {
        return skip("cannot mount a small filesystem (needs root)");
    }
    let _disk = SmallDisk(mount.clone());
    let deployment = Deployment::new(&mount.join("data"), None);
    let server = deployment.serve();
    let filler = mount.join("filler");
    let fill = || {
        // Until the filesystem refuses another byte.
        let mut file = std::fs::File::create(&filler).expect("a filler file");
        let block = vec![0u8; 64 * 1024];
        while std::io::Write::write_all(&mut file, &block).is_ok() {}
        let _ = std::io::Write::write_all(&mut file, &[0u8; 512]);
    };
    through("disk full (8 MiB filesystem)", &deployment, server, fill, || {
        std::fs::remove_file(&filler).expect("the filler goes")
    });
}

#[test]
fn sqlite_database_file_removed_then_restored_from_a_backup() {
    if fresh_database().is_some() {
        return eprintln!("skipped on PostgreSQL: a SQLite fault");
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let deployment = Deployment::new(&dir.path().join("data"), None);
    let server = deployment.serve();
    let db = deployment.data_dir.join("minhbach.db");
    let backup = dir.path().join("backup");
    let remove = || {
        // The operator's last backup, then the mistake: `rm` of the database file under the running server.
        let out = deployment.run(&["backup", "--to", backup.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::remove_file(&db).expect("removed");
    };
    let restore = || {
        // Storage back: the backup's copy in place of the file, without the removed file's WAL.
        for stale in ["minhbach.db-wal", "minhbach.db-shm"] {
            let _ = std::fs::remove_file(deployment.data_dir.join(stale));
        }
        std::fs::copy(backup.join("minhbach.db"), &db).expect("put back");
    };
    through(
        "database file removed, then restored from a backup",
        &deployment,
        server,
        remove,
        restore,
    );
}

/// A PostgreSQL cluster of the test's own (so that stopping it disturbs no other test), removed when dropped.
struct Cluster {
    bin: std::path::PathBuf,
    data: std::path::PathBuf,
    options: String,
    log: String,
    _dir: tempfile::TempDir,
}

impl Cluster {
    fn pg_ctl(&self, args: &[&str]) -> bool {
        let mut all = vec!["-D", self.data.to_str().unwrap()];
        all.extend_from_slice(args);
        as_postgres(&self.bin.join("pg_ctl"), &all)
    }

    fn start(&self) -> bool {
        self.pg_ctl(&["-o", &self.options, "-l", &self.log, "start", "-w"])
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
    }
}

/// Runs a PostgreSQL tool, as the `postgres` user when this is root (initdb and pg_ctl refuse root).
fn as_postgres(tool: &Path, args: &[&str]) -> bool {
    let root = rustix::process::geteuid().is_root();
    let mut command = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(tool);
        c
    } else {
        Command::new(tool)
    };
    command.args(args).current_dir("/");
    command.output().is_ok_and(|o| o.status.success())
}

fn start_cluster() -> Result<(Cluster, String), String> {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no PostgreSQL server in /usr/lib/postgresql".to_owned())?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").is_file())
        .max()
        .ok_or("no initdb in /usr/lib/postgresql/*/bin")?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    if rustix::process::geteuid().is_root() && !sh("chown", &["postgres", dir.path().to_str().unwrap()]) {
        return Err("cannot hand a directory to the postgres user".into());
    }
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let sockets = dir.path().to_str().unwrap().to_owned();
    let cluster = Cluster {
        bin: bin.clone(),
        data: data.clone(),
        options: format!("-p {port} -k {sockets} -c listen_addresses=127.0.0.1"),
        log: format!("{sockets}/log"),
        _dir: dir,
    };
    if !as_postgres(
        &bin.join("initdb"),
        &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "postgres"],
    ) {
        return Err("initdb failed".into());
    }
    if !cluster.start() {
        return Err("the cluster did not start".into());
    }
    Ok((cluster, format!("postgres://postgres@127.0.0.1:{port}/postgres")))
}

#[test]
fn postgresql_stopped_and_started_again() {
    if fresh_database().is_none() {
        return eprintln!("skipped on SQLite: this fault runs in the PostgreSQL run (TEST_DATABASE_URL)");
    }
    let (cluster, url) = match start_cluster() {
        Ok(started) => started,
        Err(why) => return skip(&why),
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let deployment = Deployment::new(&dir.path().join("data"), Some(url));
    let server = deployment.serve();
    through(
        "PostgreSQL stopped, then started",
        &deployment,
        server,
        || assert!(cluster.pg_ctl(&["stop", "-m", "fast", "-w"]), "stopped"),
        || assert!(cluster.start(), "started"),
    );
}
