//! The till app's flows, driven through `App::update` with the keys a cashier presses, over the
//! real engine thread and a real SQLite file (HQ is the in-memory fake of the engine's tests).
//! Replies from the engine thread are fed back into `update` as the iced runtime would.

#[path = "../common/mod.rs"]
mod common;

mod closing;
mod complaint;
mod count;
mod devices;
mod layout;
mod payment;
mod returns;
mod sale;

use std::time::{Duration, Instant};

use shared::sale::TenderKind;

use common::*;
use device_drivers::card_reader::{CardEvent, CardRead, CardReaderParser};
use pos_app::peripherals::RecordingDevices;
use pos_app::ui::worker::{Engine, Replies};
use pos_app::ui::{App, Input, Message, Prompt, Screen, Tone};
use shared::lang::Lang;
use shared::money::Money;

pub(crate) struct Ui {
    app: App,
    replies: Replies,
    devices: RecordingDevices,
    /// The in-memory HQ the till asks (members, holds, coupons).
    hq: pos_app::authority::InMemoryAuthority,
    /// The member HQ knows (gold, 5,000 points).
    member: shared::member::MemberSnapshot,
    _dir: tempfile::TempDir,
}

impl Ui {
    fn new(lang: Lang) -> Ui {
        Ui::with_branch(lang, |_| {})
    }

    /// A till whose branch settings were changed by `change` (as HQ would send them).
    fn with_branch(lang: Lang, change: impl FnOnce(&mut shared::branch::BranchSettings)) -> Ui {
        let t = TestTill::new();
        let mut b = branch();
        change(&mut b);
        t.store().apply_changes(&[shared::sync::Change::Branch(b)]).expect("the branch's settings");
        let TestTill { dir, till, devices, hq, member, .. } = t;
        let (engine, replies) = Engine::spawn(till);
        let mut app = App::new(engine, replies, lang);
        // The test reads the replies itself instead of the iced subscription.
        let replies = app.sources.replies.take().and_then(|s| s.take()).expect("replies");
        let mut ui = Ui { app, replies, devices, hq, member, _dir: dir };
        ui.settle();
        ui
    }

    /// Feeds the engine's replies into `update` until every command sent has its answer.
    fn settle(&mut self) {
        while self.app.pending > 0 {
            let r = self.replies.blocking_recv().expect("the engine stopped");
            let _ = self.app.update(Message::Engine(Box::new(r)));
        }
    }

    /// Types like a person: a pause between keys, so no burst looks like a scanner.
    fn type_slowly(&mut self, s: &str) {
        let mut at = Instant::now();
        for c in s.chars() {
            at += Duration::from_millis(200);
            let _ = self.app.update(Message::Key(Input::Char(c), at));
        }
    }

    fn press(&mut self, input: Input) {
        let _ = self.app.update(Message::Key(input, Instant::now() + Duration::from_secs(60)));
        self.settle();
    }

    /// Clicks the button labelled `label` in the rendered view (iced_test's simulator), and
    /// applies what it produced.
    fn click(&mut self, label: &str) {
        let messages: Vec<Message> = {
            let mut sim = iced_test::simulator(self.app.view());
            sim.click(label).unwrap_or_else(|e| panic!("no button {label:?} on {:?}: {e}", self.app.screen));
            sim.into_messages().collect()
        };
        assert!(!messages.is_empty(), "{label:?} did nothing");
        for m in messages {
            let _ = self.app.update(m);
        }
        self.settle();
    }

    /// Whether the rendered view shows `text` exactly.
    fn shows(&self, text: &str) -> bool {
        iced_test::simulator(self.app.view()).find(text).is_ok()
    }

    /// The member signs in to the member pages: HQ holds their code's secret, and keeps the till's
    /// time (10:00 in Shanghai). Returns what their phone shows `secs_before` seconds before then.
    fn member_with_a_phone(&mut self) -> impl Fn(i64) -> String + use<> {
        let secret = shared::member_code::MemberSecret::from_bytes([7; 20]);
        self.member.code_secret = Some(secret.clone());
        self.hq.add_member(self.member.clone());
        self.hq.set_clock(pos_app::clock::ManualClock::new(morning()));
        let member = self.member.code.clone();
        move |secs_before| phone_code(&member, &secret, secs_before)
    }

    fn login_and_open_shift(&mut self) {
        self.type_slowly(CASHIER);
        self.press(Input::Enter);
        self.type_slowly(CASHIER_PIN);
        self.press(Input::Enter);
        assert_eq!(self.app.screen, Screen::OpenShift);
        // 5 × ¥100 on the first field, Enter opens.
        self.type_slowly("5");
        self.press(Input::Enter);
        assert_eq!(self.app.screen, Screen::Sale(Prompt::Scan));
    }
}

/// The rotating code of `member` with `secret` `secs_before` seconds before the till's 10:00.
fn phone_code(
    member: &shared::catalog::MemberCode,
    secret: &shared::member_code::MemberSecret,
    secs_before: i64,
) -> String {
    let at = u64::try_from(morning().as_second() - secs_before).expect("after 1970");
    shared::member_code::code_at(member, secret, at).expect("a ten-digit number").text()
}

/// The screens talk to the engine, whose API owns the types they show: nothing in `ui` reaches
/// into the till's store (its rows, its errors or the `Store` behind `Till::store`).
#[test]
fn the_ui_talks_to_the_engine_not_the_store() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ui");
    let forbidden = ["crate::store::", "crate::store;", "pos_app::store", "super::store", ".store()", ".store_mut()"];
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src/ui") {
        let path = entry.expect("a file").path();
        let text = std::fs::read_to_string(&path).expect("source");
        for (n, line) in text.lines().enumerate() {
            if forbidden.iter().any(|f| line.contains(f)) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "the UI reaches into the store: {found:#?}");
}
