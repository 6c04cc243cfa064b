//! Watching workloads' status for ops: which changes are logged, and which become a
//! desktop notification.
//!
//! The shell polls the cheap project-wide health summary in the background and feeds
//! each answer to [`HealthWatch::observe`] with the time, so the rules are tested here
//! with an injected clock and the shell only delivers what comes back.
//!
//! Rules: the first sight of a workload is its baseline (no notification for what was
//! already true when the app opened). Every change of status is logged. Every change
//! between the known statuses (healthy, degraded, down) is announced once, when it is
//! seen: worse says what it is now, better says it recovered. The comparison is always
//! with what the person last heard of (or the baseline), so a status that comes back
//! to it says nothing new, and nothing is said twice.
//!
//! Why no quiet period: one notification per workload per five minutes used to hold
//! every later change and compare it with the last announced status once the five
//! minutes were over. A workload announced `down` while its engine was still loading,
//! then healthy (held), then really down three minutes later matched the stale
//! `down` and was never announced; so was a `down` that followed a `degraded` and
//! cleared within the five minutes (issue #15). Only a workload that flaps is held:
//! after [`FLAP_LIMIT`] notifications within [`FLAP_WINDOW`], changes are logged but
//! not announced until the window has room again, and then the status of that moment
//! is announced if it differs from the last one heard of.
//!
//! `unknown` (not probed yet, e.g. the gateway just restarted) is logged but never
//! announced, and announcing resumes from the last known status, so a restart does not
//! produce "down … recovered" noise.

use chrono::{DateTime, Duration, Utc};
use keyward_api::health::{HealthStatus, HealthSummary};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// A workload announced this many times within [`FLAP_WINDOW`] is flapping: its later
/// changes wait until the window has room again.
pub const FLAP_LIMIT: usize = 4;
pub const FLAP_WINDOW: Duration = Duration::minutes(5);
/// Log entries kept (the oldest go first).
pub const LOG_LIMIT: usize = 500;

/// One change of a workload's status, for the in-app event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StatusChange {
    pub at: DateTime<Utc>,
    pub workload_id: String,
    pub slug: String,
    pub from: HealthStatus,
    pub to: HealthStatus,
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
    seen: HealthStatus,
    /// What the person last heard of, or the baseline; `None` while only `unknown` has
    /// been seen.
    heard: Option<HealthStatus>,
    /// When this workload's notifications went out, within the flap window.
    announced: VecDeque<DateTime<Utc>>,
}

#[derive(Default)]
struct Inner {
    profile_id: Option<String>,
    tracks: HashMap<String, Track>,
    log: VecDeque<StatusChange>,
    rounds: u64,
}

/// The watch state of the active profile's workloads; switching profile starts over.
#[derive(Default)]
pub struct HealthWatch {
    inner: Mutex<Inner>,
}

