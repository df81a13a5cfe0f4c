//! The console's long jobs (CSV imports of a whole catalog or member base): they run on the
//! blocking pool while the user watches their progress on the job's page. A job belongs to the
//! user who started it and is kept an hour after it ends. Its progress and outcome are rows in
//! the database (`JobStore`), written by the process running it a few times a second, so the
//! job's page is served by any HQ process behind the load balancer; a job whose process died is
//! told apart by its silence (its import, one transaction, was rolled back: nothing imported).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::ProgressBar;
use jiff::{SignedDuration, Timestamp};

use crate::import::RowError;
use crate::store::{ImportSummary, Store};

/// How often a running job's progress is written.
const WRITE_EVERY: Duration = Duration::from_millis(300);
/// A running job is written at least this often, changed or not, so its silence means it died.
const ALIVE_EVERY: Duration = Duration::from_secs(5);
/// A running job not written for this long lost its process.
const SILENT_FOR: SignedDuration = SignedDuration::from_secs(30);

/// What a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // every long job is an import so far; the names say of what
pub enum JobKind {
    CatalogImport,
    MemberImport,
    ExpenseImport,
}

impl JobKind {
    fn code(self) -> &'static str {
        match self {
            JobKind::CatalogImport => "catalog_import",
            JobKind::MemberImport => "member_import",
            JobKind::ExpenseImport => "expense_import",
        }
    }

    fn parse(s: &str) -> Option<JobKind> {
        [JobKind::CatalogImport, JobKind::MemberImport, JobKind::ExpenseImport].into_iter().find(|k| k.code() == s)
    }
}

/// How an import ended: applied, refused with its bad rows, or failed with a message for the user.
pub type JobOutcome = Result<Result<ImportSummary, Vec<RowError>>, String>;

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

/// Starts jobs and reads them back, through the store.
pub struct Jobs {
    store: Arc<dyn Store>,
}

impl Jobs {
    pub fn new(store: Arc<dyn Store>) -> Jobs {
        Jobs { store }
    }

    /// Starts `work` on the blocking pool for `owner`; returns the job's id (unguessable, as it
    /// is part of a URL). `work` reports its progress into the bar it is given, which is written
    /// to the job's row as it goes.
    pub async fn start(
        &self,
        owner: i64,
        kind: JobKind,
        work: impl FnOnce(&ProgressBar) -> JobOutcome + Send + 'static,
    ) -> Result<String, crate::error::AppError> {
        let id = crate::auth::random_token("job_");
        let (store, job) = (self.store.clone(), id.clone());
        tokio::task::spawn_blocking(move || store.create_job(&job, owner, kind.code()))
            .await
            .map_err(|e| crate::error::AppError::Internal(e.to_string()))??;
        let progress = ProgressBar::hidden();
        let ended = Arc::new(AtomicBool::new(false));
        // The writer: the bar's state into the row, when it changed or to say the job is alive.
        let (store, job, bar, done) = (self.store.clone(), id.clone(), progress.clone(), ended.clone());
        tokio::spawn(async move {
            let mut last = None;
            let mut written = tokio::time::Instant::now();
            while !done.load(Ordering::Acquire) {
                tokio::time::sleep(WRITE_EVERY).await;
                let now = (bar.message(), bar.position(), bar.length().filter(|n| *n > 0));
                if last.as_ref() == Some(&now) && written.elapsed() < ALIVE_EVERY {
                    continue;
                }
                let (store, job, state) = (store.clone(), job.clone(), now.clone());
                let wrote =
                    tokio::task::spawn_blocking(move || store.job_progress(&job, &state.0, state.1, state.2)).await;
                if let Ok(Err(e)) = wrote {
                    tracing::warn!(error = %e, "could not write a job's progress");
                }
                last = Some(now);
                written = tokio::time::Instant::now();
            }
        });
        let (store, job) = (self.store.clone(), id.clone());
        tokio::task::spawn_blocking(move || {
            // A panic in `work` must not leave the page spinning for ever.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&progress)))
                .unwrap_or_else(|_| Err("the job stopped unexpectedly; nothing was imported".into()));
            ended.store(true, Ordering::Release);
            let json = serde_json::to_string(&outcome).unwrap_or_else(|e| {
                serde_json::to_string(&JobOutcome::Err(format!("the job's outcome could not be kept: {e}")))
                    .unwrap_or_default()
            });
            if let Err(e) = store.finish_job(&job, &json) {
                tracing::error!(error = %e, job, "could not record a job's outcome");
            }
        });
        Ok(id)
    }

