//! The Tillpoint till.
//!
//! ```text
//! pos-app --demo                         an HQ in this process, an enrolled till, every device simulated
//!                                        (the `demo` feature, on by default)
//! pos-app enrol --hq URL --code CODE     enrol this till (once) into till.sqlite
//! pos-app audit-witnesses [--db PATH]    print the copies of HQ's audit chain head this till keeps
//! pos-app [--db till.sqlite]             run the till (first start: enrol it and set up its devices)
//! ```
//! Options: `--lang zh-CN|en` (default: the system locale), `--db PATH`.

#[cfg(feature = "demo")]
mod demo;

use std::path::PathBuf;

use pos_app::config::TillConfig;
use pos_app::ui::boot::open_enrolled;
use pos_app::ui::{App, FONT, UI_FONT, chrome};
use shared::lang::Lang;

struct Args {
    demo: bool,
    witnesses: bool,
    enrol: Option<(String, String)>,
    db: PathBuf,
    lang: Lang,
    /// `--lang` was given (it wins over the config file).
    lang_given: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: pos-app --demo | pos-app enrol --hq URL --code CODE [--db PATH] | pos-app audit-witnesses [--db PATH] | pos-app [--db PATH] [--lang zh-CN|en]"
    );
    std::process::exit(2)
}

fn args() -> Args {
    let locale = std::env::var("LC_ALL").or_else(|_| std::env::var("LANG")).unwrap_or_default();
    let mut a = Args {
        demo: false,
        witnesses: false,
        enrol: None,
        db: PathBuf::from("till.sqlite"),
        lang: Lang::from_locale(&locale),
        lang_given: false,
    };
    let mut it = std::env::args().skip(1);
    let (mut hq, mut code, mut enrol) = (None, None, false);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--demo" => a.demo = true,
            "enrol" => enrol = true,
            "audit-witnesses" => a.witnesses = true,
            "--hq" => hq = it.next(),
            "--code" => code = it.next(),
            "--db" => a.db = it.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--lang" => {
                a.lang_given = true;
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
    if a.witnesses {
        // One JSON line per witness, for `hq-server audit verify --witnesses FILE`.
        let witnesses = pos_app::store::Store::open(&a.db).and_then(|s| s.witnesses());
        match witnesses {
            Ok(all) => {
                for w in all {
                    println!("{}", serde_json::json!({"id": w.id, "hash": w.hash}));
                }
            }
            Err(e) => {
                eprintln!("{}: {e}", a.db.display());
                std::process::exit(1);
            }
        }
        return;
    }
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
    let result = if a.demo { run_demo(a.lang) } else { run_till(&a) };
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

#[cfg(feature = "demo")]
fn run_demo(lang: Lang) -> Result<(), String> {
    demo::run(lang)
}

#[cfg(not(feature = "demo"))]
fn run_demo(_: Lang) -> Result<(), String> {
    Err("this till was built without the demo (cargo feature `demo`): run it with --db, or build with the default features".into())
}

/// A till: first start (HQ address and code, then devices) when its database does not exist
/// yet, otherwise the enrolled till with the devices of its config file.
fn run_till(a: &Args) -> Result<(), String> {
    if !a.db.exists() {
        return launch(App::first_start(a.db.clone(), a.lang));
    }
    let config = TillConfig::load(&TillConfig::path_for(&a.db)).map_err(|e| e.to_string())?;
    let lang = if a.lang_given { a.lang } else { config.lang.unwrap_or(a.lang) };
    let running = open_enrolled(&a.db, &config)?;
    launch(App::with_till(running, lang))
}

/// Runs the iced app until its window closes.
pub fn launch(app: App) -> Result<(), String> {
    let slot = std::sync::Mutex::new(Some(app));
    iced::application(
        move || {
            let app = slot.lock().ok().and_then(|mut s| s.take()).expect("the app boots once");
            (app, chrome::fit_window_to_screen())
        },
        App::update,
        App::view,
    )
    .title(App::title)
    .subscription(App::subscription)
    .font(FONT)
    .default_font(UI_FONT)
    // A till's screen: 1366×768 or 1024×768; maximized where a window manager allows, fitted to
    // a smaller screen where none does.
    .window(iced::window::Settings {
        size: chrome::WINDOW,
        min_size: Some(chrome::SMALLEST_SCREEN),
        maximized: true,
        ..iced::window::Settings::default()
    })
    .run()
    .map_err(|e| e.to_string())
}
