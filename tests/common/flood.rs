//! A flood of anonymous submissions against the real server, with staff signing in and reading their queue
//! meanwhile: what every answer was, how long staff waited, and the server's peak memory. Shared by the
//! reliability suite (a short run) and `cargo bench --bench flood` (the full one).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::server::{memory_kib, report_body, Deployment, Server};

pub use crate::server::StaffAccount;

/// Creates `n` inspectors with the command line, as an operator would, before the server starts.
pub fn add_inspectors(deployment: &Deployment, n: usize) -> Vec<StaffAccount> {
    (0..n)
        .map(|i| deployment.add_staff(&format!("thanhtra.tai{i}"), "inspector"))
        .collect()
}

/// What the flood saw.
#[derive(Debug, Default)]
pub struct Flood {
    pub seconds: f64,
    pub accepted: usize,
    pub refused: usize,
    /// 503 answers without a `Retry-After` header.
    pub refused_without_retry_after: usize,
    /// Any other status.
    pub other: Vec<u16>,
    pub connection_errors: usize,
    pub codes: Vec<String>,
    pub sign_in_ms: Vec<f64>,
    pub sign_in_failures: usize,
    pub queue_ms: Vec<f64>,
    pub peak_rss_kib: u64,
}

pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Signs in with the next unused TOTP step of some account; the session cookie and the time taken.
fn sign_in(base: &str, staff: &mut [StaffAccount]) -> Option<(String, f64)> {
    let step = crate::server::totp_step_now();
    let account = staff.iter_mut().find(|a| a.last_step.is_none_or(|s| s < step))?;
    account.sign_in(base)
}

/// `clients` anonymous clients submit reports for `duration` while one staff member after another signs in
/// and each signed-in one reads the queue page.
pub fn flood(server: &Server, staff: Vec<StaffAccount>, clients: usize, duration: Duration) -> Flood {
    let result = Arc::new(Mutex::new(Flood::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let submitters: Vec<_> = (0..clients)
        .map(|_| {
            let (base, result, stop, next) = (server.base.clone(), result.clone(), stop.clone(), next.clone());
            std::thread::spawn(move || {
                // The flood's clients stand for other machines: at the lowest priority here, they take
                // only the CPU the server leaves (on Linux; elsewhere they compete as equals).
                #[cfg(target_os = "linux")]
                let _ = rustix::process::setpriority_process(None, 19);
                let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
                while !stop.load(Ordering::Relaxed) {
                    let body = report_body(next.fetch_add(1, Ordering::Relaxed));
                    let answer = agent.post(&format!("{base}/api/v1/reports")).send_json(body);
                    let mut r = result.lock().unwrap();
                    match answer {
                        Ok(response) if response.status() == 201 => {
                            drop(r);
                            let code = response
                                .into_json::<serde_json::Value>()
                                .ok()
                                .and_then(|v| v["code"].as_str().map(str::to_owned));
                            let mut r = result.lock().unwrap();
                            r.accepted += 1;
                            r.codes.extend(code);
                        }
                        Ok(response) => r.other.push(response.status()),
                        Err(ureq::Error::Status(503, response)) => {
                            r.refused += 1;
                            if response.header("Retry-After").is_none() {
                                r.refused_without_retry_after += 1;
                            }
                        }
                        Err(ureq::Error::Status(status, _)) => r.other.push(status),
                        Err(_) => r.connection_errors += 1,
                    }
                }
            })
        })
        .collect();
    let staff_thread = {
        let (base, result, stop) = (server.base.clone(), result.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut staff = staff;
            let mut sessions: Vec<String> = Vec::new();
            // Let the flood build up first.
            std::thread::sleep(Duration::from_secs(1));
            while !stop.load(Ordering::Relaxed) {
                match sign_in(&base, &mut staff) {
                    Some((cookie, ms)) => {
                        result.lock().unwrap().sign_in_ms.push(ms);
                        sessions.push(cookie);
                    }
                    None => result.lock().unwrap().sign_in_failures += 1,
                }
                for cookie in sessions.iter().rev().take(3) {
                    let started = Instant::now();
                    let ok = ureq::get(&format!("{base}/inspector"))
                        .set("Cookie", cookie)
                        .timeout(Duration::from_secs(60))
                        .call()
                        .is_ok_and(|r| r.status() == 200);
                    if ok {
                        result
                            .lock()
                            .unwrap()
                            .queue_ms
                            .push(started.elapsed().as_secs_f64() * 1000.0);
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    let pid = server.pid();
    while started.elapsed() < duration {
        std::thread::sleep(Duration::from_millis(100));
        let peak = memory_kib(pid, "VmHWM");
        let mut r = result.lock().unwrap();
        r.peak_rss_kib = r.peak_rss_kib.max(peak);
    }
    stop.store(true, Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    submitters.into_iter().for_each(|t| t.join().expect("a client"));
    staff_thread.join().expect("the staff thread");
    let mut flood = std::mem::take(&mut *result.lock().unwrap());
    flood.seconds = seconds;
    flood.peak_rss_kib = flood.peak_rss_kib.max(memory_kib(pid, "VmHWM"));
    flood
}
