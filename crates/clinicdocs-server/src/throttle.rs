//! Slowing down password guessing. Failed sign-ins are counted per account (by the email typed,
//! whether or not such an account exists, so the answer reveals nothing) and per client
//! address; past a threshold within a window, sign-ins for that key pause, and each pause after
//! another burst is twice as long as the last (capped), so a guesser gets a handful of tries an
//! hour while the real user waits seconds to minutes, never for good. A successful sign-in
//! clears the account's count. Memory is bounded: at most [`MAX_KEYS`] keys are remembered.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// Keys remembered at most (accounts and addresses together); past it, the quiet ones go.
pub const MAX_KEYS: usize = 100_000;

/// When a key's failures pause its sign-ins.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Failures within `window` that start a pause.
    pub failures: u32,
    pub window: Duration,
    /// The first pause; each next one is twice the last, up to `max_pause`.
    pub pause: Duration,
    pub max_pause: Duration,
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    failures: u32,
    window_start: Option<DateTime<Utc>>,
    paused_until: Option<DateTime<Utc>>,
    /// Pauses so far (the next is `pause * 2^pauses`).
    pauses: u32,
    last_seen: Option<DateTime<Utc>>,
}

/// What a failure did to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// The first failure of a new window.
    First,
    /// Another failure within the window.
    Again,
    /// This failure started a pause of this length.
    Paused(Duration),
}

/// The counts of one kind of key.
pub struct Throttle {
    rule: Rule,
    keys: Mutex<HashMap<String, Entry>>,
}

impl Throttle {
    pub fn new(rule: Rule) -> Throttle {
        Throttle { rule, keys: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long `key` must still wait before trying again, if it is paused.
    pub fn wait(&self, key: &str, now: DateTime<Utc>) -> Option<Duration> {
        let keys = self.lock();
        let until = keys.get(key)?.paused_until?;
        (until > now).then(|| until - now)
    }

    /// Counts a failure of `key`.
    pub fn failed(&self, key: &str, now: DateTime<Utc>) -> Counted {
        let mut keys = self.lock();
        if keys.len() >= MAX_KEYS && !keys.contains_key(key) {
            forget_quiet(&mut keys, now, self.rule.window.max(self.rule.max_pause));
        }
        let e = keys.entry(key.to_string()).or_default();
        e.last_seen = Some(now);
        // Attempts already under way when the pause began do not lengthen it.
        if e.paused_until.is_some_and(|u| u > now) {
            return Counted::Again;
        }
        let fresh = e.window_start.is_none_or(|s| now - s > self.rule.window);
        if fresh {
            e.window_start = Some(now);
            e.failures = 0;
        }
        e.failures += 1;
        if e.failures >= self.rule.failures {
            let factor = 1i32.checked_shl(e.pauses.min(20)).unwrap_or(i32::MAX);
            let pause = (self.rule.pause * factor).min(self.rule.max_pause);
            e.paused_until = Some(now + pause);
            e.pauses += 1;
            e.failures = 0;
            e.window_start = None;
            return Counted::Paused(pause);
        }
        if e.failures == 1 {
            Counted::First
        } else {
            Counted::Again
        }
    }

    /// The key signed in: its count starts again.
    pub fn succeeded(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Keys remembered now (for tests and the abuse benchmark).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drops keys neither paused nor seen within `quiet`; if that frees nothing, the oldest half.
fn forget_quiet(keys: &mut HashMap<String, Entry>, now: DateTime<Utc>, quiet: Duration) {
    keys.retain(|_, e| e.paused_until.is_some_and(|u| u > now) || e.last_seen.is_some_and(|s| now - s < quiet));
    if keys.len() >= MAX_KEYS {
        let mut seen: Vec<DateTime<Utc>> = keys.values().filter_map(|e| e.last_seen).collect();
        seen.sort();
        if let Some(&median) = seen.get(seen.len() / 2) {
            keys.retain(|_, e| e.last_seen.is_some_and(|s| s > median));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> Rule {
        Rule {
            failures: 3,
            window: Duration::minutes(5),
            pause: Duration::seconds(30),
            max_pause: Duration::minutes(4),
        }
    }

    #[test]
    fn a_burst_of_failures_pauses_the_key_and_each_next_pause_doubles_up_to_the_cap() {
        let t = Throttle::new(rule());
        let mut now = Utc::now();
        let mut pauses = Vec::new();
        for _ in 0..5 {
            assert_eq!(t.failed("a@x", now), Counted::First);
            assert_eq!(t.failed("a@x", now), Counted::Again);
            let Counted::Paused(p) = t.failed("a@x", now) else { panic!("the third failure pauses") };
            assert_eq!(t.wait("a@x", now), Some(p));
            assert_eq!(t.wait("b@x", now), None, "another key is not paused");
            pauses.push(p.num_seconds());
            now += p;
            assert_eq!(t.wait("a@x", now), None, "the pause ends");
        }
        assert_eq!(pauses, [30, 60, 120, 240, 240]);
        t.succeeded("a@x");
        assert!(t.is_empty(), "signing in clears the count");
    }

    #[test]
    fn failures_spread_wider_than_the_window_never_pause() {
        let t = Throttle::new(rule());
        let mut now = Utc::now();
        for _ in 0..20 {
            assert_ne!(t.failed("a@x", now), Counted::Paused(Duration::seconds(30)));
            now += Duration::minutes(3);
        }
        assert_eq!(t.wait("a@x", now), None);
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_keys() {
        let t = Throttle::new(rule());
        let now = Utc::now();
        for i in 0..(MAX_KEYS + 5000) {
            t.failed(&format!("guess{i}@x"), now + Duration::milliseconds(i as i64));
        }
        assert!(t.len() <= MAX_KEYS, "{} keys", t.len());
    }
}
