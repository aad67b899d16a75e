//! The operator's calculators, run as the real binary.

use std::process::Command;

use serde_json::Value;

fn run(args: &[&str]) -> (bool, Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_minhbach"))
        .args(args)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (
        output.status.success(),
        serde_json::from_str(stdout.trim()).unwrap_or(Value::Null),
        stderr,
    )
}

#[test]
fn the_deadline_calculator_prints_the_due_date_as_json() {
    let (ok, json, _) = run(&[
        "deadline",
        "--policy",
        "vn-2018",
        "--stage",
        "triage",
        "--from",
        "2026-02-13",
    ]);
    assert!(ok);
    assert_eq!(json["due"], "2026-03-03", "across Tết 2026");
    assert_eq!(json["policy"], "vn-2018");
    assert!(json["rule"].as_str().unwrap_or_default().contains("Điều 24"));
    let (ok, json, _) = run(&[
        "deadline",
        "--stage",
        "resolution",
        "--from",
        "2026-03-02",
        "--extension",
        "very_complex",
        "--extension",
        "very_complex",
    ]);
    assert!(ok);
    assert_eq!(json["due"], "2026-06-01");
    let (ok, _, error) = run(&[
        "deadline",
        "--stage",
        "resolution",
        "--from",
        "2026-03-02",
        "--extension",
        "complex",
        "--extension",
        "complex",
    ]);
    assert!(!ok);
    assert!(error.contains("at most 1"), "{error}");
    let (ok, _, error) = run(&["deadline", "--stage", "triage", "--from", "13/02/2026"]);
    assert!(!ok && error.contains("not a date"), "{error}");
}

#[test]
fn the_reward_calculator_prints_an_integer_amount() {
    let (ok, json, _) = run(&[
        "reward",
        "--scheme",
        "vn_ttlt_01_2015",
        "--recovered",
        "1406340000",
        "--form",
        "ministry_certificate",
        "--date",
        "2026-11-26",
    ]);
    assert!(ok);
    assert_eq!(json["amount"], 140_634_000);
    assert_eq!(json["base_salary"], 2_340_000);
    let (ok, json, _) = run(&["reward", "--scheme", "us_sec", "--recovered", "2000000"]);
    assert!(ok);
    assert_eq!(
        (json["min"].as_i64(), json["max"].as_i64()),
        (Some(200_000), Some(600_000))
    );
    let (ok, json, _) = run(&["reward", "--scheme", "kr_acrc", "--recovered", "500000000"]);
    assert!(ok);
    assert_eq!(json["amount"], 110_000_000);
    let (ok, _, error) = run(&["reward", "--scheme", "vn_ttlt_01_2015", "--recovered", "-5"]);
    assert!(!ok, "{error}");
}

