//! The till's side of till ↔ HQ (spec/sync.md): enrolment, the background sync task that pushes the
//! outbox and pulls changes, and HQ's online member services for the engine.
//!
//! The sync task runs on a thread of its own with its own single-threaded tokio runtime and its own
//! connection to the till database, so its SQLite work never blocks the UI or the engine, and the
//! engine never waits for the network except in the short online member calls.

mod authority;
mod client;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use rand::RngExt;
use shared::ids::{EventId, TillId};
use shared::sync::{EventOutcome, PROTOCOL_VERSION, PushRequest, PushResponse, SeqGap};
use tokio::sync::{Notify, watch};

pub use authority::HqAuthority;
pub use client::{HqClient, SyncError, Timeouts, normalise_url};

use crate::engine::TillIdentity;
use crate::store::Store;

/// Meta keys the enrolment stores.
pub const META_HQ_URL: &str = "hq_url";
pub const META_TOKEN: &str = "till_token";

/// How the sync task behaves.
#[derive(Clone, Debug)]
pub struct SyncConfig {
    pub store_path: PathBuf,
    /// Events per push.
    pub batch_size: usize,
    /// Changes per pull page.
    pub page_size: u32,
    /// How often an idle, online till looks for work (new outbox events, HQ changes).
    pub interval: Duration,
    /// The first retry delay after HQ could not be reached; doubles up to `max_backoff`, with jitter.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    pub timeouts: Timeouts,
    /// How often the complaint categories are pulled again (they are not on the change feed).
    pub categories_every: Duration,
}

impl SyncConfig {
    pub fn new(store_path: impl Into<PathBuf>) -> SyncConfig {
        SyncConfig {
            store_path: store_path.into(),
            batch_size: 200,
            page_size: 2_000,
            interval: Duration::from_secs(5),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(120),
            timeouts: Timeouts::default(),
            categories_every: Duration::from_secs(300),
        }
    }
}

/// What the UI shows of the till's connection to HQ.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncStatus {
    pub online: bool,
    /// When HQ stopped answering (while offline).
    pub offline_since: Option<Timestamp>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Events not yet accepted or rejected by HQ.
    pub pending_events: u64,
    /// Events HQ rejected (kept, for the manager).
    pub rejected_events: u64,
    pub last_push: Option<Timestamp>,
    pub last_pull: Option<Timestamp>,
    /// While pulling: (cursor, HQ's newest change).
    pub pull_progress: Option<(u64, u64)>,
    /// Till clock minus HQ clock, from the last push.
    pub clock_skew_seconds: Option<i64>,
    pub clock_warning: Option<String>,
    /// A hole HQ sees in this till's event sequence.
    pub gap: Option<SeqGap>,
    /// Set when HQ revoked the till: syncing has stopped, with HQ's reason.
    pub revoked: Option<String>,
    /// Complaints taken here and not yet sent to HQ.
    pub complaints_waiting: u64,
    /// Lines counted here (count mode) and not yet sent to HQ.
    pub count_lines_waiting: u64,
    /// HQ's time when the last pull of the branch's on hand finished.
    pub stock_as_of: Option<Timestamp>,
}

/// Enrols this till at HQ with a one-time code, stores its identity and token, and pulls the
/// catalog and settings page by page (`progress(cursor, latest)` after each page).
pub async fn enrol(
    hq_url: &str,
    code: &str,
    device_name: &str,
    store_path: &Path,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<TillIdentity, SyncError> {
    let client = HqClient::new(hq_url, None, Timeouts::default())?;
    let answer = client.enrol(code, device_name).await?;
    let identity = TillIdentity { till: answer.till, number: answer.till_number, branch_code: answer.branch_code };
    let (path, id, url, token) =
        (store_path.to_path_buf(), identity.clone(), client.base_url().to_owned(), answer.token.clone());
    blocking(move || {
        let mut store = Store::open(&path)?;
        id.save(&mut store)?;
        store.set_meta(META_HQ_URL, &url)?;
        store.set_meta(META_TOKEN, &token)?;
        Ok(())
    })
    .await?;
    let client = client.with_token(answer.token);
    let mut store = blocking({
        let path = store_path.to_path_buf();
        move || Ok(Store::open(&path)?)
    })
    .await?;
    loop {
        let cursor = store.pull_cursor()?;
        let page = client.pull(cursor, 5_000).await?;
        let (next, latest, more) = (page.next_cursor, page.latest, page.has_more);
        store = blocking(move || {
            store.apply_pull_page(&page)?;
            Ok(store)
        })
        .await?;
        progress(next, latest);
        if !more {
            break;
        }
    }
    // The complaint categories are HQ's list, not a change: an HQ without them (or down just
    // now) leaves the till without categories until the sync task pulls them.
    match client.complaint_categories().await {
        Ok(categories) => {
            blocking(move || Ok(store.replace_complaint_categories(&categories)?)).await?;
        }
        Err(e) => tracing::warn!(error = %e, "complaint categories not pulled at enrolment"),
    }
    Ok(identity)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| SyncError::BadAnswer(format!("background task failed: {e}")))?
}

