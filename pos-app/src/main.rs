//! The Tillpoint till.
//!
//! ```text
//! pos-app --demo                         an HQ in this process, an enrolled till, every device simulated
//! pos-app enrol --hq URL --code CODE     enrol this till (once) into till.sqlite
//! pos-app [--db till.sqlite]             run an enrolled till
//! ```
//! Options: `--lang zh-CN|en` (default: the system locale), `--db PATH`.

mod demo;

use std::path::PathBuf;

use pos_app::clock::SystemClock;
use pos_app::peripherals::NoDevices;
use pos_app::store::Store;
use pos_app::sync::{HqAuthority, SyncConfig};
use pos_app::ui::{App, FONT, Slot, UI_FONT, worker::Engine};
use pos_app::{Till, TillError};
use shared::lang::Lang;

struct Args {
    demo: bool,
    enrol: Option<(String, String)>,
    db: PathBuf,
    lang: Lang,
}

fn usage() -> ! {
    eprintln!(
        "usage: pos-app --demo | pos-app enrol --hq URL --code CODE [--db PATH] | pos-app [--db PATH] [--lang zh-CN|en]"
    );
    std::process::exit(2)
}

fn args() -> Args {
    let locale = std::env::var("LC_ALL").or_else(|_| std::env::var("LANG")).unwrap_or_default();
    let mut a = Args { demo: false, enrol: None, db: PathBuf::from("till.sqlite"), lang: Lang::from_locale(&locale) };
    let mut it = std::env::args().skip(1);
    let (mut hq, mut code, mut enrol) = (None, None, false);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--demo" => a.demo = true,
            "enrol" => enrol = true,
            "--hq" => hq = it.next(),
            "--code" => code = it.next(),
            "--db" => a.db = it.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--lang" => {
                a.lang = match it.next().as_deref() {
                    Some("en") => Lang::En,
                    Some("zh-CN" | "zh") => Lang::ZhCn,
                    _ => usage(),
                }
            }
            _ => usage(),
        }
    }
    if enrol {
        match (hq, code) {
            (Some(h), Some(c)) => a.enrol = Some((h, c)),
            _ => usage(),
        }
    }
    a
}

fn main() {
    let a = args();
    if let Some((hq, code)) = &a.enrol {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let name = std::env::var("HOSTNAME").unwrap_or_else(|_| "till".into());
        match rt.block_on(pos_app::sync::enrol(hq, code, &name, &a.db, |done, of| {
            eprint!("\rcatalog {done}/{of}");
        })) {
            Ok(_) => println!("\nenrolled: {}", a.db.display()),
            Err(e) => {
                eprintln!("\nenrolment failed: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let result = if a.demo { demo::run(a.lang) } else { run_enrolled(&a) };
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

/// An enrolled till with no devices configured yet (device setup is a later screen).
fn run_enrolled(a: &Args) -> Result<(), String> {
    if !a.db.exists() {
        return Err(format!(
            "{} does not exist: enrol this till first (pos-app enrol --hq URL --code CODE), or try pos-app --demo",
            a.db.display()
        ));
    }
    let store = Store::open(&a.db).map_err(|e| e.to_string())?;
    let authority = HqAuthority::for_store(&store).map_err(|e| e.to_string())?;
    let till = Till::open(store, Box::new(SystemClock), Box::new(authority), Box::new(NoDevices))
        .map_err(|e: TillError| e.to_string())?;
    let sync = pos_app::sync::start(SyncConfig::new(&a.db)).map_err(|e| e.to_string())?;
    let (engine, replies) = Engine::spawn(till);
    let mut app = App::new(engine, replies, a.lang);
    app.sources.sync = Some(Slot::new("sync", sync.subscribe()));
    let result = launch(app);
    sync.stop();
    result
}

/// Runs the iced app until its window closes.
pub fn launch(app: App) -> Result<(), String> {
    let slot = std::sync::Mutex::new(Some(app));
    iced::application(
        move || slot.lock().ok().and_then(|mut s| s.take()).expect("the app boots once"),
        App::update,
        App::view,
    )
    .title(App::title)
    .subscription(App::subscription)
    .font(FONT)
    .default_font(UI_FONT)
    .window_size((1360.0, 820.0))
    .run()
    .map_err(|e| e.to_string())
}
