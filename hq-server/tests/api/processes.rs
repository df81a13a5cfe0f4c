//! Two HQ processes on one database, as behind a load balancer: every request goes to either, and
//! what one process did holds for the other (a session, a hold, an event, a sequence). Then one is
//! killed with SIGKILL in the middle of a burst of pushes, and the other carries on with nothing
//! acknowledged lost or doubled. Runs on PostgreSQL in the PostgreSQL pass and on one SQLite file
//! (whose file locks serialise the two processes' writers) otherwise.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hq_server::fixtures::TillRef;
use hq_server::model::{Actor, Adjustment, NewMember, Role};
use hq_server::store::{MemberStore, SyncStore};
use hq_server::testing::TestDb;
use hq_server::{Clock, Location, SqlStore};
use serde_json::{Value, json};
use shared::Money;
use shared::ids::{HoldId, SaleId};
use shared::sync::{EnrolRequest, EnrolResponse, EventEnvelope, PROTOCOL_VERSION, PushRequest};

use crate::helpers::{ADMIN_PASSWORD, sale_event};

/// One `hq-server serve` process; killed when dropped.
struct HqProcess {
    child: Child,
    url: String,
}

impl HqProcess {
    fn start(db: &TestDb) -> HqProcess {
        let url = match &db.location {
            Location::Sqlite(p) => format!("sqlite:{}", p.display()),
            Location::Postgres(u) => u.clone(),
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_hq-server"))
            .args(["--db", &url, "--audit-key"])
            .arg(&db.audit_key)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start hq-server");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let url = loop {
            let line = lines.next().expect("HQ said where it listens").expect("stderr line");
            if let Some(addr) = line.split("HQ listening on ").nth(1) {
                break addr.trim().to_owned();
            }
        };
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        HqProcess { child, url }
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for HqProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The demo chain (small), a member with 100 points and an admin, written by this process.
fn seeded(location: &Location, key: &Path) -> (SqlStore, hq_server::demo::DemoSummary, shared::ids::MemberId) {
    let store = SqlStore::open_location(location, Clock::system(), Some(key)).expect("store");
    let demo = hq_server::demo::seed(
        &store,
        &hq_server::demo::DemoOptions { products: 10, ..hq_server::demo::DemoOptions::small() },
    )
    .expect("seed");
    hq_server::admin::add_user(&store, &Actor::system(), "root", "Root", Role::Admin, None, ADMIN_PASSWORD)
        .expect("admin");
    let m = store
        .create_member(&Actor::system(), NewMember { name: "两边".into(), ..NewMember::default() })
        .expect("member");
    store
        .adjust(
            &Actor::system(),
            m.id,
            Adjustment { points: 100, principal: Money::ZERO, bonus: Money::ZERO, reason: "test".into() },
        )
        .expect("adjust")
        .expect("accepted");
    (store, demo, m.id)
}

async fn enrol(client: &reqwest::Client, hq: &str, code: &str) -> (TillRef, String) {
    let e: EnrolResponse = client
        .post(format!("{hq}/api/v1/sync/enrol"))
        .json(&EnrolRequest { protocol: PROTOCOL_VERSION, code: code.to_owned(), device_name: "lb".into() })
        .send()
        .await
        .expect("enrol")
        .json()
        .await
        .expect("enrolled");
    (TillRef { till: e.till, number: e.till_number, branch: e.branch, branch_code: e.branch_code }, e.token)
}

async fn push(
    client: &reqwest::Client,
    hq: &str,
    token: &str,
    till: &TillRef,
    events: &[EventEnvelope],
) -> reqwest::Result<Value> {
    let body = PushRequest { protocol: PROTOCOL_VERSION, till: till.till, events: events.to_vec(), sent_at: None };
    let r = client.post(format!("{hq}/api/v1/sync/push")).header("x-till-token", token).json(&body).send().await?;
    r.error_for_status()?.json().await
}

fn statuses(r: &Value) -> Vec<String> {
    r["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["outcome"]["status"].as_str().expect("status").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_database_act_as_one_hq() {
    let dir = tempfile::tempdir().expect("dir");
    let db = TestDb::new(dir.path());
    let (store, demo, member) = tokio::task::spawn_blocking({
        let (location, key) = (db.location.clone(), db.audit_key.clone());
        move || seeded(&location, &key)
    })
    .await
    .expect("join");
    let (a, b) = (HqProcess::start(&db), HqProcess::start(&db));
    let hqs = [a.url.clone(), b.url.clone()];
    let client = reqwest::Client::new();

    // A session made at one is good at the other.
    let login = client
        .post(format!("{}/api/v1/session", hqs[0]))
        .json(&json!({"username": "root", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert!(login.status().is_success(), "{}", login.status());
    let cookie = login.headers()["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair").to_owned();
    let branches =
        client.get(format!("{}/api/v1/branches", hqs[1])).header("cookie", &cookie).send().await.expect("get");
    assert_eq!(branches.status().as_u16(), 200, "the session made at A is known at B");

    // Each till enrols at one and pushes to the other.
    let tills = &demo.branches[0].tills;
    let mut enrolled = Vec::new();
    for (i, t) in tills.iter().enumerate() {
        enrolled.push(enrol(&client, &hqs[i % 2], &t.enrolment_code).await);
    }

    // Twenty holds for the last 100 points, half at each process: exactly one wins.
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (client, url, token, barrier) =
                (client.clone(), hqs[i % 2].clone(), enrolled[i % enrolled.len()].1.clone(), barrier.clone());
            tokio::spawn(async move {
                let body = json!({"hold": HoldId::new(), "member": member, "sale": SaleId::new(),
                                  "amount": {"kind": "points", "points": 100, "value": 100}});
                barrier.wait().await;
                let r = client
                    .post(format!("{url}/api/v1/till/holds"))
                    .header("x-till-token", token)
                    .json(&body)
                    .send()
                    .await
                    .expect("sent");
                (r.status().as_u16(), r.json::<Value>().await.expect("json"))
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.expect("task") {
            (200, _) => won += 1,
            (409, body) => assert_eq!(body["error"], "insufficient_points", "{body}"),
            (status, body) => panic!("unexpected {status}: {body}"),
        }
    }
    assert_eq!(won, 1, "exactly one hold for the last 100 points across both processes");

    // The same batch sent to both at once is stored once: each event accepted by one, a
    // duplicate at the other.
    let (till, token) = &enrolled[0];
    let batch: Vec<_> = (1..=3).map(|seq| sale_event(till, seq)).collect();
    let (ra, rb) =
        tokio::join!(push(&client, &hqs[0], token, till, &batch), push(&client, &hqs[1], token, till, &batch));
    let (ra, rb) = (statuses(&ra.expect("A answers")), statuses(&rb.expect("B answers")));
    for i in 0..3 {
        let mut pair = [ra[i].as_str(), rb[i].as_str()];
        pair.sort_unstable();
        assert_eq!(pair, ["accepted", "duplicate"], "event {i}: {ra:?} / {rb:?}");
    }
    // A gap seen by one is filled through the other.
    let r = push(&client, &hqs[1], token, till, &[sale_event(till, 5)]).await.expect("push");
    assert_eq!((r["gap"]["expected"].as_u64(), r["gap"]["received"].as_u64()), (Some(4), Some(5)), "{r}");
    let r = push(&client, &hqs[0], token, till, &[sale_event(till, 4)]).await.expect("push");
    assert!(r["gap"].is_null(), "{r}");
    let status = store.sync_status(till.till).expect("status");
    assert_eq!((status.next_seq, status.events_accepted), (6, 5));
    assert!(store.check_balances().expect("balances").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_process_killed_mid_burst_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("dir");
    let db = TestDb::new(dir.path());
    let (store, demo, _) = tokio::task::spawn_blocking({
        let (location, key) = (db.location.clone(), db.audit_key.clone());
        move || seeded(&location, &key)
    })
    .await
    .expect("join");
    let mut a = HqProcess::start(&db);
    let b = HqProcess::start(&db);
    let hqs = [a.url.clone(), b.url.clone()];
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().expect("client");
    let mut enrolled = Vec::new();
    for t in &demo.branches[0].tills {
        enrolled.push(enrol(&client, &hqs[1], &t.enrolment_code).await);
    }

    // Each till pushes 30 sales in batches of 3, to A and B in turn; a request that fails goes to
    // the other process, as a load balancer would send it. A is killed after 12 batches.
    const BATCHES: u64 = 10;
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (i, (till, token)) in enrolled.iter().cloned().enumerate() {
        let (client, hqs, acknowledged) = (client.clone(), hqs.clone(), acknowledged.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..BATCHES {
                let batch: Vec<_> = (1..=3).map(|k| sale_event(&till, n * 3 + k)).collect();
                let mut target = (i + n as usize) % 2;
                let mut tries = 0;
                let answer = loop {
                    match push(&client, &hqs[target], &token, &till, &batch).await {
                        Ok(r) => break r,
                        Err(e) => {
                            tries += 1;
                            assert!(tries < 20, "no process answers: {e}");
                            target = 1 - target;
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                    }
                };
                for s in statuses(&answer) {
                    assert!(s == "accepted" || s == "duplicate", "{answer}");
                }
                ids.extend(batch.iter().map(|e| e.id));
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
            (till, ids)
        }));
    }
    while acknowledged.load(Ordering::SeqCst) < 12 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    a.kill();
    let at_kill = acknowledged.load(Ordering::SeqCst);
    let mut total = 0;
    for t in tasks {
        let (till, ids) = t.await.expect("till task");
        total += ids.len();
        let status = store.sync_status(till.till).expect("status");
        assert_eq!(status.next_seq, BATCHES * 3 + 1, "every event of till {} stored, in order", till.till);
        assert_eq!(status.events_accepted, BATCHES * 3, "and each once");
        let events = store.list_events(till.till, false, 1000).expect("events");
        assert_eq!(events.len(), ids.len());
    }
    assert_eq!(store.list_sales(None, None, 10_000).expect("sales").len(), total, "each sale stored once");
    assert!(at_kill < enrolled.len() * BATCHES as usize, "A was killed with batches still to push ({at_kill} done)");
    // B still serves.
    let (till, token) = &enrolled[0];
    let r = push(&client, &hqs[1], token, till, &[sale_event(till, BATCHES * 3 + 1)]).await.expect("B answers");
    assert_eq!(statuses(&r), ["accepted"]);
}

/// PostgreSQL drops every connection HQ has (what a database restart or failover does to it) in
/// the middle of a burst of pushes, five times: HQ answers the requests it cannot finish with 503
/// and nothing committed, the tills resend, and HQ recovers by itself: nothing acknowledged is
/// lost or doubled, and the next push succeeds at once. (PostgreSQL only: a SQLite file has no
/// connections to lose.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_dropping_every_connection_mid_burst_loses_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let db = TestDb::new(dir.path());
    if !db.is_postgres() {
        eprintln!("PostgreSQL only: set {} to run it", hq_server::testing::PG_ENV);
        return;
    }
    let (store, demo, _) = tokio::task::spawn_blocking({
        let (location, key) = (db.location.clone(), db.audit_key.clone());
        move || seeded(&location, &key)
    })
    .await
    .expect("join");
    let hq = hq_server::Application::build(db.config()).await.expect("build").spawn();
    let client = reqwest::Client::new();
    let mut enrolled = Vec::new();
    for t in &demo.branches[0].tills {
        enrolled.push(enrol(&client, &hq.url(), &t.enrolment_code).await);
    }
    const BATCHES: u64 = 20;
    let done = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (till, token) in enrolled.iter().cloned() {
        let (client, url, done, refused) = (client.clone(), hq.url(), done.clone(), refused.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..BATCHES {
                let batch: Vec<_> = (1..=3).map(|k| sale_event(&till, n * 3 + k)).collect();
                let mut tries = 0;
                loop {
                    match push(&client, &url, &token, &till, &batch).await {
                        Ok(r) => {
                            assert!(statuses(&r).iter().all(|s| s == "accepted" || s == "duplicate"), "{r}");
                            break;
                        }
                        Err(e) => {
                            assert_eq!(e.status().map(|s| s.as_u16()), Some(503), "only 'try again': {e}");
                            refused.fetch_add(1, Ordering::SeqCst);
                            tries += 1;
                            assert!(tries < 50, "HQ does not recover: {e}");
                            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        }
                    }
                }
                done.fetch_add(1, Ordering::SeqCst);
            }
            till
        }));
    }
    let total_batches = enrolled.len() * BATCHES as usize;
    let mut kills = 0;
    let mut killed = 0;
    while kills < 5 && done.load(Ordering::SeqCst) < total_batches {
        let at = done.load(Ordering::SeqCst);
        while done.load(Ordering::SeqCst) == at && done.load(Ordering::SeqCst) < total_batches {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let db_ref = &db;
        killed += tokio::task::block_in_place(|| db_ref.kill_connections());
        kills += 1;
    }
    assert!(kills >= 3 && killed > 0, "connections were dropped mid-burst ({kills} times, {killed} connections)");
    for t in tasks {
        let till = t.await.expect("till task");
        let status = store.sync_status(till.till).expect("status");
        assert_eq!((status.next_seq, status.events_accepted), (BATCHES * 3 + 1, BATCHES * 3), "till {}", till.till);
    }
    let sales = store.list_sales(None, None, 10_000).expect("sales").len();
    assert_eq!(sales, total_batches * 3, "each sale once");
    // Recovered without a restart: the next request is answered at once.
    let (till, token) = &enrolled[0];
    let r =
        push(&client, &hq.url(), token, till, &[sale_event(till, BATCHES * 3 + 1)]).await.expect("answered at once");
    assert_eq!(statuses(&r), ["accepted"]);
    eprintln!("{kills} drops, {killed} connections, {} pushes answered 503 and resent", refused.load(Ordering::SeqCst));
}

/// A console CSV import started through one process is followed to its end on the other: the
/// job's progress and outcome are in the database, so no sticky sessions are needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_console_import_started_at_one_process_is_followed_at_the_other() {
    let dir = tempfile::tempdir().expect("dir");
    let db = TestDb::new(dir.path());
    let _seeded = tokio::task::spawn_blocking({
        let (location, key) = (db.location.clone(), db.audit_key.clone());
        move || seeded(&location, &key)
    })
    .await
    .expect("join");
    let (a, b) = (HqProcess::start(&db), HqProcess::start(&db));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let login = client
        .post(format!("{}/api/v1/session", a.url))
        .json(&json!({"username": "root", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login");
    let cookie = login.headers()["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair").to_owned();
    let categories: Value = client
        .get(format!("{}/api/v1/categories", b.url))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("categories")
        .json()
        .await
        .expect("json");
    let category = categories[0]["code"].as_str().expect("a category code").to_owned();
    let page = client
        .get(format!("{}/console/catalog", a.url))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("catalog page")
        .text()
        .await
        .expect("html");
    let marker = "/console/catalog/import?_csrf=";
    let at = page.find(marker).expect("the import form") + marker.len();
    let csrf: String = page[at..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    let mut csv = String::from("code,name,category,unit,retail_price,vat\n");
    for i in 0..300 {
        csv.push_str(&format!("TWO-{i:04},两边商品{i},{category},个,{}.50,13\n", i % 50 + 1));
    }
    let boundary = "tillpoint-boundary-7";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let started = client
        .post(format!("{}/console/catalog/import?_csrf={csrf}", a.url))
        .header("cookie", &cookie)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("import");
    assert_eq!(started.status().as_u16(), 303, "{}", started.text().await.unwrap_or_default());
    let job = started.headers()["location"].to_str().expect("location").to_owned();
    assert!(job.starts_with("/console/jobs/job_"), "{job}");
    // Followed at B until it ends.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let ended = loop {
        let r = client.get(format!("{}{job}", b.url)).header("cookie", &cookie).send().await.expect("job page");
        assert_eq!(r.status().as_u16(), 200, "B knows the job A runs");
        let html = r.text().await.expect("html");
        if html.contains("id=\"import-result\"") {
            break html;
        }
        assert!(std::time::Instant::now() < deadline, "the import did not end: {html}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(ended.contains("class=\"ok\"") && ended.contains("300"), "{ended}");
}
