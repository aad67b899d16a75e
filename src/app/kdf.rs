//! The key-derivation gate. Every Argon2id derivation (a retrieval code on submission and lookup, a staff
//! password on sign-in) takes 19 MiB and a whole core for ~30 ms, so more at once than there are cores would
//! not finish sooner. They run in two lanes:
//!
//! - **anonymous** (reporters): `workers` at a time, and at most `queue` more waiting. When the queue is full
//!   the request is refused at once ([`Error::Busy`]: `503` with `Retry-After`) instead of waiting without
//!   limit, so a flood gets fast refusals, memory stays bounded, and nothing is stored for a refused report;
//! - **staff** (sign-in): its own `workers` permits, never queued behind anonymous work.
//!
//! Anonymous derivations run each on a thread of its own at a lower scheduling priority (nice
//! [`ANONYMOUS_NICE`] on Linux), so that when the cores are saturated the staff's derivations and the async
//! workers that serve every page get the CPU first. The thread ends with its derivation, and its 19 MiB
//! go back to the system with it. Staff derivations run on the blocking pool at normal priority.
//!
//! A permit is held by the work itself, so a client that goes away does not free a slot while its
//! derivation still runs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::{Error, Result};

/// The queue's default depth per worker: with ~30 ms per derivation, a full queue is ~0.5 s of work.
pub const QUEUE_PER_WORKER: usize = 8;

/// How long a refused client is told to wait, in seconds.
pub const RETRY_AFTER_SECONDS: u32 = 2;

/// The niceness of an anonymous derivation's thread (0 is normal, 19 the lowest priority): the scheduler
/// then gives a normal thread about three times its share of a contended core. Measured under a flood
/// (`cargo bench --bench flood`, docs/benchmarks.md): 10 kept staff faster but let reporters through at
/// half the rate of 5.
pub const ANONYMOUS_NICE: i32 = 5;

struct Lane {
    /// On threads of their own at [`ANONYMOUS_NICE`] (anonymous), or on the blocking pool (staff).
    low_priority: bool,
    permits: Arc<Semaphore>,
    /// Derivations admitted and not finished: running or waiting for a permit.
    admitted: Arc<AtomicUsize>,
    /// The most that may be admitted at once (`usize::MAX`: never refuse).
    capacity: usize,
}

/// Counts one admitted derivation until it is dropped: when its work ends, or when its request goes away
/// while it still waits.
struct Admission(Arc<AtomicUsize>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Lane {
    fn new(workers: usize, capacity: usize, low_priority: bool) -> Self {
        Self {
            low_priority,
            permits: Arc::new(Semaphore::new(workers.max(1))),
            admitted: Arc::default(),
            capacity,
        }
    }

    fn admit(&self) -> Option<Admission> {
        let before = self.admitted.fetch_add(1, Ordering::AcqRel);
        let admission = Admission(self.admitted.clone());
        (before < self.capacity).then_some(admission)
    }

    async fn run<T: Send + 'static>(&self, admission: Admission, work: impl FnOnce() -> T + Send + 'static) -> T {
        // The semaphore is never closed, so acquiring cannot fail; if it somehow did, run unthrottled.
        let permit = self.permits.clone().acquire_owned().await.ok();
        let job = move || {
            let _held = (permit, admission);
            work()
        };
        if !self.low_priority {
            return match tokio::task::spawn_blocking(job).await {
                Ok(value) => value,
                Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
            };
        }
        let (done, result) = tokio::sync::oneshot::channel();
        // If no thread can be made (the system's limit), `done` is dropped and this derivation fails like a
        // panicking one: a 500 for this request alone.
        let _ = std::thread::Builder::new().name("kdf-anonymous".into()).spawn(move || {
            lower_this_threads_priority();
            let _ = done.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)));
        });
        match result.await {
            Ok(Ok(value)) => value,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => std::panic::resume_unwind(Box::new("no thread for the key derivation")),
        }
    }
}

pub struct KdfGate {
    anonymous: Lane,
    staff: Lane,
}

