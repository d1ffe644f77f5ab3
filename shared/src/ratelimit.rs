//! Sliding-window rate limits for writes (reviews, votes): at most `max` events in any
//! `window_seconds`. The caller keeps the log of admitted event times in one place that
//! serialises access to it (a Durable Object on the edge); this decides.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub max: u32,
    pub window_seconds: i64,
}

/// Reviews one shopper (or one network address) may submit per shop.
pub const REVIEWS: RateLimit = RateLimit { max: 5, window_seconds: 3600 };
/// Helpful votes one network address may cast per shop.
pub const VOTES: RateLimit = RateLimit { max: 60, window_seconds: 3600 };

/// Refused: try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub i64);

/// Admits an event at `now` given the earlier admitted times; returns the log to keep (only
/// events still inside the window, plus this one).
pub fn admit(log: &[i64], now: i64, limit: RateLimit) -> Result<Vec<i64>, RetryAfter> {
    let since = now - limit.window_seconds;
    let mut recent: Vec<i64> = log.iter().copied().filter(|t| *t > since).collect();
    recent.sort_unstable();
    if recent.len() >= limit.max as usize {
        // The oldest event in the window leaves it first.
        let oldest = recent[recent.len() - limit.max as usize];
        return Err(RetryAfter((oldest - since).max(1)));
    }
    recent.push(now);
    Ok(recent)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit { max: 3, window_seconds: 60 };

    #[test]
    fn admits_up_to_the_limit_then_refuses_until_the_window_moves() {
        let mut log = Vec::new();
        for t in [0, 10, 20] {
            log = admit(&log, t, LIMIT).unwrap();
        }
        assert_eq!(admit(&log, 30, LIMIT), Err(RetryAfter(30)));
        assert_eq!(admit(&log, 59, LIMIT), Err(RetryAfter(1)));
        let log = admit(&log, 61, LIMIT).unwrap();
        assert_eq!(log, vec![10, 20, 61], "events outside the window are forgotten");
    }

    #[test]
    fn a_refusal_does_not_count() {
        let log = vec![0, 1, 2];
        assert!(admit(&log, 3, LIMIT).is_err());
        assert!(admit(&log, 3, LIMIT).is_err());
        assert_eq!(admit(&log, 61, LIMIT).unwrap(), vec![2, 61]);
    }
}