    /// The job `id` if `user` started it.
    pub async fn view(&self, id: &str, user: i64) -> Result<Option<JobView>, crate::error::AppError> {
        let (store, job) = (self.store.clone(), id.to_owned());
        let row = tokio::task::spawn_blocking(move || store.job(&job, user))
            .await
            .map_err(|e| crate::error::AppError::Internal(e.to_string()))??;
        let now = self.store.now();
        Ok(row.and_then(|r| {
            let kind = JobKind::parse(&r.kind)?;
            let outcome = match &r.outcome {
                Some(json) => Some(
                    serde_json::from_str::<JobOutcome>(json)
                        .unwrap_or_else(|e| Err(format!("the job's outcome cannot be read: {e}"))),
                ),
                None if silent(r.updated_at, now) => {
                    Some(Err("the HQ process running this job stopped; nothing was imported".into()))
                }
                None => None,
            };
            Some(JobView { kind, phase: r.phase, done: r.done, steps: r.steps, outcome })
        }))
    }
}

fn silent(updated: Timestamp, now: Timestamp) -> bool {
    now.duration_since(updated) > SILENT_FOR
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    /// Jobs over the test's database (declared before them, so dropped after them).
    fn jobs(db: &crate::testing::TestDb) -> (Jobs, Clock) {
        let clock = Clock::manual(Timestamp::now());
        let store: Arc<dyn Store> = Arc::new(db.open(clock.clone()).expect("store"));
        (Jobs::new(store), clock)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_reports_its_progress_to_its_owner_only_and_then_its_outcome() {
        let dir = tempfile::tempdir().expect("dir");
        let db = crate::testing::TestDb::new(dir.path());
        let (jobs, _) = jobs(&db);
        let (go_on, wait) = std::sync::mpsc::channel::<()>();
        let id = jobs
            .start(7, JobKind::CatalogImport, move |p| {
                crate::import::phase(p, "importing", 10);
                p.set_position(4);
                wait.recv().map_err(|e| e.to_string())?;
                Ok(Ok(ImportSummary { created: 10, updated: 0 }))
            })
            .await
            .expect("started");
        let running = loop {
            let v = jobs.view(&id, 7).await.expect("read").expect("the owner sees it");
            if v.done == 4 {
                break v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!((running.phase.as_str(), running.steps, running.outcome), ("importing", Some(10), None));
        assert!(jobs.view(&id, 8).await.expect("read").is_none(), "another user does not");
        assert!(jobs.view("no-such-job", 7).await.expect("read").is_none());
        go_on.send(()).expect("go on");
        let ended = loop {
            if let Some(outcome) = jobs.view(&id, 7).await.expect("read").expect("kept").outcome {
                break outcome;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(ended, Ok(Ok(ImportSummary { created: 10, updated: 0 })));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_that_panics_ends_with_a_message() {
        let dir = tempfile::tempdir().expect("dir");
        let db = crate::testing::TestDb::new(dir.path());
        let (jobs, _) = jobs(&db);
        let id = jobs.start(1, JobKind::MemberImport, |_| panic!("boom")).await.expect("started");
        let ended = loop {
            if let Some(outcome) = jobs.view(&id, 1).await.expect("read").expect("kept").outcome {
                break outcome;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(ended.is_err_and(|m| m.contains("nothing was imported")));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_whose_process_went_silent_is_said_to_have_stopped() {
        let dir = tempfile::tempdir().expect("dir");
        let db = crate::testing::TestDb::new(dir.path());
        let (jobs, clock) = jobs(&db);
        // A job row as a process that then died left it: started, never written again.
        jobs.store.create_job("job_orphan", 3, JobKind::CatalogImport.code()).expect("row");
        let v = jobs.view("job_orphan", 3).await.expect("read").expect("kept");
        assert!(v.outcome.is_none(), "still running for all anyone knows");
        clock.advance(SignedDuration::from_secs(31));
        let v = jobs.view("job_orphan", 3).await.expect("read").expect("kept");
        assert!(v.outcome.is_some_and(|o| o.is_err_and(|m| m.contains("stopped"))));
    }
}
