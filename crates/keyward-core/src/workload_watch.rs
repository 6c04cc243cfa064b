//! Watching workloads' status for ops: which changes are logged, and which become a
//! desktop notification.
//!
//! The shell polls the cheap project-wide health summary in the background and feeds
//! each answer to [`HealthWatch::observe`] with the time, so the rules are tested here
//! with an injected clock and the shell only delivers what comes back.
//!
//! Rules: the first sight of a workload is its baseline (no notification for what was
//! already true when the app opened). Every change of status is logged. A notification
//! compares the status with the one the person *last heard of* for that workload: worse
//! (healthy → degraded → down) says so, better says it recovered, and there is at most
//! one per workload per [`QUIET`]. A change inside the quiet period is not lost: once it
//! ends, a status still different from the last one announced is announced then.
//! `unknown` (not probed yet, e.g. the gateway just restarted) is logged but never
//! announced, and announcing resumes from the last known status, so a restart does not
//! produce "down … recovered" noise.

use chrono::{DateTime, Duration, Utc};
use keyward_api::health::HealthSummary;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// At most one notification per workload in this long.
pub const QUIET: Duration = Duration::minutes(5);
/// Log entries kept (the oldest go first).
pub const LOG_LIMIT: usize = 500;

/// One change of a workload's status, for the in-app event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StatusChange {
    pub at: DateTime<Utc>,
    pub workload_id: String,
    pub slug: String,
    pub from: String,
    pub to: String,
    pub reason: String,
    /// A desktop notification was sent for this change.
    pub notified: bool,
}

/// A desktop notification to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub workload_id: String,
    pub title: String,
    pub body: String,
}

struct Track {
    seen: String,
    /// What the person last heard of (or the baseline); `unknown` counts as nothing.
    announced: String,
    announced_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
struct Inner {
    profile_id: Option<String>,
    tracks: HashMap<String, Track>,
    log: VecDeque<StatusChange>,
}

/// The watch state of the active profile's workloads; switching profile starts over.
#[derive(Default)]
pub struct HealthWatch {
    inner: Mutex<Inner>,
}

fn rank(status: &str) -> Option<u8> {
    match status {
        "healthy" => Some(0),
        "degraded" => Some(1),
        "down" => Some(2),
        _ => None,
    }
}

impl HealthWatch {
    /// Takes one summary of `profile_id`'s workloads seen at `now`; logs the changes and
    /// returns the notifications to send.
    pub fn observe(
        &self,
        profile_id: &str,
        summary: &HealthSummary,
        now: DateTime<Utc>,
    ) -> Vec<Notice> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.profile_id.as_deref() != Some(profile_id) {
            *inner = Inner {
                profile_id: Some(profile_id.to_owned()),
                ..Default::default()
            };
        }
        let Inner { tracks, log, .. } = &mut *inner;
        tracks.retain(|id, _| summary.workloads.iter().any(|w| &w.workload_id == id));
        let mut notices = Vec::new();
        for w in &summary.workloads {
            let Some(track) = tracks.get_mut(&w.workload_id) else {
                tracks.insert(
                    w.workload_id.clone(),
                    Track {
                        seen: w.status.clone(),
                        announced: w.status.clone(),
                        announced_at: None,
                    },
                );
                continue;
            };
            let changed = track.seen != w.status;
            if changed {
                log.push_back(StatusChange {
                    at: now,
                    workload_id: w.workload_id.clone(),
                    slug: w.slug.clone(),
                    from: std::mem::replace(&mut track.seen, w.status.clone()),
                    to: w.status.clone(),
                    reason: w.reason.clone(),
                    notified: false,
                });
                if log.len() > LOG_LIMIT {
                    log.pop_front();
                }
            }
            let Some(now_rank) = rank(&w.status) else {
                continue;
            };
            if w.status == track.announced || track.announced_at.is_some_and(|at| now - at < QUIET)
            {
                continue;
            }
            // Nothing known before (unknown baseline): only trouble is news.
            let before = rank(&track.announced).unwrap_or(0);
            track.announced = w.status.clone();
            if now_rank == before {
                continue;
            }
            track.announced_at = Some(now);
            let title = if now_rank > before {
                format!("Workload {} is {}", w.slug, w.status)
            } else {
                format!("Workload {} recovered: {}", w.slug, w.status)
            };
            notices.push(Notice {
                workload_id: w.workload_id.clone(),
                title,
                body: w.reason.clone(),
            });
            if changed {
                if let Some(entry) = log.back_mut() {
                    entry.notified = true;
                }
            }
        }
        notices
    }

    /// One background check: the active profile's summary, observed at `now`.
    pub async fn check(
        &self,
        console: &crate::Console,
        now: DateTime<Utc>,
    ) -> Result<Vec<Notice>, crate::Error> {
        let profile = console.active().await?;
        let summary = console.client().health_summary(&profile).await?;
        Ok(self.observe(&profile.id, &summary, now))
    }

    /// The status changes seen so far, newest first.
    pub fn log(&self) -> Vec<StatusChange> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.log.iter().rev().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_api::health::WorkloadHealthSummary;

