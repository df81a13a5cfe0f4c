//! HQ behind a real PgBouncer in transaction mode (the PostgreSQL pass only; PgBouncer is a
//! package `.ci/run` installs). In that mode a client's connection meets another server
//! connection in every transaction, so a prepared statement kept from one transaction to the next
//! is not there, or another client's of the same name is. With `pool_mode=transaction` in its URL,
//! HQ closes its statements before each transaction ends, and two HQ stores (two processes) share
//! one server connection through PgBouncer without a fault; without it, the second fails.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hq_server::fixtures::TillRef;
use hq_server::model::Actor;
use hq_server::store::{BranchStore, MemberStore, SyncStore};
use hq_server::testing::TestDb;
use hq_server::{Clock, Location, SqlStore};
use shared::sync::{Event, PROTOCOL_VERSION, PushRequest};

const PGBOUNCER: &str = "/usr/sbin/pgbouncer";

/// A PgBouncer on a free loopback port in front of the test database, transaction pooling,
/// one alias per server-pool size, every server connection set to the test's schema.
struct Bouncer {
    child: Child,
    port: u16,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `postgres://user@host:port/db` → (user, host, port, db).
fn parts(url: &str) -> (String, String, u16, String) {
    let rest = url.trim_start_matches("postgresql://").trim_start_matches("postgres://");
    let rest = rest.split('?').next().unwrap_or(rest);
    let (user, rest) = rest.split_once('@').unwrap_or(("postgres", rest));
    let (hostport, db) = rest.split_once('/').unwrap_or((rest, "postgres"));
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    (user.split(':').next().unwrap_or(user).to_owned(), host.to_owned(), port.parse().expect("port"), db.to_owned())
}

fn start_bouncer(dir: &Path, base: &str, schema: &str) -> Bouncer {
    let (user, host, pg_port, db) = parts(base);
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let ini = dir.join("pgbouncer.ini");
    let set = format!("connect_query='SET search_path TO {schema}'");
    let config = format!(
        "[databases]\n\
         hq = host={host} port={pg_port} dbname={db} user={user} pool_size=2 {set}\n\
         hq1 = host={host} port={pg_port} dbname={db} user={user} pool_size=1 {set}\n\
         [pgbouncer]\n\
         listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
         auth_type = trust\nauth_file = {users}\n\
         pool_mode = transaction\nmax_client_conn = 200\n\
         ignore_startup_parameters = extra_float_digits,options\n\
         logfile = {log}\n",
        users = dir.join("users.txt").display(),
        log = dir.join("pgbouncer.log").display(),
    );
    std::fs::write(&ini, config).expect("ini");
    std::fs::write(dir.join("users.txt"), format!("\"{user}\" \"\"\n")).expect("users");
    // PgBouncer will not run as root; it switches to the database's system user (`-u`), which
    // must read its files and write its log.
    let root = running_as_root();
    if root {
        let _ = Command::new("chmod").args(["-R", "a+rwX"]).arg(dir).status();
    }
    let mut cmd = Command::new(PGBOUNCER);
    if root {
        cmd.args(["-u", "postgres"]);
    }
    let child = cmd.arg(&ini).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("pgbouncer starts");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "PgBouncer did not listen: {}",
            std::fs::read_to_string(dir.join("pgbouncer.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Bouncer { child, port }
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn open(url: String, db: &TestDb) -> SqlStore {
    SqlStore::open_location(&Location::Postgres(url), Clock::system(), Some(&db.audit_key)).expect("HQ store")
}

/// Runs only where it can mean something: HQ on PostgreSQL, and PgBouncer installed.
fn setup() -> Option<(tempfile::TempDir, TestDb)> {
    let dir = tempfile::tempdir().expect("dir");
    let db = TestDb::new(dir.path());
    if !db.is_postgres() {
        eprintln!("skipped: HQ on PostgreSQL only (TILLPOINT_TEST_PG)");
        return None;
    }
    assert!(Path::new(PGBOUNCER).exists(), "PgBouncer is not installed (`.ci/run` installs the pgbouncer package)");
    Some((dir, db))
}

#[test]
fn two_hq_stores_share_pgbouncer_in_transaction_mode() {
    let Some((dir, db)) = setup() else { return };
    let (base, schema) = db.postgres_schema().expect("postgres");
    let bouncer = start_bouncer(dir.path(), base, schema);
    let (user, ..) = parts(base);
    let url = |alias: &str| format!("postgres://{user}@127.0.0.1:{}/{alias}?pool_mode=transaction", bouncer.port);
    // Two HQ processes' stores through one server connection (the `hq1` alias): each creates,
    // migrates and works in turn on the same server connection.
    let a = open(url("hq1"), &db);
    let b = open(url("hq1"), &db);
    let demo = hq_server::demo::seed(&a, &hq_server::demo::DemoOptions::small()).expect("demo data through PgBouncer");
    let mut tills = Vec::new();
    for branch in &demo.branches {
        let t = &branch.tills[0];
        let req = shared::sync::EnrolRequest {
            protocol: PROTOCOL_VERSION,
            code: t.enrolment_code.clone(),
            device_name: "till".into(),
        };
        let (till, _) = hq_server::admin::enrol(&b, &req, "test").expect("enrol").expect("code");
        tills.push(till);
    }
    // Pushes alternate between the two stores from two threads at once (the `hq` alias: two
    // server connections for four client connections), with reads beside them and a write that
    // fails (a duplicate branch code) in the middle: nothing of one transaction leaks into another.
    let (a, b) = (std::sync::Arc::new(a), std::sync::Arc::new(open(url("hq"), &db)));
    let workers: Vec<_> = tills
        .iter()
        .cloned()
        .enumerate()
        .map(|(w, till)| {
            let (a, b) = (a.clone(), b.clone());
            std::thread::spawn(move || {
                let r = TillRef {
                    till: till.id,
                    number: till.number,
                    branch: till.branch_id,
                    branch_code: till.branch_code.clone(),
                };
                for seq in 1..=30u64 {
                    let store: &SqlStore = if seq % 2 == 0 { &a } else { &b };
                    let sale = hq_server::fixtures::sale(&r, u32::try_from(seq).expect("seq"), 3, 2);
                    let env = hq_server::fixtures::envelope(till.id, seq, Event::SaleCompleted(sale));
                    let req =
                        PushRequest { protocol: PROTOCOL_VERSION, till: till.id, events: vec![env], sent_at: None };
                    let answer =
                        hq_server::push::receive(store, &till, req, jiff::Timestamp::now(), Duration::from_secs(300))
                            .expect("push");
                    assert_eq!(answer.results.len(), 1);
                    assert!(
                        matches!(answer.results[0].outcome, shared::sync::EventOutcome::Accepted),
                        "worker {w} seq {seq}: {:?}",
                        answer.results[0].outcome
                    );
                    if seq % 10 == 0 {
                        let other: &SqlStore = if seq % 20 == 0 { &b } else { &a };
                        let dup = hq_server::admin::add_branch(
                            other,
                            &Actor::system(),
                            hq_server::admin::default_branch("B001", "x"),
                        );
                        assert!(dup.is_err(), "a duplicate branch code is refused");
                        other.list_sales(None, None, 50).expect("a read after a failed write");
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let sales = a.list_sales(None, None, 1_000).expect("sales");
    assert_eq!(sales.len(), 30 * tills.len(), "every push stored once");
    assert!(b.check_balances().expect("balances").is_empty());
    assert_eq!(b.count_members().expect("members"), a.count_members().expect("members"));
    for till in &tills {
        let status = a.sync_status(till.id).expect("status");
        assert_eq!((status.next_seq, status.events_accepted), (31, 30));
    }
    assert!(b.list_branches().expect("branches").len() >= 2);
    // The trap itself, with and without the URL's `pool_mode`: store Y reads once (its
    // statements prepared on the server connection PgBouncer gave it), then reads again while
    // store X holds that server connection in a transaction of its own, so Y's second
    // transaction runs on another server connection.
    let nested = |url: String| -> Result<(), String> {
        let x = open(url.clone(), &db);
        let y = open(url, &db);
        y.list_branches().map_err(|e| e.to_string())?;
        x.raw(|c| {
            let _: i64 = c.query_row("SELECT COUNT(*) FROM branches", [], |r| r.get(0))?;
            Ok(y.list_branches().map(|_| ()).map_err(|e| e.to_string()))
        })
        .map_err(|e| e.to_string())?
    };
    nested(url("hq")).expect("statements that last one transaction are always there");
    let e = nested(url("hq").replace("?pool_mode=transaction", ""))
        .expect_err("a statement kept from another transaction is not on this server connection");
    assert!(e.contains("prepared statement") && e.contains("does not exist"), "{e}");
    drop(bouncer);
}