/// The client for an enrolled till, from what its database holds.
pub fn client_for(store: &Store, timeouts: Timeouts) -> Result<HqClient, SyncError> {
    let url = store.meta(META_HQ_URL)?.ok_or(SyncError::NotEnrolled)?;
    let token = store.meta(META_TOKEN)?.ok_or(SyncError::NotEnrolled)?;
    HqClient::new(&url, Some(token), timeouts)
}

/// A running sync task. Dropping the handle stops the task.
pub struct SyncHandle {
    status: watch::Receiver<SyncStatus>,
    wake: Arc<Notify>,
    stop: Arc<Notify>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SyncHandle {
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// A receiver that changes whenever the status does (for an iced subscription).
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    /// Push and pull now (after a sale), instead of at the next interval. While HQ is unreachable
    /// this does not cut the backoff short.
    pub fn push_now(&self) {
        self.wake.notify_one();
    }

    /// Stops the task and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the background sync of an enrolled till.
pub fn start(config: SyncConfig) -> Result<SyncHandle, SyncError> {
    let store = Store::open(&config.store_path)?;
    let client = client_for(&store, config.timeouts)?;
    let till = TillIdentity::load(&store)?.ok_or(SyncError::NotEnrolled)?.till;
    let (tx, rx) = watch::channel(SyncStatus {
        pending_events: store.pending_count()?,
        complaints_waiting: store.pending_complaint_count()?,
        count_lines_waiting: store.pending_count_lines()?,
        stock_as_of: store.stock_as_of()?,
        ..SyncStatus::default()
    });
    let wake = Arc::new(Notify::new());
    let stop = Arc::new(Notify::new());
    let (w, s) = (wake.clone(), stop.clone());
    let thread = std::thread::Builder::new()
        .name("till-sync".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "sync runtime");
                    return;
                }
            };
            rt.block_on(run(Task { config, store, client, till, status: tx, categories_at: None }, w, s));
        })
        .map_err(|e| SyncError::BadAnswer(format!("cannot start the sync thread: {e}")))?;
    Ok(SyncHandle { status: rx, wake, stop, thread: Some(thread) })
}

struct Task {
    config: SyncConfig,
    store: Store,
    client: HqClient,
    till: TillId,
    status: watch::Sender<SyncStatus>,
    /// When the complaint categories were last pulled.
    categories_at: Option<std::time::Instant>,
}

async fn run(mut task: Task, wake: Arc<Notify>, stop: Arc<Notify>) {
    let mut failures: u32 = 0;
    loop {
        let delay = match task.round().await {
            Ok(()) => {
                failures = 0;
                task.config.interval
            }
            Err(SyncError::Revoked(why)) => {
                tracing::warn!(%why, "till revoked; sync stopped");
                task.status.send_modify(|s| {
                    s.online = false;
                    s.revoked = Some(why);
                });
                return;
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let now = Timestamp::now();
                let unreachable = e.is_unreachable();
                // What waits is counted here too: while HQ does not answer, sales made since the
                // last answer must show as waiting.
                let pending = task.store.pending_count().ok();
                let complaints = task.store.pending_complaint_count().ok();
                let counted = task.store.pending_count_lines().ok();
                task.status.send_modify(|s| {
                    if let Some(n) = counted {
                        s.count_lines_waiting = n;
                    }
                    if unreachable {
                        s.online = false;
                        s.offline_since.get_or_insert(now);
                    }
                    s.last_error = Some(e.to_string());
                    s.pull_progress = None;
                    if let Some(n) = pending {
                        s.pending_events = n;
                    }
                    if let Some(n) = complaints {
                        s.complaints_waiting = n;
                    }
                });
                backoff(&task.config, failures)
            }
        };
        let offline = failures > 0;
        tokio::select! {
            _ = stop.notified() => return,
            _ = tokio::time::sleep(delay) => {}
            // A nudge (a sale was completed) works at once unless HQ is down (then the backoff holds).
            _ = wake.notified(), if !offline => {}
        }
    }
}