impl KdfGate {
    /// `workers` derivations at once in each lane, and up to `queue` anonymous ones waiting.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Self {
            anonymous: Lane::new(workers, workers.saturating_add(queue), true),
            staff: Lane::new(workers, usize::MAX, false),
        }
    }

    /// The gate the settings ask for; by default one worker per core in each lane and
    /// [`QUEUE_PER_WORKER`] waiting per worker.
    pub fn configured(workers: Option<usize>, queue: Option<usize>) -> Self {
        let workers = workers.unwrap_or_else(default_workers).max(1);
        Self::new(workers, queue.unwrap_or(workers * QUEUE_PER_WORKER))
    }

    /// Runs a reporter's derivation, or refuses at once with [`Error::Busy`] when the queue is full.
    pub async fn anonymous<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let admission = self.anonymous.admit().ok_or(Error::Busy)?;
        Ok(self.anonymous.run(admission, work).await)
    }

    /// Runs a staff member's derivation in its own lane: it waits only for other staff derivations.
    pub async fn staff<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        match self.staff.admit() {
            Some(admission) => self.staff.run(admission, work).await,
            // Unreachable (the staff lane has no limit); run all the same rather than refuse staff.
            None => tokio::task::spawn_blocking(work)
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
        }
    }

    /// Whether a reporter's derivation would be refused now: checked before a request's body is read, so
    /// that a flood is turned away for almost nothing (the admission itself is checked again later).
    pub fn anonymous_full(&self) -> bool {
        self.anonymous.admitted.load(Ordering::Acquire) >= self.anonymous.capacity
    }

    /// Anonymous derivations admitted now (running or waiting), for tests and benchmarks.
    pub fn anonymous_admitted(&self) -> usize {
        self.anonymous.admitted.load(Ordering::Acquire)
    }
}

/// Lowers the calling thread's scheduling priority to [`ANONYMOUS_NICE`] (Linux gives each thread its own
/// niceness). Elsewhere, or if refused, the thread keeps the normal priority.
fn lower_this_threads_priority() {
    // setpriority(PRIO_PROCESS, 0, …): on Linux the calling thread only. Advisory: a refusal changes nothing.
    #[cfg(target_os = "linux")]
    let _ = rustix::process::setpriority_process(None, ANONYMOUS_NICE);
}

/// The number of cores this process may use.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_anonymous_queue_refuses_at_once_and_staff_never_wait_behind_it() {
        let gate = Arc::new(KdfGate::new(1, 2));
        let (release, held) = mpsc::channel::<()>();
        let held = Arc::new(std::sync::Mutex::new(held));
        // One running (holding the only worker) and two waiting: the lane is full.
        let mut admitted = Vec::new();
        for _ in 0..3 {
            let (gate, held) = (gate.clone(), held.clone());
            admitted.push(tokio::spawn(async move {
                gate.anonymous(move || {
                    let _ = held.lock().unwrap().recv();
                })
                .await
            }));
        }
        while gate.anonymous_admitted() < 3 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(gate.anonymous_full());
        let started = std::time::Instant::now();
        assert!(matches!(gate.anonymous(|| ()).await, Err(Error::Busy)));
        assert!(started.elapsed() < Duration::from_millis(100), "refused at once");
        // Staff work runs while the anonymous lane is blocked.
        let staff = tokio::time::timeout(Duration::from_secs(5), gate.staff(|| 7)).await;
        assert_eq!(staff.ok(), Some(7));
        for _ in 0..3 {
            release.send(()).unwrap();
        }
        for task in admitted {
            assert!(task.await.unwrap().is_ok(), "the admitted ones all ran");
        }
        assert_eq!(gate.anonymous_admitted(), 0);
        // Positive control: with room again, the same call is admitted.
        assert!(!gate.anonymous_full());
        assert!(gate.anonymous(|| ()).await.is_ok());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn anonymous_derivations_run_at_a_lower_priority_and_staff_ones_at_the_normal_one() {
        let nice = || rustix::process::getpriority_process(None).expect("the thread's niceness");
        let gate = KdfGate::new(1, 0);
        let here = nice();
        assert_eq!(gate.anonymous(nice).await.ok(), Some((here + ANONYMOUS_NICE).min(19)));
        assert_eq!(gate.staff(nice).await, here);
    }
}
