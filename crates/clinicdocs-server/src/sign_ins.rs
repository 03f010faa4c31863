//! Guarding sign-in on an open network: failed attempts paused per account and per address
//! ([`crate::throttle`]), password checks run a few at a time (Argon2 takes ~19 MB and tens
//! of milliseconds each, so a flood of guesses cannot take the server's memory or its CPUs
//! from everyone else), and what an anonymous request typed kept short.

use crate::passwords::verify_password;
use crate::throttle::{Rule, Throttle};
use chrono::Duration;
use clinicdocs_core::credentials::MAX_EMAIL_CHARS;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Failures of one account, and of one address, that pause it, within [`WINDOW_MINUTES`]. A
/// clinic's staff may share one address, so it gets more room.
const ACCOUNT_FAILURES: u32 = 10;
const ADDRESS_FAILURES: u32 = 50;
const WINDOW_MINUTES: i64 = 5;
/// The longest pause, however many bursts came before.
const MAX_PAUSE_MINUTES: i64 = 15;
/// Password checks at once: each on a thread of its own, kept for the server's life (checks
/// spread over many short-lived threads leave each thread's allocator holding Argon2's memory).
pub const CHECKING_THREADS: usize = 2;
/// Checks waiting for a thread at most; more callers wait for room.
const WAITING_CHECKS: usize = 1024;

pub struct SignIns {
    pub accounts: Throttle,
    pub addresses: Throttle,
    checks: mpsc::Sender<Check>,
}

/// A password to check against a stored hash, and where to say the answer.
struct Check {
    password: String,
    hash: String,
    answer: oneshot::Sender<bool>,
}

impl SignIns {
    /// `first_pause` is the first pause after a burst (`CLINICDOCS_SIGNIN_PAUSE_SECS`).
    pub fn new(first_pause: std::time::Duration) -> SignIns {
        let pause = Duration::from_std(first_pause).unwrap_or(Duration::seconds(30));
        let rule = |failures| Rule {
            failures,
            window: Duration::minutes(WINDOW_MINUTES),
            pause,
            max_pause: Duration::minutes(MAX_PAUSE_MINUTES).max(pause),
        };
        let (checks, waiting) = mpsc::channel::<Check>(WAITING_CHECKS);
        let waiting = Arc::new(Mutex::new(waiting));
        for i in 0..CHECKING_THREADS {
            let waiting = waiting.clone();
            let started = std::thread::Builder::new().name(format!("password-check-{i}")).spawn(move || {
                lower_priority();
                loop {
                    let next = waiting.lock().unwrap_or_else(|p| p.into_inner()).blocking_recv();
                    let Some(c) = next else { return };
                    let _ = c.answer.send(verify_password(&c.password, &c.hash));
                }
            });
            if let Err(e) = started {
                tracing::error!("could not start a password-checking thread: {e}");
            }
        }
        SignIns {
            accounts: Throttle::new(rule(ACCOUNT_FAILURES)),
            addresses: Throttle::new(rule(ADDRESS_FAILURES)),
            checks,
        }
    }

    /// Whether `password` matches `hash`, checked on one of the checking threads.
    pub async fn check(&self, password: String, hash: String) -> bool {
        let (answer, answered) = oneshot::channel();
        if self.checks.send(Check { password, hash, answer }).await.is_err() {
            return false;
        }
        answered.await.unwrap_or(false)
    }
}

/// Lowers the calling thread's scheduling priority (nice 10; on Linux the nice value is the
/// thread's own): a flood of sign-ins keeps the checking threads busy, and the runtime's
/// threads, answering everything else (`/healthz`, uploads), then come first for the processor.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        static WARNED: std::sync::Once = std::sync::Once::new();
        if let Err(e) = rustix::process::setpriority_process(None, CHECKING_NICE) {
            WARNED.call_once(|| tracing::warn!("could not lower the password checks' priority: {e}"));
        }
    }
}

/// The checking threads' nice value (0 is the default, 19 the lowest priority).
#[cfg(target_os = "linux")]
const CHECKING_NICE: i32 = 10;

/// An email as typed, as the server keeps it: trimmed, lower case, printable, at most
/// [`MAX_EMAIL_CHARS`] characters.
pub fn typed_email(raw: &str) -> String {
    raw.trim().chars().filter(|c| !c.is_control()).take(MAX_EMAIL_CHARS).collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_email_is_kept_short_and_printable() {
        assert_eq!(typed_email("  Doctor@Demo.Clinic\n"), "doctor@demo.clinic");
        assert_eq!(typed_email(&"x".repeat(1_000_000)).chars().count(), MAX_EMAIL_CHARS);
        assert_eq!(typed_email("a\u{0}b@c"), "ab@c");
    }

    /// A sign-in flood must not starve everything else of the processor: the threads that
    /// check passwords run at a lower priority than the runtime's.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn password_checks_run_below_the_priority_of_the_servers_other_work() {
        let sign_ins = SignIns::new(std::time::Duration::from_secs(30));
        let hash = crate::passwords::hash_password("demo").expect("hash");
        assert!(sign_ins.check("demo".into(), hash).await, "the check still answers");
        // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value.
        let mut nice = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").expect("tasks").flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim().starts_with("password-check") {
                let stat = std::fs::read_to_string(task.path().join("stat")).expect("stat");
                let after_name = &stat[stat.rfind(')').expect("name") + 2..];
                nice.push(after_name.split(' ').nth(16).expect("nice").to_string());
            }
        }
        assert!(nice.len() >= CHECKING_THREADS, "{nice:?}");
        assert!(nice.iter().all(|n| n == "10"), "every checking thread at nice 10: {nice:?}");
    }
}
