//! A deterministic simulation of tills and HQ with seeded faults, and a checker.
//!
//! The parts are the real ones: each till is the real engine (`pos_app::Till`) over its own
//! SQLite file; HQ is the real store (`hq_server::SqlStore`) over its own SQLite file; pushes and
//! pulls go through the same code the HTTP handlers and the sync task run
//! (`hq_server::push::receive`, `pos_app::sync::next_push` / `absorb_push`), encoded as JSON as on
//! the wire. What is simulated is the network between them, time, and the faults. One thread
//! takes every step, in the order a seeded generator chooses, so a seed replays the same run:
//! the schedule, the faults and every outcome (ids are random UUIDs, but nothing the checker or
//! the trace looks at depends on them).
//!
//! Faults, each at a rate of the run's [`Faults`]:
//! - a push request lost on the way (HQ never sees it), or its answer lost (HQ did the work);
//! - a request delivered twice; requests and answers delivered in any order (the network picks
//!   any message in flight, and a till that has waited long enough sends again);
//! - HQ killed mid-commit: the push is processed and the process dies before the commit is
//!   durable (the database files are put back as they were before it, and HQ restarts);
//!   HQ killed between requests (restarts over its files);
//! - a till killed mid-sale (the engine is dropped with a sale open and reopened over its file);
//! - a full disk at the till when a sale completes (the sale stays open; completed later);
//! - each till's clock off HQ's by a seeded skew of up to ± `max_skew`.
//!
//! After the run, the network is healed and everything is delivered; [`check`] then asks: is
//! every event a till recorded at HQ exactly once with the same outcome at both ends, every
//! sale HQ accepted stored once with the amount the till took, no sequence gap open, every
//! member's points what the tills' accepted sales and refunds say from the opening balance
//! (nothing created from nothing), HQ's balances consistent with its ledger, and every till's
//! copy of its members converged to HQ's.

mod check;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hq_server::demo::{DemoOptions, DemoSummary};
use hq_server::store::{MemberStore as _, SyncStore as _};
use hq_server::{Clock, SqlStore};
use jiff::{SignedDuration, Timestamp};
use pos_app::Till;
use pos_app::authority::Offline;
use pos_app::clock::{Clock as _, ManualClock};
use pos_app::engine::TillIdentity;
use pos_app::peripherals::NoDevices;
use pos_app::store::Store;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shared::catalog::MemberCode;
use shared::ids::{EventId, MemberId};
use shared::member::MemberIdentifier;
use shared::money::{Money, Qty};
use shared::receipt::ReceiptNo;
use shared::sale::ReturnPick;
use shared::sync::{EnrolRequest, PROTOCOL_VERSION, PullResponse, PushRequest, PushResponse};

pub use check::Violation;

/// Fault rates, in events per thousand chances.
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    pub drop_request: u32,
    pub drop_answer: u32,
    pub duplicate: u32,
    /// HQ dies while committing a push (nothing of it is kept; the till hears nothing).
    pub hq_crash_mid_commit: u32,
    /// HQ dies between requests and starts again over its files.
    pub hq_restart: u32,
    /// A till dies with a sale open and starts again over its file.
    pub till_crash_mid_sale: u32,
    /// The till's disk is full when a sale completes.
    pub disk_full: u32,
    /// The largest clock skew of a till against HQ.
    pub max_skew: SignedDuration,
}

impl Faults {
    /// Every fault, often: what the suite and the campaign run.
    pub fn all() -> Faults {
        Faults {
            drop_request: 120,
            drop_answer: 120,
            duplicate: 80,
            hq_crash_mid_commit: 40,
            hq_restart: 10,
            till_crash_mid_sale: 40,
            disk_full: 60,
            max_skew: SignedDuration::from_mins(20),
        }
    }