/// Exponential backoff with equal jitter: after the n-th failure in a row, a random delay between
/// half and all of `min · 2^(n-1)`, capped at `max`. The random half spreads a fleet of tills
/// coming back at once; the fixed half keeps a till that has just failed from retrying at once
/// (full jitter, 0 to the cap, would let it retry within milliseconds).
fn backoff(config: &SyncConfig, failures: u32) -> Duration {
    backoff_with(config, failures, &mut rand::rng())
}

fn backoff_with(config: &SyncConfig, failures: u32, rng: &mut impl rand::Rng) -> Duration {
    let exp = config.min_backoff.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    let cap = exp.min(config.max_backoff);
    let millis = cap.as_millis().max(1) as u64;
    Duration::from_millis(rng.random_range(millis / 2..=millis))
}

/// The next push of an enrolled till, without I/O: the oldest pending events of the outbox (at
/// most `batch`), as the request HQ receives, with `ids` to match the answer to. `None` when the
/// outbox is empty. The sync task and the deterministic simulation (`tests::sim`) both use it.
pub fn next_push(
    store: &Store,
    till: TillId,
    batch: usize,
    now: Timestamp,
) -> Result<Option<(Vec<EventId>, PushRequest)>, SyncError> {
    let pending = store.pending_events(batch)?;
    if pending.is_empty() {
        return Ok(None);
    }
    let ids: Vec<EventId> = pending.iter().map(|e| e.envelope.id).collect();
    let request = PushRequest {
        protocol: PROTOCOL_VERSION,
        till,
        events: pending.into_iter().map(|e| e.envelope).collect(),
        sent_at: Some(now),
    };
    Ok(Some((ids, request)))
}

/// What HQ's answer to a push changes at the till, without I/O: each event HQ answered for is
/// marked sent (accepted, or a duplicate of one HQ has) or rejected with HQ's reason, never to be
/// sent again; HQ's audit head is kept as a witness. An answer for fewer events than were sent is
/// applied as far as it goes and then is an error, so the rest is sent again.
pub fn absorb_push(store: &mut Store, ids: &[EventId], answer: &PushResponse) -> Result<(), SyncError> {
    let outcomes: Vec<(EventId, Result<(), String>)> = answer
        .results
        .iter()
        .filter(|r| ids.contains(&r.id))
        .map(|r| {
            let o = match &r.outcome {
                EventOutcome::Accepted | EventOutcome::Duplicate => Ok(()),
                EventOutcome::Rejected { reason } => Err(reason.clone()),
            };
            (r.id, o)
        })
        .collect();
    store.mark_events(&outcomes)?;
    if let Some(head) = &answer.audit_head {
        store.record_witness(head, answer.received_at)?;
    }
    if outcomes.len() < ids.len() {
        return Err(SyncError::BadAnswer(format!("HQ answered for {} of {} events", outcomes.len(), ids.len())));
    }
    Ok(())
}

/// What a complaint's send comes to.
#[derive(Debug)]
pub enum ComplaintVerdict {
    /// HQ has it (recorded now, or before under the same request id): its id.
    Sent(i64),
    /// HQ refused what it says (HQ's message): kept, never sent again.
    Refused(String),
    /// No answer about the complaint itself (HQ unreachable, busy, failing, this till not
    /// accepted): it stays pending and goes later.
    Later(SyncError),
}

/// Reads HQ's answer to a complaint sent, without I/O. A 4xx refusal is about the complaint
/// unless it is about the till (401), the request's timing (408, 429) or an HQ without the
/// endpoint (`no_route`).
pub fn complaint_verdict(answer: Result<i64, SyncError>) -> ComplaintVerdict {
    match answer {
        Ok(id) => ComplaintVerdict::Sent(id),
        Err(SyncError::Refused { status, code, message })
            if (400..500).contains(&status) && !matches!(status, 401 | 408 | 429) && code != "no_route" =>
        {
            ComplaintVerdict::Refused(if message.is_empty() { format!("HTTP {status} {code}") } else { message })
        }
        Err(e) => ComplaintVerdict::Later(e),
    }
}

impl Task {
    /// One round: push everything pending, send the complaints taken (after the events, so a
    /// member enrolled here is at HQ before a complaint naming them), then pull everything new.
    async fn round(&mut self) -> Result<(), SyncError> {
        self.push_all().await?;
        self.send_complaints().await?;
        self.send_count_lines().await?;
        self.pull_all().await?;
        self.pull_stock().await?;
        self.pull_counts().await?;
        self.pull_categories().await?;
        let (pending, rejected) = (self.store.pending_count()?, self.store.rejected_count()?);
        let complaints = self.store.pending_complaint_count()?;
        let (counted, stock_as_of) = (self.store.pending_count_lines()?, self.store.stock_as_of()?);
        self.status.send_modify(|s| {
            s.count_lines_waiting = counted;
            s.stock_as_of = stock_as_of;
            s.online = true;
            s.offline_since = None;
            s.last_error = None;
            s.pending_events = pending;
            s.rejected_events = rejected;
            s.complaints_waiting = complaints;
        });
        Ok(())
    }

