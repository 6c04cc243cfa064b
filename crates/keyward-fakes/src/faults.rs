//! Failures a test injects into a fake: a status in the platform's error shape (with
//! `Retry-After`), a delay, a malformed body, or a dropped connection.
//!
//! Faults are consumed in the order they were pushed: a request takes the first queued
//! fault whose `path_contains` occurs in its path, so a test can script "two 429s, then
//! success" for one endpoint while the others answer normally.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One way for a request to fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer `status` with a body in the platform's own error shape, and a `Retry-After`
    /// header (seconds) when given.
    Status {
        status: u16,
        retry_after: Option<u32>,
    },
    /// Wait this long, then answer normally (for client timeouts).
    Delay(Duration),
    /// Answer 200 with a truncated JSON body.
    Malformed,
    /// Drop the connection without a complete answer.
    Close,
}

#[derive(Debug)]
struct Queued {
    path_contains: String,
    fault: Fault,
    remaining: usize,
}

/// The fake's fault queue; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    queue: Arc<Mutex<VecDeque<Queued>>>,
}

impl Faults {
    /// Queues `fault` for the next `times` requests whose path contains `path_contains`.
    pub fn push(&self, path_contains: &str, fault: Fault, times: usize) {
        if times == 0 {
            return;
        }
        self.queue.lock().unwrap().push_back(Queued {
            path_contains: path_contains.to_owned(),
            fault,
            remaining: times,
        });
    }

    /// How many injections are still queued, over all entries.
    pub fn pending(&self) -> usize {
        self.queue.lock().unwrap().iter().map(|q| q.remaining).sum()
    }

    /// Forgets every queued fault.
    pub fn clear(&self) {
        self.queue.lock().unwrap().clear();
    }

    /// Takes the first queued fault matching `path`, if any.
    pub(crate) fn take(&self, path: &str) -> Option<Fault> {
        let mut queue = self.queue.lock().unwrap();
        let at = queue.iter().position(|q| path.contains(&q.path_contains))?;
        let entry = &mut queue[at];
        entry.remaining -= 1;
        let fault = entry.fault.clone();
        if entry.remaining == 0 {
            queue.remove(at);
        }
        Some(fault)
    }
}
