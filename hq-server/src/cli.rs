//! `hq-server`: serve, and the administration commands that work on the database directly.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use clap::{Parser, Subcommand, ValueEnum};
use shared::staff::StaffRole;

use crate::config::Config;
use crate::model::{Actor, Role};
use crate::store::sql::{Location, SqlStore};
use crate::store::{AuditStore, BranchStore};
use crate::{admin, demo, import};

#[derive(Parser, Debug)]
#[command(name = "hq-server", version, about = "Tillpoint head office server and administration")]
pub struct Cli {
    /// The database: a SQLite file (created and migrated if missing; `sqlite:` may prefix it) or
    /// a PostgreSQL URL, `postgres://user@host:5432/db` (migrated on start).
    #[arg(long, global = true, env = "TILLPOINT_DB", default_value = "hq.sqlite")]
    pub db: String,
    /// The file holding the audit log's key (made on first use). Keep it away from the database
    /// and its backups, so a copy of the database cannot rewrite the log; default: beside the
    /// database, `<db>.audit-key`.
    #[arg(long, global = true, env = "TILLPOINT_AUDIT_KEY")]
    pub audit_key: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (and the tills' sync) until stopped.
    Serve {
        /// Address to listen on; 0.0.0.0:8080 to accept tills from the network.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Mark the session cookie Secure (when HQ sits behind TLS).
        #[arg(long)]
        secure_cookies: bool,
        /// How the member pages' text messages go out: `none` (nothing is sent: members cannot sign
        /// in), `log` (printed on standard error: a demo or a test, never production), `log:FILE`
        /// (also a JSON line per message in FILE), or `http` (a gateway: --sms-url, --sms-template).
        #[arg(long, env = "TILLPOINT_SMS", default_value = "none")]
        sms: String,
        /// The SMS gateway's URL (with `--sms http`).
        #[arg(long, env = "TILLPOINT_SMS_URL")]
        sms_url: Option<String>,
        /// The body posted to the gateway; `{phone}` and `{text}` are replaced.
        #[arg(long, env = "TILLPOINT_SMS_TEMPLATE", default_value = r#"{"phone":"{phone}","text":"{text}"}"#)]
        sms_template: String,
        /// The body's content type (JSON bodies are filled JSON-escaped, others form-escaped).
        #[arg(long, env = "TILLPOINT_SMS_CONTENT_TYPE", default_value = "application/json")]
        sms_content_type: String,
        /// A header for the gateway, `Name: value` (an API key); repeatable.
        #[arg(long = "sms-header", env = "TILLPOINT_SMS_HEADER")]
        sms_headers: Vec<String>,
        /// A load balancer's address in front of HQ (repeatable): requests from it are counted
        /// against the client its X-Forwarded-For names.
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Care messages (birthday, holiday, win-back) a member may be sent in a calendar month.
        #[arg(long, env = "TILLPOINT_CARE_MONTHLY_CAP", default_value_t = crate::care::DEFAULT_MONTHLY_CAP)]
        care_monthly_cap: u32,
        /// How payment codes (WeChat Pay, Alipay) are collected: `none` (refused), `sim` (the
        /// simulator, started inside HQ on a loopback port, DEMO keys only), `sim:URL` (a running
        /// `payment-sim`), or a JSON file naming the real merchants (README: "Payments").
        #[arg(long, env = "TILLPOINT_PAYMENTS", default_value = "none")]
        payments: String,
    },
    /// Console users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Branches.
    Branch {
        #[command(subcommand)]
        command: BranchCommand,
    },
    /// Tills.
    Till {
        #[command(subcommand)]
        command: TillCommand,
    },
    /// Cashiers and managers.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Import data from CSV.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Export data as CSV.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The nightly job for a date: the members' (expire lots, re-evaluate tiers, expire
    /// forgotten holds; once per date, again it reports what the first run did), then the member
    /// analysis (RFM over the year of business days to the day before, stored for the console's
    /// segment pages; skipped while another run is running).
    Daily {
        /// YYYY-MM-DD (default: today at HQ).
        #[arg(long)]
        date: Option<jiff::civil::Date>,
        /// Leave the member analysis out.
        #[arg(long)]
        no_analysis: bool,
    },
    /// Move a chain's data into an empty database (a SQLite file into PostgreSQL, say): every
    /// table in one transaction, then each table's rows counted against the source's snapshot
    /// and the audit chain verified on the target. `--audit-key` is the chain's key (default:
    /// the one beside a SQLite source); HQ on the target needs the same key.
    Migrate {
        /// Where the data is now (a SQLite path or URL, or a postgres:// URL).
        #[arg(long)]
        from: String,
        /// Where it goes: an empty database (it is created and given HQ's schema).
        #[arg(long)]
        to: String,
    },
    /// Fill an empty database with a demo chain: branches, tills, staff, categories, products, users.
    DemoData {
        /// How many products (default 3000).
        #[arg(long, default_value_t = 3000)]
        products: u32,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    Admin,
    Finance,
    Marketing,
    BranchManager,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Finance => Role::Finance,
            RoleArg::Marketing => Role::Marketing,
            RoleArg::BranchManager => Role::BranchManager,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StaffRoleArg {
    Cashier,
    Manager,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a console user. The first user should be an admin.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The branch (code) of a branch manager.
        #[arg(long)]
        branch: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input (recommended).
        #[arg(long)]
        password_stdin: bool,
        /// The password on the command line (visible to other users of the machine).
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
    },
    /// Lift a user's sign-in locks: forget every failed attempt against the account.
    Unlock {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum BranchCommand {
    /// Add a branch (time zone Asia/Shanghai and business day from 04:00 unless given).
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        address: String,
        #[arg(long, default_value = "")]
        phone: String,
        /// IANA time zone of the branch: its receipts, business days and the console's times for it.
        #[arg(long, default_value = "Asia/Shanghai")]
        time_zone: String,
        /// Local time at which the branch's business day starts (sales before it belong to the day before).
        #[arg(long, default_value = "04:00")]
        day_starts_at: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TillCommand {
    /// Register a till at a branch and print its one-time enrolment code.
    Add {
        /// Branch code.
        #[arg(long)]
        branch: String,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Print a fresh enrolment code for a till (by id).
    Code {
        #[arg(long)]
        till: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Add a cashier or manager with a PIN.
    Add {
        /// Branch code.
        #[arg(long)]
        branch: String,
        /// 1–12 digits typed before the PIN.
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: StaffRoleArg,
        /// 4–8 digits.
        #[arg(long)]
        pin: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Products from a CSV file (see `export products` for the columns). All rows or none.
    Products { file: PathBuf },
    /// Members from a CSV file (columns: code, phone, name, birthday, tier, home_branch, uid). All rows or none.
    Members { file: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// All products as CSV, in the format `import products` reads.
    Products {
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// All members with their balances as CSV.
    Members {
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the hash chain: reports edited, reordered or deleted entries; exits 1 if any.
    Verify {
        /// Files of the tills' witnesses (`pos-app audit-witnesses` prints them: one JSON
        /// `{"id": …, "hash": …}` a line): each must match the chain.
        #[arg(long, num_args = 1..)]
        witnesses: Vec<PathBuf>,
    },
}

/// The binary's entry point.
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The database and its audit key, as the command line names them.
struct Database {
    location: Location,
    audit_key: Option<PathBuf>,
}

fn open(db: &Database) -> anyhow::Result<SqlStore> {
    SqlStore::open_location(&db.location, crate::Clock::system(), db.audit_key.as_deref())
        .with_context(|| format!("opening {}", db.location))
}

fn branch_id(store: &SqlStore, code: &str) -> anyhow::Result<shared::ids::BranchId> {
    Ok(store.branch_by_code(code)?.ok_or_else(|| anyhow!("no branch with code `{code}`"))?.id)
}

/// The SMS sender `serve`'s options name.
pub fn sms_config(
    kind: &str,
    url: Option<&str>,
    template: &str,
    content_type: &str,
    headers: &[String],
) -> anyhow::Result<crate::sms::SmsConfig> {
    use crate::sms::{HttpSender, LogSender, SmsConfig};
    match kind.split_once(':') {
        _ if kind == "none" => Ok(SmsConfig::None),
        _ if kind == "log" => Ok(SmsConfig::Log(LogSender::to_stderr())),
        Some(("log", file)) if !file.is_empty() => Ok(SmsConfig::Log(LogSender::to_file(file))),
        _ if kind == "http" => {
            let url = url.ok_or_else(|| anyhow!("--sms http needs --sms-url"))?;
            let headers = headers
                .iter()
                .map(|h| {
                    h.split_once(':')
                        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
                        .filter(|(n, _)| !n.is_empty())
                        .ok_or_else(|| anyhow!("--sms-header `{h}` is not `Name: value`"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            Ok(SmsConfig::Http(HttpSender::new(url, template, content_type, headers).map_err(|e| anyhow!(e))?))
        }
        _ => Err(anyhow!("--sms `{kind}`: none, log, log:FILE or http")),
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let actor = Actor::cli();
    let db = Database { location: Location::parse(&cli.db), audit_key: cli.audit_key.clone() };
    match cli.command {
        Command::Serve {
            listen,
            secure_cookies,
            sms,
            sms_url,
            sms_template,
            sms_content_type,
            sms_headers,
            trusted_proxies,
            care_monthly_cap,
            payments,
        } => {
            let sms = sms_config(&sms, sms_url.as_deref(), &sms_template, &sms_content_type, &sms_headers)?;
            let config = Config {
                db: db.location.clone(),
                audit_key: cli.audit_key,
                listen,
                secure_cookies,
                sms,
                trusted_proxies,
                care_monthly_cap,
                ..Config::default()
            };
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async {
                let mut config = config;
                config.payments =
                    crate::gateway::PaymentsConfig::from_arg(&payments, crate::gateway::GatewaySettings::default())
                        .await
                        .map_err(|e| anyhow!("--payments {payments}: {e:#}"))?;
                if let Some(sim) = &config.payments.simulator {
                    eprintln!("payment simulator (DEMO keys only) on {}", sim.base_url());
                }
                let app = crate::Application::build(config).await?;
                eprintln!("HQ listening on http://{}", app.address());
                app.run_until(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
                anyhow::Ok(())
            })?;
        }
        Command::User {
            command: UserCommand::Add { username, role, branch, display_name, password_stdin, password },
        } => {
            let store = open(&db)?;
            let password = match (password_stdin, password) {
                (true, _) => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
                (false, Some(p)) => p,
                (false, None) => bail!("give the password with --password-stdin (or --password)"),
            };
            let branch = branch.map(|c| branch_id(&store, &c)).transpose()?;
            let display = display_name.unwrap_or_else(|| username.clone());
            let user = admin::add_user(&store, &actor, &username, &display, role.into(), branch, &password)?;
            println!("user {} ({}) added with id {}", user.username, user.role.code(), user.id);
        }
        Command::User { command: UserCommand::Unlock { username } } => {
            use crate::store::AccountStore;
            let store = open(&db)?;
            if store.user_for_login(&username)?.is_none() {
                bail!("there is no user {username}");
            }
            let n = store.lift_login_lock(&actor, &username)?;
            println!("sign-in lock of {username} lifted ({n} failed attempts forgotten)");
        }
        Command::Branch { command: BranchCommand::Add { code, name, address, phone, time_zone, day_starts_at } } => {
            let store = open(&db)?;
            let mut b = admin::default_branch(&code, &name);
            b.address = address;
            b.phone = phone;
            b.time_zone = time_zone;
            b.business_day_cutoff = jiff::civil::Time::strptime("%H:%M", &day_starts_at)
                .map_err(|_| anyhow::anyhow!("--day-starts-at {day_starts_at} is not a time like 04:00"))?;
            let b = admin::add_branch(&store, &actor, b)?;
            println!("branch {} ({}) added with id {}", b.code, b.name, b.id);
        }
        Command::Till { command: TillCommand::Add { branch, name } } => {
            let store = open(&db)?;
            let id = branch_id(&store, &branch)?;
            let (till, code) = admin::add_till(&store, &actor, id, &name, Config::default().enrolment_code_ttl)?;
            println!("till {} ({}-{:02}) registered", till.id, till.branch_code, till.number);
            println!("enrolment code: {code}  (single use, valid until {})", expiry_text(&till));
        }
        Command::Till { command: TillCommand::Code { till } } => {
            let store = open(&db)?;
            let (till, code) =
                admin::renew_code(&store, &actor, shared::ids::TillId(till), Config::default().enrolment_code_ttl)?;
            println!("enrolment code for till {}: {code}  (single use, valid until {})", till.id, expiry_text(&till));
        }
        Command::Staff { command: StaffCommand::Add { branch, login, name, role, pin } } => {
            let store = open(&db)?;
            let id = branch_id(&store, &branch)?;
            let role = match role {
                StaffRoleArg::Cashier => StaffRole::Cashier,
                StaffRoleArg::Manager => StaffRole::Manager,
            };
            let s = admin::add_staff(&store, &actor, id, &login, &name, role, &pin)?;
            println!("staff {} ({}) added with id {}", s.login, s.name, s.id);
        }
        Command::Import { what: ImportCommand::Products { file } } => {
            let store = open(&db)?;
            let text = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let progress = import::terminal_bar();
            let outcome = import::import_products(&store, &actor, &text, &progress);
            progress.finish_and_clear();
            match outcome? {
                Ok(summary) => {
                    println!("imported: {} created, {} updated", summary.created, summary.updated);
                }
                Err(errors) => {
                    eprintln!("nothing was imported; {} bad row(s):", errors.len());
                    for e in &errors {
                        eprintln!("  line {}: {}", e.line, e.reason);
                    }
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Export { what: ExportCommand::Products { out } } => {
            let store = open(&db)?;
            match out {
                Some(path) => {
                    let f = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
                    let n = import::export_products(&store, std::io::BufWriter::new(f))?;
                    eprintln!("{n} products written to {}", path.display());
                }
                None => {
                    let stdout = std::io::stdout();
                    import::export_products(&store, stdout.lock())?;
                    std::io::stdout().flush()?;
                }
            }
        }
        Command::Import { what: ImportCommand::Members { file } } => {
            let store = open(&db)?;
            let text = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let progress = import::terminal_bar();
            let outcome = crate::member_import::import_members(&store, &actor, &text, &progress);
            progress.finish_and_clear();
            match outcome? {
                Ok(summary) => println!("imported: {} members created", summary.created),
                Err(errors) => {
                    eprintln!("nothing was imported; {} bad row(s):", errors.len());
                    for e in &errors {
                        eprintln!("  line {}: {}", e.line, e.reason);
                    }
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Export { what: ExportCommand::Members { out } } => {
            let store = open(&db)?;
            match out {
                Some(path) => {
                    let f = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
                    let n = crate::member_import::export_members(&store, std::io::BufWriter::new(f))?;
                    eprintln!("{n} members written to {}", path.display());
                }
                None => {
                    let stdout = std::io::stdout();
                    crate::member_import::export_members(&store, stdout.lock())?;
                    std::io::stdout().flush()?;
                }
            }
        }
        Command::Daily { date, no_analysis } => {
            use crate::store::MemberStore;
            let store = open(&db)?;
            let now = store.now();
            let day = match date {
                Some(d) => d,
                None => crate::calendar::chain_day(&store.list_branches()?, now).day,
            };
            let run = store.run_daily(&actor, day, now)?;
            if run.already_ran {
                println!("the daily job had already run for {day}:");
            } else {
                println!("daily job for {day}:");
            }
            println!(
                "  {} lots expired ({} points), {} tier changes, {} forgotten holds expired",
                run.lots_expired, run.points_expired, run.tier_changes, run.holds_expired
            );
            if !no_analysis {
                nightly_analysis(&store, day)?;
            }
        }
        Command::Audit { command: AuditCommand::Verify { witnesses } } => {
            let store = open(&db)?;
            let mut verdict = store.verify_audit()?;
            let mut copies = Vec::new();
            for file in &witnesses {
                let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
                for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                    let w: shared::sync::AuditHead = serde_json::from_str(line)
                        .with_context(|| format!("{} line {}: not a witness", file.display(), n + 1))?;
                    copies.push(w);
                }
            }
            verdict.problems.extend(store.check_witnesses(&copies)?);
            if verdict.intact() {
                println!("audit log intact: {} entries, {} witnesses agree", verdict.entries, copies.len());
            } else {
                println!("audit log NOT intact ({} entries read):", verdict.entries);
                for p in &verdict.problems {
                    println!("  {p}");
                }
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Migrate { from, to } => {
            let (from, to) = (Location::parse(&from), Location::parse(&to));
            eprintln!("moving {from} to {to}");
            let report = crate::store::sql::copy::move_data(&from, &to, cli.audit_key.as_deref())
                .with_context(|| format!("moving {from} to {to}"))?;
            for (table, n) in report.tables.iter().filter(|(_, n)| *n > 0) {
                println!("  {table:<22} {n:>10}");
            }
            println!(
                "moved {} rows in {} tables; counts match; the audit chain verifies on the target ({} entries)",
                report.rows(),
                report.tables.len(),
                report.audit_entries
            );
        }
        Command::DemoData { products } => {
            let store = open(&db)?;
            let options = demo::DemoOptions { products, ..demo::DemoOptions::default() };
            let summary = demo::seed(&store, &options)?;
            print!("{}", summary.describe());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn expiry_text(till: &crate::model::Till) -> String {
    till.enrolment_code_expires_at.map(|t| t.to_string()).unwrap_or_else(|| "-".into())
}

/// The nightly RFM run (the year of business days to the day before `day`), with its progress on
/// standard error.
fn nightly_analysis(store: &dyn crate::store::Store, day: jiff::civil::Date) -> anyhow::Result<()> {
    use crate::analysis_runs::{NIGHTLY, compute, default_period, start};
    let (from, to) = default_period(crate::calendar::days_before(day, 1));
    let Some(id) = start(store, from, to, NIGHTLY)? else {
        println!("member analysis: another run is running; this one is skipped");
        return Ok(());
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} member analysis {msg} [{elapsed}] {wide_bar} {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let started = std::time::Instant::now();
    let members = compute(store, id, (from, to), &mut |phase, done, steps| {
        bar.set_message(phase.to_owned());
        if let Some(n) = steps {
            bar.set_length(n);
        }
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let members = members?;
    println!(
        "member analysis {from} – {to}: {members} members scored and stored (run {id}, {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
