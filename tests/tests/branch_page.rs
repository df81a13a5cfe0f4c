//! The branch page of the console in a real browser (headless Chromium through chromedriver),
//! then a till of that branch through the app's own keys: the quick keys and the large-line
//! confirmation an HQ admin sets there are what the till's sale screen offers and asks by.

use std::time::{Duration, Instant};

use hq_server::demo::ADMIN_PASSWORD;
use hq_server::store::{BranchStore as _, CatalogStore as _};
use pos_app::ui::worker::{Engine, Replies};
use pos_app::ui::{App, Input, Message, Prompt, Screen, Tone};
use shared::catalog::{Product, ProductStatus};
use shared::lang::Lang;
use shared::money::{Money, Qty};
use tests::browser::Browser;
use tests::*;

/// The till app over an engine thread, fed its replies as the iced runtime would.
struct Counter {
    app: App,
    replies: Replies,
    at: Instant,
}

impl Counter {
    fn new(till: pos_app::Till) -> Counter {
        let (engine, replies) = Engine::spawn(till);
        let mut app = App::new(engine, replies, Lang::En);
        let replies = app.sources.replies.take().and_then(|s| s.take()).expect("replies");
        let mut c = Counter { app, replies, at: Instant::now() };
        c.settle();
        c
    }

    fn settle(&mut self) {
        while self.app.pending > 0 {
            let r = self.replies.blocking_recv().expect("the engine stopped");
            let _ = self.app.update(Message::Engine(Box::new(r)));
        }
    }

    fn send(&mut self, m: Message) {
        let _ = self.app.update(m);
        self.settle();
    }

    /// A key, a person's pause after the one before (no burst looks like a scanner).
    fn key(&mut self, input: Input) {
        self.at += Duration::from_millis(200);
        self.send(Message::Key(input, self.at));
    }

    fn type_slowly(&mut self, s: &str) {
        for c in s.chars() {
            self.key(Input::Char(c));
        }
    }

    fn qty(&self, line: usize) -> Qty {
        self.app.snap.cart.as_ref().expect("a sale").lines[line].priced.qty
    }

    /// F3 on the selected line, the quantity, Enter: whether the till asked to confirm.
    fn set_qty(&mut self, qty: &str) -> bool {
        self.key(Input::F(3));
        self.type_slowly(qty);
        self.key(Input::Enter);
        matches!(&self.app.status, Some((Tone::Info, s)) if s.contains("Enter again"))
    }
}

/// The first active product sold by the piece whose price is in `range` (fen).
fn product_priced(hq: &Hq, range: std::ops::RangeInclusive<i64>) -> Product {
    let all = hq.store().list_products(0, 1_000, None).expect("products");
    all.into_iter()
        .find(|p| !p.weighed && p.status == ProductStatus::Active && range.contains(&p.retail_price.0))
        .unwrap_or_else(|| panic!("the demo catalog has a product priced in {range:?}"))
}