/// How bad a known status is; `None` for `unknown` (not probed yet, or a status a
/// newer gateway added), which is never announced.
fn rank(status: HealthStatus) -> Option<u8> {
    match status {
        HealthStatus::Healthy => Some(0),
        HealthStatus::Degraded => Some(1),
        HealthStatus::Down => Some(2),
        HealthStatus::Unknown => None,
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
        inner.rounds += 1;
        if inner.profile_id.as_deref() != Some(profile_id) {
            let rounds = inner.rounds;
            *inner = Inner {
                profile_id: Some(profile_id.to_owned()),
                rounds,
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
                        seen: w.status,
                        heard: rank(w.status).map(|_| w.status),
                        announced: VecDeque::new(),
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
                    from: std::mem::replace(&mut track.seen, w.status),
                    to: w.status,
                    reason: w.reason.clone(),
                    notified: false,
                });
                if log.len() > LOG_LIMIT {
                    log.pop_front();
                }
            }
            let Some(now_rank) = rank(w.status) else {
                continue;
            };
            while track
                .announced
                .front()
                .is_some_and(|at| now - *at >= FLAP_WINDOW)
            {
                track.announced.pop_front();
            }
            if track.heard == Some(w.status) || track.announced.len() >= FLAP_LIMIT {
                continue;
            }
            let before = track.heard.replace(w.status);
            // Nothing known before (only `unknown` seen): only trouble is news.
            let before_rank = before.and_then(rank).unwrap_or(0);
            if now_rank == before_rank {
                continue;
            }
            let title = if now_rank > before_rank {
                format!("Workload {} is {}", w.slug, w.status)
            } else if now_rank == 0 {
                format!("Workload {} recovered", w.slug)
            } else {
                format!(
                    "Workload {} is {} (was {})",
                    w.slug,
                    w.status,
                    before.unwrap_or(HealthStatus::Unknown)
                )
            };
            track.announced.push_back(now);
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

    /// One background check: the active profile's summary, observed at `now`. Each
    /// completed round is logged (debug), so a test can tell the watch has run.
    pub async fn check(
        &self,
        console: &crate::Console,
        now: DateTime<Utc>,
    ) -> Result<Vec<Notice>, crate::Error> {
        let (profile, gateway) = console.keyward().await?;
        let summary = gateway.health_summary(&profile).await?;
        let notices = self.observe(&profile.id, &summary, now);
        tracing::debug!(
            round = self.rounds(),
            workloads = summary.workloads.len(),
            notices = notices.len(),
            "health watch round"
        );
        Ok(notices)
    }

    /// How many summaries have been observed since the app started.
    pub fn rounds(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).rounds
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
                    status: HealthStatus::parse(status),
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
    fn the_baseline_is_silent_and_each_change_is_announced_once_when_seen() {
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
        // Staying degraded: nothing new. Worse ten seconds later, then back: each said
        // at once (the five-minute quiet period held both, and a down that cleared
        // within it was never announced — issue #15).
        assert!(watch
            .observe(
                "p",
                &summary(&[("a", "down"), ("b", "degraded")]),
                at(0, 20)
            )
            .is_empty());
        assert_eq!(
            titles(&watch.observe("p", &summary(&[("a", "down"), ("b", "down")]), at(0, 30))),
            ["Workload b-slug is down"]
        );
        assert_eq!(
            titles(&watch.observe("p", &summary(&[("a", "down"), ("b", "healthy")]), at(1, 0))),
            ["Workload b-slug recovered"]
        );
        assert_eq!(
            titles(&watch.observe(
                "p",
                &summary(&[("a", "healthy"), ("b", "healthy")]),
                at(1, 10)
            )),
            ["Workload a-slug recovered"]
        );
        assert!(watch
            .observe(
                "p",
                &summary(&[("a", "healthy"), ("b", "healthy")]),
                at(9, 0)
            )
            .is_empty());
        let log = watch.log();
        assert_eq!(log.len(), 4);
        assert!(log.iter().all(|e| e.notified));
        assert_eq!(
            (log[1].from.as_str(), log[1].to.as_str()),
            ("down", "healthy")
        );
    }

    #[test]
    fn a_status_from_a_newer_gateway_reads_as_unknown_and_is_not_announced() {
        let newer: HealthSummary = serde_json::from_value(serde_json::json!({"workloads": [{
            "workload_id": "a", "slug": "a-slug", "status": "overloaded", "reason": "r",
            "checked_at": null, "gpus": 0, "running": null, "waiting": null,
            "kv_cache": null, "e2e_p95": null
        }]}))
        .unwrap();
        assert_eq!(newer.workloads[0].status, HealthStatus::Unknown);
        let watch = HealthWatch::default();
        watch.observe("p", &summary(&[("a", "healthy")]), at(0, 0));
        assert!(watch.observe("p", &newer, at(0, 10)).is_empty());
    }

    #[test]
    fn a_real_outage_after_a_loading_down_is_announced() {
        // Created while the app runs: not probed yet, then down while vLLM loads, then
        // healthy, then really down three minutes later. Each is news.
        let watch = HealthWatch::default();
        watch.observe("p", &summary(&[("a", "unknown")]), at(0, 0));
        let said: Vec<Vec<Notice>> = [
            ("down", at(0, 10)),
            ("healthy", at(1, 0)),
            ("down", at(4, 0)),
        ]
        .into_iter()
        .map(|(status, t)| watch.observe("p", &summary(&[("a", status)]), t))
        .collect();
        assert_eq!(
            said.iter().map(|n| titles(n)).collect::<Vec<_>>(),
            [
                vec!["Workload a-slug is down"],
                vec!["Workload a-slug recovered"],
                vec!["Workload a-slug is down"]
            ]
        );
        // Better but not well: said as such.
        let n = watch.observe("p", &summary(&[("a", "degraded")]), at(4, 10));
        assert_eq!(titles(&n), ["Workload a-slug is degraded (was down)"]);
    }

    #[test]
    fn a_flapping_workload_is_held_then_its_settled_status_said_once() {
        let watch = HealthWatch::default();
        watch.observe("p", &summary(&[("a", "healthy")]), at(0, 0));
        let mut said = 0;
        // Flips every 15 s for two minutes: FLAP_LIMIT notices, the rest held.
        for i in 1..=8 {
            let status = if i % 2 == 1 { "down" } else { "healthy" };
            said += watch
                .observe("p", &summary(&[("a", status)]), at(0, 15 * i))
                .len();
        }
        assert_eq!(said, FLAP_LIMIT);
        assert_eq!(watch.log().len(), 8, "every change is logged");
        // Settles down (the last heard of was "healthy", the 4th notice): held while
        // the window is full, then said once, when the first notice leaves it.
        assert!(watch
            .observe("p", &summary(&[("a", "down")]), at(3, 0))
            .is_empty());
        assert!(watch
            .observe("p", &summary(&[("a", "down")]), at(5, 14))
            .is_empty());
        let n = watch.observe("p", &summary(&[("a", "down")]), at(5, 15));
        assert_eq!(titles(&n), ["Workload a-slug is down"]);
        assert!(watch
            .observe("p", &summary(&[("a", "down")]), at(5, 30))
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