    /// Sends the complaints waiting, oldest first, each until HQ answers for it: HQ has it (sent),
    /// or HQ refused it (kept with the reason). HQ not answering ends the round (they wait); an
    /// error of HQ's own (5xx) leaves the rest for the next round without holding up the sync.
    async fn send_complaints(&mut self) -> Result<(), SyncError> {
        for c in self.store.pending_complaints(100)? {
            let id = c.body.request_id;
            let answer = self.client.send_complaint(&c.body).await;
            match complaint_verdict(answer) {
                ComplaintVerdict::Sent(hq_id) => self.store.mark_complaint(id, Ok(hq_id))?,
                ComplaintVerdict::Refused(why) => {
                    tracing::warn!(request = %id, %why, "HQ refused a complaint; kept for the manager");
                    self.store.mark_complaint(id, Err(why))?;
                }
                ComplaintVerdict::Later(e) => {
                    self.store.note_complaint_attempt(id)?;
                    if e.is_unreachable() || matches!(e, SyncError::Unauthorized(_) | SyncError::Revoked(_)) {
                        return Err(e);
                    }
                    tracing::warn!(request = %id, error = %e, "a complaint waits for the next round");
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Pulls the complaint categories when they are due (the first round, then every
    /// `categories_every`). An HQ that does not offer them is logged, not an error.
    async fn pull_categories(&mut self) -> Result<(), SyncError> {
        if self.categories_at.is_some_and(|at| at.elapsed() < self.config.categories_every) {
            return Ok(());
        }
        match self.client.complaint_categories().await {
            Ok(categories) => self.store.replace_complaint_categories(&categories)?,
            Err(e) if e.is_unreachable() => return Err(e),
            Err(e) => tracing::warn!(error = %e, "complaint categories not pulled"),
        }
        self.categories_at = Some(std::time::Instant::now());
        Ok(())
    }

    /// Sends the lines counted here, batch by batch (a batch sent before and not answered goes
    /// again under its id), until none waits: HQ entered it (now or before), or refused it (its
    /// lines kept with the reason). HQ not answering ends the round; an error of HQ's own leaves
    /// them for the next round.
    async fn send_count_lines(&mut self) -> Result<(), SyncError> {
        while let Some(batch) = self.store.next_count_batch(shared::till_stock::MAX_COUNT_LINES)? {
            let body = shared::till_stock::TillCountEntries {
                batch_id: batch.batch_id,
                counter: batch.counter.clone(),
                lines: batch.lines.clone(),
            };
            let answer = self.client.send_count_lines(batch.count_id, &body).await.map(|_| 0);
            match complaint_verdict(answer) {
                ComplaintVerdict::Sent(_) => self.store.mark_count_batch(batch.batch_id, Ok(()))?,
                ComplaintVerdict::Refused(why) => {
                    tracing::warn!(batch = %batch.batch_id, count = batch.count_id, %why, "HQ refused counted lines");
                    self.store.mark_count_batch(batch.batch_id, Err(why))?;
                }
                ComplaintVerdict::Later(e) => {
                    if e.is_unreachable() || matches!(e, SyncError::Unauthorized(_) | SyncError::Revoked(_)) {
                        return Err(e);
                    }
                    tracing::warn!(batch = %batch.batch_id, error = %e, "counted lines wait for the next round");
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Pulls the branch's on hand written since the last pull, page by page (after the catalog,
    /// so its products are here). An HQ without the route is logged, not an error.
    async fn pull_stock(&mut self) -> Result<(), SyncError> {
        loop {
            let cursor = self.store.stock_cursor()?;
            let page = match self.client.stock(cursor.as_deref(), self.config.page_size).await {
                Ok(p) => p,
                Err(SyncError::Refused { code, .. }) if code == "no_route" => {
                    tracing::warn!("HQ does not offer on hand to tills");
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            let more = page.has_more;
            self.store.apply_stock_page(&page)?;
            if !more {
                return Ok(());
            }
        }
    }

    /// Pulls the branch's open counts (the whole list: a few). An HQ without the route is logged.
    async fn pull_counts(&mut self) -> Result<(), SyncError> {
        match self.client.open_counts().await {
            Ok(counts) => self.store.replace_open_counts(&counts)?,
            Err(SyncError::Refused { code, .. }) if code == "no_route" => {
                tracing::warn!("HQ does not offer counts to tills");
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    async fn push_all(&mut self) -> Result<(), SyncError> {
        loop {
            let Some((ids, request)) = next_push(&self.store, self.till, self.config.batch_size, Timestamp::now())?
            else {
                return Ok(());
            };
            let answer = match self.client.push(&request).await {
                Ok(a) => a,
                Err(e) => {
                    if e.is_unreachable() {
                        self.store.note_attempt(&ids)?;
                    }
                    return Err(e);
                }
            };
            let absorbed = absorb_push(&mut self.store, &ids, &answer);
            let (pending, rejected) = (self.store.pending_count()?, self.store.rejected_count()?);
            self.status.send_modify(|s| {
                s.online = true;
                s.offline_since = None;
                s.last_push = Some(answer.received_at);
                s.clock_skew_seconds = Some(answer.clock_skew_seconds);
                s.clock_warning = answer.clock_warning.clone();
                s.gap = answer.gap;
                s.pending_events = pending;
                s.rejected_events = rejected;
            });
            absorbed?;
        }
    }

    async fn pull_all(&mut self) -> Result<(), SyncError> {
        loop {
            let cursor = self.store.pull_cursor()?;
            let page = self.client.pull(cursor, self.config.page_size).await?;
            let (next, latest, more, empty) = (page.next_cursor, page.latest, page.has_more, page.changes.is_empty());
            if !empty || next != cursor {
                self.store.apply_pull_page(&page)?;
            }
            let now = Timestamp::now();
            self.status.send_modify(|s| {
                s.online = true;
                s.offline_since = None;
                s.last_pull = Some(now);
                s.pull_progress = more.then_some((next, latest));
            });
            if !more {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complaint_is_refused_only_for_what_it_says() {
        let refused = |status: u16, code: &str| {
            complaint_verdict(Err(SyncError::Refused { status, code: code.into(), message: "m".into() }))
        };
        assert!(matches!(complaint_verdict(Ok(7)), ComplaintVerdict::Sent(7)));
        assert!(matches!(refused(422, "validation"), ComplaintVerdict::Refused(m) if m == "m"));
        assert!(matches!(refused(400, "bad_request"), ComplaintVerdict::Refused(_)));
        for (status, code) in [(404, "no_route"), (408, ""), (429, "rate_limited"), (500, "internal")] {
            assert!(matches!(refused(status, code), ComplaintVerdict::Later(_)), "{status} {code}");
        }
        assert!(matches!(complaint_verdict(Err(SyncError::Unreachable("x".into()))), ComplaintVerdict::Later(_)));
        assert!(matches!(complaint_verdict(Err(SyncError::Unauthorized("x".into()))), ComplaintVerdict::Later(_)));
    }

    /// Equal jitter, as `backoff` says: with min 1 s and max 120 s, the n-th failure waits between
    /// half and all of 1 s · 2^(n-1), capped at 120 s. Seeded, so a failure replays.
    #[test]
    fn backoff_is_exponential_with_equal_jitter_and_capped() {
        use rand::SeedableRng;
        let c = SyncConfig::new("x");
        let mut rng = rand::rngs::StdRng::seed_from_u64(24);
        let ms = |d: Duration| d.as_millis() as u64;
        // (failures, lowest allowed, highest allowed) in ms.
        for (failures, lo, hi) in [
            (1, 500, 1_000),
            (2, 1_000, 2_000),
            (3, 2_000, 4_000),
            (7, 32_000, 64_000),
            (8, 60_000, 120_000),
            (40, 60_000, 120_000),
        ] {
            let draws: Vec<u64> = (0..2_000).map(|_| ms(backoff_with(&c, failures, &mut rng))).collect();
            let (min, max) = (*draws.iter().min().expect("draws"), *draws.iter().max().expect("draws"));
            assert!(min >= lo && max <= hi, "failure {failures}: {min}..={max} ms outside {lo}..={hi}");
            // The draws cover the range: within 2% of each end (2,000 uniform draws miss that with
            // probability below 1e-17).
            let slack = (hi - lo) / 50;
            assert!(
                min <= lo + slack && max >= hi - slack,
                "failure {failures}: {min}..={max} ms does not spread over {lo}..={hi}"
            );
        }
        // The thread's generator in production stays in the same bounds.
        assert!((500..=1_000).contains(&ms(backoff(&c, 1))));
    }
}