/// `minhbach demo` goes through the same use cases as users, so it must live with every deployment's
/// rules: a scheme that proposes nothing for nothing recovered, a policy with fewer extensions. Run as an
/// operator would, on a fresh data directory, under each scheme with the EU policy.
#[test]
fn the_demo_fills_a_database_under_every_scheme_and_policy() {
    for (policy, scheme) in [
        ("vn-2018", "vn_ttlt_01_2015"),
        ("eu-2019", "kr_acrc"),
        ("eu-2019", "us_sec"),
        ("vn-2018", "id_pp43_2018"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = Command::new(env!("CARGO_BIN_EXE_minhbach"))
            .args(["demo", "--reports", "60", "--seed", "7"])
            .env("MINHBACH_DATA_DIR", dir.path().join("data"))
            .env("MINHBACH_POLICY", policy)
            .env("MINHBACH_REWARD_SCHEME", scheme)
            .env_remove("MINHBACH_DATABASE_URL")
            .output()
            .expect("the binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{policy} / {scheme}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.contains("60 reports"), "{policy} / {scheme}: {stdout}");
    }
}

/// Row 26 (issue #11, D1): the key that seals staff sessions is the data directory's own. A `secret_key`
/// slipped in by the environment or a `Rocket.toml` profile refuses the launch instead of silently
/// replacing it; without one, the same command serves (the positive control).
#[test]
fn a_configured_secret_key_refuses_the_launch() {
    let known = "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=";
    let dir = tempfile::tempdir().expect("temp dir");
    let toml = dir.path().join("Rocket.toml");
    std::fs::write(
        &toml,
        format!("[release]\nsecret_key = \"{known}\"\n[debug]\nsecret_key = \"{known}\"\n"),
    )
    .expect("a Rocket.toml");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let launch = |extra: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_minhbach"));
        command
            .arg("serve")
            .env("MINHBACH_DATA_DIR", dir.path().join("data"))
            .env("ROCKET_PORT", &port)
            .env("ROCKET_CONFIG", dir.path().join("none.toml"))
            .env_remove("ROCKET_SECRET_KEY")
            .env_remove("MINHBACH_DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the binary runs");
        // A refused launch ends at once; a served one is still running after two seconds.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while std::time::Instant::now() < deadline {
            if let Some(status) = child.try_wait().expect("a status") {
                let mut said = String::new();
                std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut said).ok();
                return Some((status.success(), said));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    };
    let toml_path = toml.to_str().unwrap().to_owned();
    let attempts = [
        ("ROCKET_SECRET_KEY", launch(&[("ROCKET_SECRET_KEY", known)])),
        ("a Rocket.toml profile", launch(&[("ROCKET_CONFIG", &toml_path)])),
    ];
    let refused = attempts
        .iter()
        .filter(|(how, outcome)| match outcome {
            Some((false, said)) => said.contains("secret_key") || panic!("{how}: {said}"),
            _ => false,
        })
        .count();
    println!("launch safety: refused {refused}/{}", attempts.len());
    assert_eq!(refused, attempts.len(), "{attempts:?}");
    assert!(launch(&[]).is_none(), "without a configured key the server serves");
}

/// `minhbach retention run`, as an operator types it, on demo data back-dated over eight months under the
/// EU policy (unfounded reports kept two months): the dry run names the reports due and changes nothing; the
/// run erases the same ones; a second run finds none; `audit verify` still passes.
#[test]
fn retention_run_erases_what_the_dry_run_named_and_the_ledger_still_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let minhbach = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_minhbach"))
            .args(args)
            .env("MINHBACH_DATA_DIR", dir.path().join("data"))
            .env("MINHBACH_POLICY", "eu-2019")
            .env_remove("MINHBACH_DATABASE_URL")
            .output()
            .expect("the binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{args:?}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    };
    minhbach(&["demo", "--reports", "40", "--seed", "7"]);
    let named = |out: &str, verb: &str| -> Vec<String> {
        out.lines()
            .filter_map(|l| l.trim().strip_prefix(verb))
            .map(|rest| rest.split_whitespace().next().unwrap_or_default().to_owned())
            .collect()
    };
    let dry = minhbach(&["retention", "run", "--dry-run"]);
    let would = named(&dry, "would erase ");
    assert!(
        !would.is_empty(),
        "demo data has unfounded reports past two months: {dry}"
    );
    assert!(dry.contains(&format!("{} to be erased", would.len())), "{dry}");
    assert_eq!(
        named(&minhbach(&["retention", "run", "--dry-run"]), "would erase "),
        would,
        "nothing changed"
    );
    let run = minhbach(&["retention", "run"]);
    assert_eq!(named(&run, "erased "), would, "{run}");
    let again = minhbach(&["retention", "run"]);
    assert!(
        named(&again, "erased ").is_empty() && again.contains(": 0 erased"),
        "{again}"
    );
    let verify = minhbach(&["audit", "verify"]);
    assert!(verify.contains("the chain is intact"), "{verify}");
    println!(
        "retention run: the dry run named {}, the run erased the same, a second run none; {verify}",
        would.len()
    );
}
