//! The console's long jobs (CSV imports of a whole catalog or member base): they run on the
//! blocking pool while the user watches their progress on the job's page. A job belongs to the
//! user who started it and is kept an hour after it ends; jobs live in memory, so a restart of HQ
//! forgets them (the import itself is one transaction: it happened entirely or not at all).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;

use crate::import::RowError;
use crate::store::ImportSummary;

/// How long a finished job's page stays available.
const KEPT: Duration = Duration::from_secs(3600);

/// What a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    CatalogImport,
    MemberImport,
}

/// How an import ended: applied, refused with its bad rows, or failed with a message for the user.
pub type JobOutcome = Result<Result<ImportSummary, Vec<RowError>>, String>;

struct Job {
    owner: i64,
    kind: JobKind,
    progress: ProgressBar,
    outcome: Option<JobOutcome>,
    ended: Option<Instant>,
}

/// A job as its page shows it.
#[derive(Clone, Debug)]
pub struct JobView {
    pub kind: JobKind,
    /// `checking`, `importing`, or empty before the first phase.
    pub phase: String,
    pub done: u64,
    /// Steps of the phase, when known.
    pub steps: Option<u64>,
    /// `None` while the job runs.
    pub outcome: Option<JobOutcome>,
}

/// The running and recently ended jobs.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Job>>,
}

impl Jobs {
    /// Starts `work` on the blocking pool for `owner`; returns the job's id (unguessable, as it
    /// is part of a URL). `work` reports its progress into the bar it is given.
    pub fn start(
        self: &Arc<Self>,
        owner: i64,
        kind: JobKind,
        work: impl FnOnce(&ProgressBar) -> JobOutcome + Send + 'static,
    ) -> String {
        let id = crate::auth::random_token("job_");
        let progress = ProgressBar::hidden();
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.retain(|_, j| j.ended.is_none_or(|t| t.elapsed() < KEPT));
            jobs.insert(id.clone(), Job { owner, kind, progress: progress.clone(), outcome: None, ended: None });
        }
        let (jobs, job) = (self.clone(), id.clone());
        tokio::task::spawn_blocking(move || {
            // A panic in `work` must not leave the page spinning for ever.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&progress)))
                .unwrap_or_else(|_| Err("the job stopped unexpectedly; nothing was imported".into()));
            if let Ok(mut all) = jobs.jobs.lock()
                && let Some(j) = all.get_mut(&job)
            {
                j.outcome = Some(outcome);
                j.ended = Some(Instant::now());
            }
        });
        id
    }

    /// The job `id` if `user` started it.
    pub fn view(&self, id: &str, user: i64) -> Option<JobView> {
        let jobs = self.jobs.lock().ok()?;
        let j = jobs.get(id).filter(|j| j.owner == user)?;
        Some(JobView {
            kind: j.kind,
            phase: j.progress.message(),
            done: j.progress.position(),
            steps: j.progress.length().filter(|n| *n > 0),
            outcome: j.outcome.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_reports_its_progress_to_its_owner_only_and_then_its_outcome() {
        let jobs = Arc::new(Jobs::default());
        let (go_on, wait) = std::sync::mpsc::channel::<()>();
        let id = jobs.start(7, JobKind::CatalogImport, move |p| {
            crate::import::phase(p, "importing", 10);
            p.set_position(4);
            wait.recv().map_err(|e| e.to_string())?;
            Ok(Ok(ImportSummary { created: 10, updated: 0 }))
        });
        let running = loop {
            let v = jobs.view(&id, 7).expect("the owner sees it");
            if v.done == 4 {
                break v;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        assert_eq!((running.phase.as_str(), running.steps, running.outcome), ("importing", Some(10), None));
        assert!(jobs.view(&id, 8).is_none(), "another user does not");
        assert!(jobs.view("no-such-job", 7).is_none());
        go_on.send(()).expect("go on");
        let ended = loop {
            if let Some(outcome) = jobs.view(&id, 7).expect("kept").outcome {
                break outcome;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        assert_eq!(ended, Ok(Ok(ImportSummary { created: 10, updated: 0 })));
    }

    #[tokio::test]
    async fn a_job_that_panics_ends_with_a_message() {
        let jobs = Arc::new(Jobs::default());
        let id = jobs.start(1, JobKind::MemberImport, |_| panic!("boom"));
        let ended = loop {
            if let Some(outcome) = jobs.view(&id, 1).expect("kept").outcome {
                break outcome;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        assert!(ended.is_err_and(|m| m.contains("nothing was imported")));
    }
}
