//! Evidence files on the real release binary: upload and download throughput of 20 MiB files, and the
//! server's peak resident memory while 4 are uploaded, then downloaded, at once.
//!
//! `cargo bench --bench evidence` starts `minhbach serve` on a fresh data directory (SQLite; or
//! `BENCH_DATABASE_URL`), adds an inspector with the command line, then: uploads `BENCH_FILES` (default 8)
//! reports of one 20 MiB file each, one after another (each upload includes the report's Argon2id
//! derivation, the type check and the chunked sealing); downloads each as the inspector; then 4 uploads
//! and 4 downloads at once. It prints the median and spread of each, in MiB/s, and the server's resident
//! memory (VmRSS idle, VmHWM peak) after each phase. The file is plain UTF-8 text, the largest allowed
//! size (20 MiB), so the figures are the storage and crypto path, not a format's parser.

#[path = "../tests/common/server.rs"]
#[allow(dead_code)]
mod server;

use std::time::{Duration, Instant};

use server::memory_kib;

const MIB: f64 = 1024.0 * 1024.0;
const BOUNDARY: &str = "----minhbach-bench-5d1e";

/// Resets a process's peak (`VmHWM`) to its resident size now, so that each phase reports its own peak.
fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

fn file_of(size: usize, i: usize) -> Vec<u8> {
    let line = format!("Sổ thu chi của xã, bản {i}: khoản chi không có chứng từ.\n");
    line.bytes().cycle().take(size).collect()
}

fn multipart(file: &[u8], i: usize) -> Vec<u8> {
    let report = serde_json::json!({
        "category": "bribe-taking",
        "unit": "ba-diem",
        "narrative": format!("Báo cáo thử số {i}, sổ sách đính kèm."),
    });
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"report\"\r\n\r\n{report}\r\n--{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"so-thu-chi-{i}.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload(base: &str, body: &[u8]) -> f64 {
    let started = Instant::now();
    let response = ureq::post(&format!("{base}/api/v1/reports"))
        .timeout(Duration::from_secs(300))
        .set("Content-Type", &format!("multipart/form-data; boundary={BOUNDARY}"))
        .send_bytes(body)
        .expect("the upload is taken");
    assert_eq!(response.status(), 201);
    started.elapsed().as_secs_f64()
}

fn download(base: &str, cookie: &str, path: &str, expected: usize) -> f64 {
    let started = Instant::now();
    let response = ureq::get(&format!("{base}{path}"))
        .timeout(Duration::from_secs(300))
        .set("Cookie", cookie)
        .call()
        .expect("the download is served");
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes).expect("read whole");
    assert_eq!(bytes.len(), expected, "the whole file");
    started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn rates(size: usize, seconds: &[f64]) -> String {
    let rates: Vec<f64> = seconds.iter().map(|s| size as f64 / MIB / s).collect();
    let (min, max) = rates.iter().fold((f64::MAX, 0f64), |(a, b), r| (a.min(*r), b.max(*r)));
    format!(
        "median {:.1} MiB/s (min {min:.1}, max {max:.1}, n = {})",
        median(rates.clone()),
        rates.len()
    )
}

fn attachment_paths(base: &str, cookie: &str) -> Vec<String> {
    let get = |path: &str| -> serde_json::Value {
        ureq::get(&format!("{base}{path}"))
            .set("Cookie", cookie)
            .call()
            .expect("staff API")
            .into_json()
            .expect("JSON")
    };
    let mut paths = Vec::new();
    for case in get("/api/v1/cases")
        .get("cases")
        .and_then(|c| c.as_array())
        .cloned()
        .unwrap_or_default()
    {
        let id = case["id"].as_str().unwrap_or_default().to_owned();
        for file in get(&format!("/api/v1/cases/{id}"))["attachments"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            paths.push(format!(
                "/api/v1/cases/{id}/attachments/{}",
                file["id"].as_str().unwrap_or_default()
            ));
        }
    }
    paths
}

fn main() {
    let files: usize = std::env::var("BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let size = 20 << 20;
    let dir = tempfile::tempdir().expect("temporary directory");
    let deployment = server::Deployment::new(&dir.path().join("data"), std::env::var("BENCH_DATABASE_URL").ok());
    let _ = deployment.run(&["migrate"]);
    let mut inspector = deployment.add_staff("inspector", "inspector");
    let server = deployment.serve();
    let (base, pid) = (server.base.clone(), server.pid());
    let idle = memory_kib(pid, "VmRSS:");
    println!(
        "evidence files of {} MiB, {files} one after another, then 4 at once",
        size >> 20
    );
    println!("server resident memory at start: {} MiB", idle / 1024);

    let bodies: Vec<Vec<u8>> = (0..files).map(|i| multipart(&file_of(size, i), i)).collect();
    reset_peak(pid);
    let seconds: Vec<f64> = bodies.iter().map(|b| upload(&base, b)).collect();
    println!("upload, one at a time:   {}", rates(size, &seconds));
    println!("  peak resident memory: {} MiB", memory_kib(pid, "VmHWM:") / 1024);

    reset_peak(pid);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for body in bodies.iter().take(4) {
            let base = &base;
            scope.spawn(move || upload(base, body));
        }
    });
    let together = started.elapsed().as_secs_f64();
    println!(
        "upload, 4 at once:       {:.1} MiB/s in all ({:.1} s)",
        4.0 * size as f64 / MIB / together,
        together
    );
    println!(
        "  peak resident memory during 4 concurrent 20 MiB uploads: {} MiB",
        memory_kib(pid, "VmHWM:") / 1024
    );

    let (cookie, _) = inspector.sign_in(&base).expect("the inspector signs in");
    let paths = attachment_paths(&base, &cookie);
    assert_eq!(paths.len(), files + 4, "every upload is listed");
    // The allocator hands freed memory back to the system after a while: wait, so the download phase's
    // peak is its own, not what the uploads left.
    std::thread::sleep(Duration::from_secs(15));
    println!(
        "server resident memory before the downloads: {} MiB",
        memory_kib(pid, "VmRSS:") / 1024
    );
    reset_peak(pid);
    let seconds: Vec<f64> = paths
        .iter()
        .take(files)
        .map(|p| download(&base, &cookie, p, size))
        .collect();
    println!("download, one at a time: {}", rates(size, &seconds));
    println!("  peak resident memory: {} MiB", memory_kib(pid, "VmHWM:") / 1024);
    reset_peak(pid);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for path in paths.iter().take(4) {
            let (base, cookie) = (&base, &cookie);
            scope.spawn(move || download(base, cookie, path, size));
        }
    });
    let together = started.elapsed().as_secs_f64();
    println!(
        "download, 4 at once:     {:.1} MiB/s in all ({:.1} s)",
        4.0 * size as f64 / MIB / together,
        together
    );
    println!(
        "  peak resident memory during 4 concurrent 20 MiB downloads: {} MiB",
        memory_kib(pid, "VmHWM:") / 1024
    );
    println!(
        "server resident memory at the end: {} MiB",
        memory_kib(pid, "VmRSS:") / 1024
    );
}
