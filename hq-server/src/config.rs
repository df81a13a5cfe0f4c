//! HQ's configuration: where the database is, where to listen, and the security knobs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::clock::Clock;
use crate::store::sql::Location;

/// How many failed sign-ins are allowed in a window. Guessing one account's password from one
/// address stops after `per_account`; one address guessing many accounts after `per_address`.
/// Many addresses guessing one account (`per_account_anywhere`) lock out only addresses the
/// account never signed in from: one it did is slowed down by `slow_down` per attempt instead, so
/// nobody can lock the right person out. An admin can lift a lock.
#[derive(Clone, Debug)]
pub struct LoginLimits {
    pub window: Duration,
    pub per_account: u64,
    pub per_address: u64,
    pub per_account_anywhere: u64,
    pub slow_down: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            window: Duration::from_secs(15 * 60),
            per_account: 5,
            per_address: 20,
            per_account_anywhere: 50,
            slow_down: Duration::from_secs(2),
        }
    }
}

/// The member pages' sign-in: how long a code lives, and how many codes and wrong tries are
/// allowed an hour per phone number, per client address and per number prefix (the first seven
/// digits: one operator's block, where a spammer's numbers cluster).
#[derive(Clone, Debug)]
pub struct MemberSignIn {
    pub code_ttl: Duration,
    pub codes_per_phone: u64,
    pub codes_per_address: u64,
    pub codes_per_prefix: u64,
    /// Wrong codes for one phone in the window before it is locked for the rest of it.
    pub wrong_codes_per_phone: u64,
    pub window: Duration,
    /// How long a member stays signed in on a phone.
    pub session_ttl: Duration,
}

impl Default for MemberSignIn {
    fn default() -> Self {
        MemberSignIn {
            code_ttl: Duration::from_secs(5 * 60),
            codes_per_phone: 5,
            codes_per_address: 20,
            codes_per_prefix: 200,
            wrong_codes_per_phone: 5,
            window: Duration::from_secs(3600),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The database: a SQLite file (created if missing) or a PostgreSQL URL; migrated on start.
    pub db: Location,
    /// The audit log's key file (`AuditKey`); `None`: beside the database.
    pub audit_key: Option<PathBuf>,
    /// Where to listen; port 0 picks a free port (tests, the till's demo mode).
    pub listen: SocketAddr,
    /// How long an enrolment code may be used.
    pub enrolment_code_ttl: Duration,
    pub session_ttl: Duration,
    pub login_limits: LoginLimits,
    /// A till whose clock is further off than this is warned.
    pub clock_skew_warning: Duration,
    /// Mark the session cookie `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// The largest request body (a pushed batch).
    pub max_body_bytes: usize,
    /// Where "now" comes from (the system clock; a manual one in tests).
    pub clock: Clock,
    /// How text messages (the member pages' sign-in codes) go out.
    pub sms: crate::sms::SmsConfig,
    pub member_sign_in: MemberSignIn,
    /// Load balancers in front of HQ: a request from one of them is counted against the client
    /// its `X-Forwarded-For` names (sign-in and text-message limits), not against the balancer.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Care messages (birthday, holiday, win-back) a member may be sent in a calendar month.
    pub care_monthly_cap: u32,
    /// The payment gateway's providers and timings (`--payments`).
    pub payments: crate::gateway::PaymentsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: Location::Sqlite(PathBuf::from("hq.sqlite")),
            audit_key: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            enrolment_code_ttl: Duration::from_secs(15 * 60),
            session_ttl: Duration::from_secs(12 * 3600),
            login_limits: LoginLimits::default(),
            clock_skew_warning: Duration::from_secs(5 * 60),
            secure_cookies: false,
            max_body_bytes: 16 * 1024 * 1024,
            clock: Clock::system(),
            sms: crate::sms::SmsConfig::default(),
            member_sign_in: MemberSignIn::default(),
            trusted_proxies: Vec::new(),
            care_monthly_cap: crate::care::DEFAULT_MONTHLY_CAP,
            payments: crate::gateway::PaymentsConfig::default(),
        }
    }
}

impl Config {
    /// The defaults with this database, listening on a free loopback port: tests, and the till's
    /// demo mode running an HQ in-process.
    pub fn loopback(db_path: impl Into<PathBuf>) -> Config {
        Config::loopback_at(Location::Sqlite(db_path.into()))
    }

    /// The defaults with the database at `db`, listening on a free loopback port.
    pub fn loopback_at(db: Location) -> Config {
        Config { db, listen: SocketAddr::from(([127, 0, 0, 1], 0)), ..Config::default() }
    }

    /// The same as [`Config::loopback`] (the name other crates' tests first used).
    pub fn for_tests(db_path: impl Into<PathBuf>) -> Config {
        Config::loopback(db_path)
    }
}