#[test]
fn quick_keys_and_the_large_line_confirmation_set_on_the_branch_page_are_what_the_till_uses() {
    let hq = Hq::start();
    let branch = hq.demo.branches[0].id;
    // Bread at most ¥8.00 (six are still under ¥50), greens from ¥17.00 to ¥24.99 (two are
    // under ¥50, three over).
    let bread = product_priced(&hq, 100..=800);
    let greens = product_priced(&hq, 1_700..=2_499);
    let before = hq.store().get_branch(branch).expect("branch");
    let base = hq.url();
    hq.rt.block_on(async {
        let b = Browser::start().await;
        b.sign_in(&base, "admin", ADMIN_PASSWORD).await;
        let page = format!("{base}/console/branches/{}", branch.0);
        b.client.goto(&page).await.expect("goto");
        // As the branch has them until now: no keys, HQ's defaults.
        assert_eq!(b.value("#branch-form textarea[name=quick_keys]").await, "");
        assert_eq!(b.value("#branch-form input[name=confirm_qty_over]").await, "999");
        assert_eq!(b.value("#branch-form input[name=confirm_line_over]").await, "10000.00");

        // A key without its product code is refused with the line, and nothing is saved.
        b.fill("#branch-form textarea[name=quick_keys]", "面包").await;
        b.click("#branch-form button[type=submit]").await;
        assert!(
            b.text("p.error").await.contains("`面包` is not `label = product code`"),
            "{}",
            b.text("p.error").await
        );
        assert!(hq.store().get_branch(branch).expect("branch").quick_keys.is_empty());

        b.client.goto(&page).await.expect("goto");
        b.fill("#branch-form textarea[name=quick_keys]", &format!("面包 = {}\n青菜 = {}", bread.code, greens.code))
            .await;
        b.fill("#branch-form input[name=confirm_qty_over]", "5").await;
        b.fill("#branch-form input[name=confirm_line_over]", "50").await;
        b.click("#branch-form button[type=submit]").await;
        let answer = b.source().await;
        assert!(answer.contains("class=\"ok\""), "{answer}");
        // The page shows what was saved.
        b.client.goto(&page).await.expect("goto");
        assert_eq!(
            b.value("#branch-form textarea[name=quick_keys]").await.trim_end(),
            format!("面包 = {}\n青菜 = {}", bread.code, greens.code)
        );
        assert_eq!(b.value("#branch-form input[name=confirm_qty_over]").await, "5");
        assert_eq!(b.value("#branch-form input[name=confirm_line_over]").await, "50.00");
        b.quit().await;
    });
    let saved = hq.store().get_branch(branch).expect("branch");
    let keys: Vec<(&str, &str)> =
        saved.quick_keys.iter().map(|k| (k.label.as_str(), k.product_code.as_str())).collect();
    assert_eq!(keys, vec![("面包", bread.code.as_str()), ("青菜", greens.code.as_str())]);
    assert_eq!(
        (saved.cashier_limits.confirm_qty_over, saved.cashier_limits.confirm_line_over),
        (Qty(5_000), Money(5_000))
    );
    // The rest of the form came back as it was (the cash rounding's choice used to be refused).
    assert_eq!(
        (saved.cash_rounding, &saved.time_zone, &saved.name),
        (before.cash_rounding, &before.time_zone, &before.name)
    );

    // A till of the branch: the keys are on its sale screen, and it asks by the branch's limits.
    let t = TestTill::enrol(&hq, &hq.code(0, 0));
    let mut c = Counter::new(t.till);
    c.type_slowly(CASHIER.0);
    c.key(Input::Enter);
    c.type_slowly(CASHIER.1);
    c.key(Input::Enter);
    assert_eq!(c.app.screen, Screen::OpenShift, "{:?}", c.app.status);
    c.type_slowly("5");
    c.key(Input::Enter);
    assert_eq!(c.app.screen, Screen::Sale(Prompt::Scan), "{:?}", c.app.status);
    let labels: Vec<&str> = c.app.snap.quick_keys.iter().map(|k| k.label.as_str()).collect();
    assert_eq!(labels, ["面包", "青菜"]);

    c.send(Message::QuickKey(0));
    let line = &c.app.snap.cart.as_ref().expect("a sale").lines[0];
    assert_eq!((line.item.product_id, line.priced.unit), (bread.id, bread.retail_price));
    // Five is not above five (and five loaves are under ¥50): set at once.
    assert!(!c.set_qty("5"), "{:?}", c.app.status);
    assert_eq!(c.qty(0), Qty(5_000));
    // Six is: asked, not set, until Enter again.
    assert!(c.set_qty("6"), "{:?}", c.app.status);
    assert_eq!(c.qty(0), Qty(5_000), "not set yet");
    c.key(Input::Enter);
    assert_eq!(c.qty(0), Qty(6_000));

    c.send(Message::QuickKey(1));
    assert_eq!(c.app.selected_line(), Some(1));
    assert_eq!(c.app.snap.cart.as_ref().expect("a sale").lines[1].priced.unit, greens.retail_price);
    // Two bunches are under ¥50: set; three are over: asked, though three is no large quantity.
    assert!(!c.set_qty("2"), "{:?}", c.app.status);
    assert_eq!(c.qty(1), Qty(2_000));
    assert!(c.set_qty("3"), "{:?}", c.app.status);
    assert_eq!(c.qty(1), Qty(2_000), "not set yet");
    c.key(Input::Enter);
    assert_eq!(c.qty(1), Qty(3_000));
}