    fn summary(statuses: &[(&str, &str)]) -> HealthSummary {
        HealthSummary {
            workloads: statuses
                .iter()
                .map(|(id, status)| WorkloadHealthSummary {
                    workload_id: (*id).into(),
                    slug: format!("{id}-slug"),
                    status: (*status).into(),
                    reason: format!("because {status}"),
                    checked_at: None,
                    gpus: 0,
                    running: None,
                    waiting: None,
                    kv_cache: None,
                    e2e_p95: None,
                })
                .collect(),
        }
    }

    fn at(minutes: i64, seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
            + Duration::minutes(minutes)
            + Duration::seconds(seconds)
    }

    fn titles(notices: &[Notice]) -> Vec<&str> {
        notices.iter().map(|n| n.title.as_str()).collect()
    }

    #[test]
    fn the_baseline_is_silent_and_trouble_is_announced_once() {
        let watch = HealthWatch::default();
        assert!(watch
            .observe("p", &summary(&[("a", "down"), ("b", "healthy")]), at(0, 0))
            .is_empty());
        let n = watch.observe(
            "p",
            &summary(&[("a", "down"), ("b", "degraded")]),
            at(0, 10),
        );
        assert_eq!(titles(&n), ["Workload b-slug is degraded"]);
        assert_eq!(n[0].body, "because degraded");
        // Staying degraded, or getting worse inside five minutes: nothing new.
        assert!(watch
            .observe(
                "p",
                &summary(&[("a", "down"), ("b", "degraded")]),
                at(0, 20)
            )
            .is_empty());
        assert!(watch
            .observe("p", &summary(&[("a", "down"), ("b", "down")]), at(1, 0))
            .is_empty());
        let log = watch.log();
        assert_eq!(log.len(), 2);
        assert_eq!(
            (log[0].from.as_str(), log[0].to.as_str(), log[0].notified),
            ("degraded", "down", false)
        );
        assert_eq!((log[1].to.as_str(), log[1].notified), ("degraded", true));
    }

    #[test]
    fn a_change_inside_the_quiet_period_is_announced_when_it_ends() {
        let watch = HealthWatch::default();
        watch.observe("p", &summary(&[("a", "healthy")]), at(0, 0));
        assert_eq!(
            titles(&watch.observe("p", &summary(&[("a", "down")]), at(1, 0))),
            ["Workload a-slug is down"]
        );
        assert!(watch
            .observe("p", &summary(&[("a", "healthy")]), at(2, 0))
            .is_empty());
        assert!(watch
            .observe("p", &summary(&[("a", "healthy")]), at(5, 59))
            .is_empty());
        let n = watch.observe("p", &summary(&[("a", "healthy")]), at(6, 0));
        assert_eq!(titles(&n), ["Workload a-slug recovered: healthy"]);
        assert!(watch
            .observe("p", &summary(&[("a", "healthy")]), at(20, 0))
            .is_empty());
        // Down again long after: announced at once; back up a minute later: the
        // recovery waits out the five minutes, then is said once.
        assert_eq!(
            watch
                .observe("p", &summary(&[("a", "down")]), at(30, 0))
                .len(),
            1
        );
        assert!(watch
            .observe("p", &summary(&[("a", "healthy")]), at(31, 0))
            .is_empty());
        assert_eq!(
            watch
                .observe("p", &summary(&[("a", "healthy")]), at(35, 0))
                .len(),
            1
        );
        assert!(watch
            .observe("p", &summary(&[("a", "healthy")]), at(50, 0))
            .is_empty());
    }

    #[test]
    fn unknown_is_logged_never_announced_and_a_restart_is_quiet() {
        let watch = HealthWatch::default();
        watch.observe("p", &summary(&[("a", "unknown")]), at(0, 0));
        // The first probe finds it healthy: no news. Then down: news.
        assert!(watch
            .observe("p", &summary(&[("a", "healthy")]), at(0, 10))
            .is_empty());
        assert_eq!(
            watch
                .observe("p", &summary(&[("a", "down")]), at(0, 20))
                .len(),
            1
        );
        // The gateway restarts (unknown) and finds it still down: no repeat.
        assert!(watch
            .observe("p", &summary(&[("a", "unknown")]), at(10, 0))
            .is_empty());
        assert!(watch
            .observe("p", &summary(&[("a", "down")]), at(10, 10))
            .is_empty());
        assert_eq!(watch.log().len(), 4);
    }

    #[test]
    fn switching_profile_or_deleting_a_workload_starts_over() {
        let watch = HealthWatch::default();
        watch.observe("p", &summary(&[("a", "healthy")]), at(0, 0));
        assert!(watch
            .observe("q", &summary(&[("a", "down")]), at(0, 10))
            .is_empty());
        assert!(watch.log().is_empty());
        watch.observe("q", &summary(&[]), at(0, 20));
        assert!(watch
            .observe("q", &summary(&[("a", "healthy")]), at(0, 30))
            .is_empty());
    }
}