    pub fn none() -> Faults {
        Faults {
            drop_request: 0,
            drop_answer: 0,
            duplicate: 0,
            hq_crash_mid_commit: 0,
            hq_restart: 0,
            till_crash_mid_sale: 0,
            disk_full: 0,
            max_skew: SignedDuration::ZERO,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct SimConfig {
    pub seed: u64,
    /// Scheduler steps (each one action: a scan, a payment, a push, a delivery, a fault…).
    pub steps: u32,
    pub faults: Faults,
}

impl SimConfig {
    pub fn new(seed: u64) -> SimConfig {
        SimConfig { seed, steps: 400, faults: Faults::all() }
    }
}

/// What a run did, for the trace and the campaign's totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimReport {
    pub seed: u64,
    pub sales: u32,
    pub refunds: u32,
    pub member_sales: u32,
    /// Sales a promotion took something off.
    pub promotion_sales: u32,
    pub pushes: u32,
    pub delivered: u32,
    pub dropped_requests: u32,
    pub dropped_answers: u32,
    pub duplicates: u32,
    pub hq_crashes: u32,
    pub hq_restarts: u32,
    pub till_crashes: u32,
    pub disk_full: u32,
    pub events: u32,
    pub rejected: u32,
    /// One line per step (no random ids): two runs of one seed give the same trace.
    pub trace: Vec<String>,
}

/// When a till that heard nothing sends its outbox again (simulated time).
const RESEND_AFTER: SignedDuration = SignedDuration::from_secs(30);
const BATCH: usize = 4;
const MANAGER: (&str, &str) = ("9001", "9999");

enum Message {
    Push { till: usize, body: String },
    Answer { till: usize, ids: Vec<EventId>, body: String },
}

struct SimTill {
    path: PathBuf,
    engine: Option<Till>,
    clock: ManualClock,
    skew: SignedDuration,
    /// HQ's record of the till (what its token stands for).
    hq: hq_server::model::Till,
    barcodes: Vec<String>,
    /// When it last sent its outbox and heard nothing yet.
    waiting_since: Option<Timestamp>,
    receipts: Vec<ReceiptNo>,
}

struct Hq {
    path: PathBuf,
    clock: Clock,
    store: Option<SqlStore>,
}

impl Hq {
    fn store(&self) -> &SqlStore {
        self.store.as_ref().expect("HQ is running")
    }

    fn open(&mut self) {
        self.store = Some(SqlStore::open_with_clock(&self.path, self.clock.clone()).expect("HQ opens its database"));
    }

    /// The process dies: its connections go, whatever was not committed is gone.
    fn kill(&mut self) {
        self.store = None;
    }

    fn files(&self) -> [PathBuf; 3] {
        let p = self.path.display().to_string();
        [self.path.clone(), format!("{p}-wal").into(), format!("{p}-shm").into()]
    }
}

pub struct World {
    _dir: tempfile::TempDir,
    rng: StdRng,
    config: SimConfig,
    now: Timestamp,
    hq: Hq,
    tills: Vec<SimTill>,
    network: VecDeque<Message>,
    members: Vec<(MemberId, MemberIdentifier)>,
    /// HQ's members' points before the run.
    opening_points: Vec<(MemberId, i64)>,
    report: SimReport,
}

/// Runs one seed: the scheduled steps with faults, then a healed network until every till's
/// outbox is empty, then the checker. Returns the report, or the first violation found.
pub fn run(config: SimConfig) -> Result<SimReport, Violation> {
    run_then(config, |_| {})
}

/// The same, with `before_check` given HQ's store after the run and before the checker: the
/// checker's own tests break HQ there and expect a violation.
pub fn run_then(config: SimConfig, before_check: impl FnOnce(&SqlStore)) -> Result<SimReport, Violation> {
    let mut world = World::new(config);
    for step in 0..config.steps {
        world.step(step);
    }
    world.heal();
    before_check(world.hq.store());
    let report = world.report.clone();
    check::check(&world).map(|()| report)
}

impl World {
    fn new(config: SimConfig) -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        // 10:00 in Shanghai: the run stays inside one business day.
        let start: Timestamp = "2026-11-30T02:00:00Z".parse().expect("time");
        let mut hq = Hq { path: dir.path().join("hq.sqlite"), clock: Clock::manual(start), store: None };
        hq.open();
        // The demo's promotions too: every sale is priced by the engine at the till and again at HQ.
        let options = DemoOptions { seed: config.seed, promotions: true, ..DemoOptions::small() };
        let demo = hq_server::demo::seed(hq.store(), &options).expect("demo chain");
        let mut rng = StdRng::seed_from_u64(config.seed);
        let tills = enrol_tills(&dir, &hq, &demo, &config, &mut rng, start);
        let members: Vec<(MemberId, MemberIdentifier)> = demo
            .members
            .iter()
            .map(|m| (m.id, MemberIdentifier::Code(MemberCode::parse(&m.code).expect("member code"))))
            .collect();
        let opening_points =
            members.iter().map(|(id, _)| (*id, hq.store().get_member(*id).expect("member").points)).collect();
        World {
            _dir: dir,
            rng,
            config,
            now: start,
            hq,
            tills,
            network: VecDeque::new(),
            members,
            opening_points,
            report: SimReport { seed: config.seed, ..SimReport::default() },
        }
    }

    fn chance(&mut self, per_mille: u32) -> bool {
        per_mille > 0 && self.rng.random_range(0..1000) < per_mille
    }

    fn trace(&mut self, line: String) {
        self.report.trace.push(line);
    }

    /// Time moves 1 to 20 s a step, for HQ and every till (each with its skew).
    fn tick(&mut self) {
        self.now += SignedDuration::from_secs(self.rng.random_range(1..=20));
        self.hq.clock.set(self.now);
        for t in &self.tills {
            t.clock.set(self.now + t.skew);
        }
    }

    fn step(&mut self, step: u32) {
        self.tick();
        if self.hq.store.is_none() {
            self.hq.open();
            self.trace(format!("{step}: HQ starts again"));
        }
        if self.chance(self.config.faults.hq_restart) {
            self.hq.kill();
            self.report.hq_restarts += 1;
            self.trace(format!("{step}: HQ killed between requests"));
            return;
        }
        let i = self.rng.random_range(0..self.tills.len());
        match self.rng.random_range(0..10) {
            0..=3 => self.sell(step, i),
            4 => self.refund(step, i),
            5 | 6 => {
                self.send(step, i, false);
            }
            7 => {
                self.pull(step, i);
            }
            _ => self.deliver(step),
        }
    }

    /// Everything delivered, no faults, until no till has anything to send.
    fn heal(&mut self) {
        self.config.faults = Faults::none();
        if self.hq.store.is_none() {
            self.hq.open();
        }
        for i in 0..self.tills.len() {
            let engine = self.tills[i].engine.as_mut().expect("till");
            if engine.cart().is_some_and(|c| !c.lines.is_empty()) {
                let _ = engine.fault_disk_full(false);
                let _ = self.complete(i);
            }
        }
        for round in 0..10_000u32 {
            while !self.network.is_empty() {
                self.deliver(self.config.steps + round);
            }
            let mut sent = false;
            for i in 0..self.tills.len() {
                sent |= self.send(self.config.steps + round, i, true);
            }
            if !sent && self.network.is_empty() {
                for i in 0..self.tills.len() {
                    while self.pull(self.config.steps + round, i) {}
                }
                return;
            }
        }
        panic!("seed {}: the outboxes never drained", self.config.seed);
    }

    fn engine(&mut self, i: usize) -> &mut Till {
        self.tills[i].engine.as_mut().expect("till engine")
    }

    /// A sale: scan one to three items (a member sometimes), or pay and complete the one open.
    fn sell(&mut self, step: u32, i: usize) {
        let open = self.engine(i).cart().is_some_and(|c| !c.lines.is_empty());
        let paying = self.engine(i).cart().is_some_and(|c| !c.tenders.is_empty());
        if paying || (open && self.rng.random_bool(0.6)) {
            if self.chance(self.config.faults.till_crash_mid_sale) {
                self.crash_till(step, i);
                return;
            }
            if self.chance(self.config.faults.disk_full) {
                self.engine(i).fault_disk_full(true).expect("fault");
                let r = self.complete(i);
                self.engine(i).fault_disk_full(false).expect("fault");
                match r {
                    Err(e) if e.is_disk_full() => {
                        let kept = self.engine(i).cart().is_some_and(|c| !c.lines.is_empty());
                        assert!(kept, "seed {}: a sale refused for a full disk lost its lines", self.config.seed);
                        self.report.disk_full += 1;
                        self.trace(format!("{step}: till {i} disk full at completion; the sale stays open"));
                    }
                    // The file had free pages enough for it: a disk nearly full still sells.
                    Ok(line) => self.trace(format!("{step}: till {i} {line} (disk nearly full)")),
                    Err(e) => panic!("seed {}: completing on a full disk gave {e}", self.config.seed),
                }
                return;
            }
            match self.complete(i) {
                Ok(line) => self.trace(format!("{step}: till {i} {line}")),
                Err(e) => panic!("seed {}: till {i} could not complete a sale: {e}", self.config.seed),
            }
            return;
        }
        let n = self.rng.random_range(0..self.tills[i].barcodes.len());
        let code = self.tills[i].barcodes[n].clone();
        self.engine(i).scan(&code).unwrap_or_else(|e| panic!("scan {code}: {e}"));
        let mut line = format!("{step}: till {i} scans {code}");
        if self.rng.random_bool(0.3) && self.engine(i).cart().is_some_and(|c| c.member.is_none()) {
            let m = self.rng.random_range(0..self.members.len());
            let by = self.members[m].1.clone();
            // The till knows the members of its branch (and those who shopped there); others
            // it could only look up online, which this till cannot.
            if self.engine(i).attach_member(by).is_ok() {
                line.push_str(&format!(" + member {m}"));
            }
        }
        self.trace(line);
    }

    /// Pays the open sale (cash, or card for the exact amount) and completes it.
    fn complete(&mut self, i: usize) -> pos_app::TillResult<String> {
        let card = self.rng.random_bool(0.4);
        let engine = self.engine(i);
        let view = engine.view()?.expect("a sale is open");
        if view.outstanding.0 > 0 {
            if card {
                engine.add_card(view.remaining, "SIM0001")?;
            } else {
                engine.add_cash(Money((view.cash_due.0 + 99) / 100 * 100))?;
            }
        }
        let done = engine.complete(false)?;
        let member = done.sale.member.is_some();
        self.report.sales += 1;
        self.report.member_sales += u32::from(member);
        self.report.promotion_sales += u32::from(done.sale.promotions.as_ref().is_some_and(|p| !p.applied.is_empty()));
        self.tills[i].receipts.push(done.sale.receipt_no.clone());
        Ok(format!(
            "sells {} for {}{}",
            done.sale.receipt_no,
            done.sale.totals.due,
            if member { format!(", {} points", done.sale.points_earned()) } else { String::new() }
        ))
    }

    /// A return of one unit of a line of one of this till's sales.
    fn refund(&mut self, step: u32, i: usize) {
        if self.tills[i].receipts.is_empty() || self.engine(i).cart().is_some_and(|c| !c.lines.is_empty()) {
            return;
        }
        let k = self.rng.random_range(0..self.tills[i].receipts.len());
        let receipt = self.tills[i].receipts[k].clone();
        let engine = self.engine(i);
        let ctx = engine.start_return(&receipt).unwrap_or_else(|e| panic!("return of {receipt}: {e}"));
        let Some(line) = ctx.returnable.iter().position(|q| q.0 >= 1000) else { return };
        let pick = ReturnPick { line, qty: Qty::pieces(1) };
        let (refund, _) = match engine.complete_return(&receipt, &[pick], "sim", None) {
            Ok(done) => done,
            // What is kept would owe the customer's 满减 back: the return waits for a manager.
            Err(pos_app::TillError::Refund(shared::sale::RefundError::ClawbackExceedsRefund { owed })) => {
                self.trace(format!("{step}: till {i} return of {receipt} line {} refused: {owed} owed", line + 1));
                return;
            }
            Err(e) => panic!("return {receipt}: {e}"),
        };
        self.report.refunds += 1;
        self.trace(format!(
            "{step}: till {i} refunds {} of {receipt} line {}, {} points back",
            refund.total,
            line + 1,
            refund.points_taken_back
        ));
    }

    fn crash_till(&mut self, step: u32, i: usize) {
        let t = &mut self.tills[i];
        t.engine = None;
        t.engine = Some(open_engine(&t.path, &t.clock));
        let kept = t.engine.as_ref().is_some_and(|e| e.cart().is_some_and(|c| !c.lines.is_empty()));
        assert!(kept, "seed {}: the sale in progress did not survive the till's crash", self.config.seed);
        let e = t.engine.as_mut().expect("engine");
        e.login(MANAGER.0, MANAGER.1).expect("login after restart");
        self.report.till_crashes += 1;
        self.trace(format!("{step}: till {i} killed mid-sale; restarted with the sale"));
    }

    /// The till sends its outbox if it has waited long enough for an answer (or `force`).
    /// Returns whether it sent anything.
    fn send(&mut self, step: u32, i: usize, force: bool) -> bool {
        let now = self.tills[i].clock.now();
        if !force && self.tills[i].waiting_since.is_some_and(|t| now.duration_since(t) < RESEND_AFTER) {
            return false;
        }
        let t = &self.tills[i];
        let engine = t.engine.as_ref().expect("engine");
        let Some((ids, request)) = pos_app::sync::next_push(engine.store(), t.hq.id, BATCH, now).expect("outbox")
        else {
            return false;
        };
        self.tills[i].waiting_since = Some(now);
        self.report.pushes += 1;
        let body = serde_json::to_string(&request).expect("encode");
        let n = ids.len();
        if self.chance(self.config.faults.drop_request) {
            self.report.dropped_requests += 1;
            self.trace(format!("{step}: till {i} pushes {n} events; the request is lost"));
            return true;
        }
        self.network.push_back(Message::Push { till: i, body });
        self.trace(format!("{step}: till {i} pushes {n} events"));
        true
    }

    /// The network delivers any message in flight (so messages pass each other).
    fn deliver(&mut self, step: u32) {
        if self.network.is_empty() {
            return;
        }
        let k = self.rng.random_range(0..self.network.len());
        let message = self.network.remove(k).expect("message");
        match message {
            Message::Push { till, body } => {
                if self.chance(self.config.faults.duplicate) {
                    self.report.duplicates += 1;
                    self.network.push_back(Message::Push { till, body: body.clone() });
                }
                self.receive(step, till, &body);
            }
            Message::Answer { till, ids, body } => {
                let answer: PushResponse = serde_json::from_str(&body).expect("answer decodes");
                let t = &mut self.tills[till];
                let store = t.engine.as_mut().expect("engine").store_mut();
                let outcome = pos_app::sync::absorb_push(store, &ids, &answer);
                t.waiting_since = None;
                self.trace(format!(
                    "{step}: till {till} hears of {} events{}",
                    answer.results.len(),
                    if outcome.is_err() { " (short)" } else { "" }
                ));
            }
        }
    }

    /// HQ receives a push, as its handler does; it may die before the commit is durable.
    fn receive(&mut self, step: u32, till: usize, body: &str) {
        self.report.delivered += 1;
        let request: PushRequest = serde_json::from_str(body).expect("request decodes");
        let ids: Vec<EventId> = request.events.iter().map(|e| e.id).collect();
        let crash = self.chance(self.config.faults.hq_crash_mid_commit);
        let before = crash.then(|| self.snapshot_hq());
        let hq_till = self.tills[till].hq.clone();
        let answer = hq_server::push::receive(self.hq.store(), &hq_till, request, self.now, Duration::from_secs(300));
        if let Some(files) = before {
            // Killed before the commit reached the disk: the files are as they were.
            self.hq.kill();
            restore(&files);
            self.hq.open();
            self.report.hq_crashes += 1;
            self.trace(format!("{step}: HQ killed committing till {till}'s push; nothing of it kept"));
            return;
        }
        let answer = match answer {
            Ok(a) => a,
            Err(e) => panic!("seed {}: HQ refused a push of till {till} whole: {e:?}", self.config.seed),
        };
        self.report.rejected +=
            answer.results.iter().filter(|r| matches!(r.outcome, shared::sync::EventOutcome::Rejected { .. })).count()
                as u32;
        if self.chance(self.config.faults.drop_answer) {
            self.report.dropped_answers += 1;
            self.trace(format!("{step}: HQ takes till {till}'s push; the answer is lost"));
            return;
        }
        let body = serde_json::to_string(&answer).expect("encode");
        self.network.push_back(Message::Answer { till, ids, body });
        self.trace(format!("{step}: HQ takes till {till}'s push"));
    }

    /// The till pulls one page of changes. Returns whether there is more.
    fn pull(&mut self, step: u32, i: usize) -> bool {
        let t = &mut self.tills[i];
        let store = t.engine.as_mut().expect("engine").store_mut();
        let cursor = store.pull_cursor().expect("cursor");
        let page = self.hq.store.as_ref().expect("HQ").pull(t.hq.branch_id, cursor, 50).expect("pull");
        let page: PullResponse = serde_json::from_str(&hq_server::push::pull_body(&page)).expect("page decodes");
        let more = page.has_more;
        if !page.changes.is_empty() || page.next_cursor != cursor {
            store.apply_pull_page(&page).expect("apply page");
        }
        let n = page.changes.len();
        self.trace(format!("{step}: till {i} pulls {n} changes"));
        more
    }

    /// A copy of HQ's files as they are now (HQ closed first, so the copy is whole).
    fn snapshot_hq(&mut self) -> Vec<(PathBuf, Option<Vec<u8>>)> {
        self.hq.kill();
        let files = self.hq.files().into_iter().map(|p| {
            let bytes = std::fs::read(&p).ok();
            (p, bytes)
        });
        let files = files.collect();
        self.hq.open();
        files
    }
}

fn restore(files: &[(PathBuf, Option<Vec<u8>>)]) {
    for (path, bytes) in files {
        match bytes {
            Some(b) => std::fs::write(path, b).expect("restore"),
            None => {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

fn open_engine(path: &Path, clock: &ManualClock) -> Till {
    let store = Store::open(path).expect("till store");
    Till::open(store, Box::new(clock.clone()), Box::new(Offline), Box::new(NoDevices)).expect("till opens")
}

/// Every demo till enrolled with its one-time code, its first pull applied, a manager logged in
/// with a shift open.
fn enrol_tills(
    dir: &tempfile::TempDir,
    hq: &Hq,
    demo: &DemoSummary,
    config: &SimConfig,
    rng: &mut StdRng,
    start: Timestamp,
) -> Vec<SimTill> {
    let mut tills = Vec::new();
    for branch in &demo.branches {
        for demo_till in &branch.tills {
            let req = EnrolRequest {
                protocol: PROTOCOL_VERSION,
                code: demo_till.enrolment_code.clone(),
                device_name: "sim".into(),
            };
            let (hq_till, token) =
                hq_server::admin::enrol(hq.store(), &req, "sim").expect("enrol").expect("the code is good");
            let path = dir.path().join(format!("till-{}.sqlite", tills.len()));
            let identity = TillIdentity { till: hq_till.id, number: hq_till.number, branch_code: branch.code.clone() };
            let mut store = Store::open(&path).expect("till store");
            identity.save(&mut store).expect("identity");
            store.set_meta(pos_app::sync::META_TOKEN, &token).expect("token");
            loop {
                let page =
                    hq.store().pull(hq_till.branch_id, store.pull_cursor().expect("cursor"), 1_000).expect("pull");
                let page: PullResponse = serde_json::from_str(&hq_server::push::pull_body(&page)).expect("page");
                store.apply_pull_page(&page).expect("apply");
                if !page.has_more {
                    break;
                }
            }
            let barcodes = store.sample_barcodes(12).expect("barcodes");
            let max = config.faults.max_skew.as_secs();
            let skew = SignedDuration::from_secs(if max > 0 { rng.random_range(-max..=max) } else { 0 });
            let clock = ManualClock::new(start + skew);
            drop(store);
            let mut engine = open_engine(&path, &clock);
            engine.login(MANAGER.0, MANAGER.1).expect("login");
            engine.open_shift(crate::float()).expect("shift");
            tills.push(SimTill {
                path,
                engine: Some(engine),
                clock,
                skew,
                hq: hq_till,
                barcodes,
                waiting_since: None,
                receipts: Vec::new(),
            });
        }
    }
    tills
}
