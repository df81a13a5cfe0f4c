//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fmt::Debug;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use device_drivers::Events;
use shared::Money;
use shared::lang::Lang;
use shared::money::Qty;
use shared::receipt::{Receipt, ReceiptHeader, ReceiptItem, ReceiptKind, ReceiptMember, ReceiptNo, ReceiptTender};
use shared::sale::TenderKind;
use tokio::sync::mpsc::error::TryRecvError;

/// Generous: machines are noisy. Tests wait for events, they never time them.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Pseudo-terminal pairs are not thread-safe: one pty test at a time in this binary.
static PTY: Mutex<()> = Mutex::new(());

pub fn pty_lock() -> MutexGuard<'static, ()> {
    PTY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits for the first event matching `want`, skipping others; panics with what it saw.
pub fn wait_for<E: Debug>(events: &mut Events<E>, what: &str, mut want: impl FnMut(&E) -> bool) -> E {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    loop {
        match events.try_recv() {
            Ok(e) if want(&e) => return e,
            Ok(e) => seen.push(format!("{e:?}")),
            Err(TryRecvError::Empty) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("waiting for {what}: {e:?}; saw {seen:#?}"),
        }
    }
}

/// The events already delivered, without waiting: for checking that nothing else came once the
/// device has shown that it handled a later command (the driver works through them in order).
pub fn queued<E>(events: &mut Events<E>) -> Vec<E> {
    let mut out = Vec::new();
    while let Ok(e) = events.try_recv() {
        out.push(e);
    }
    out
}

/// A member sale of `items` goods, Chinese names mixed with ASCII, as a supermarket prints it.
pub fn sample_receipt(items: usize) -> Receipt {
    let names = [
        "可口可乐 330ml",
        "农夫山泉 550ml",
        "康师傅红烧牛肉面",
        "Oreo 奥利奥饼干 97g",
        "蒙牛纯牛奶 250ml×12",
        "Lay's 乐事薯片 原味 70g",
        "金龙鱼大米 5kg",
        "Colgate 高露洁牙膏",
        "清风抽纸 3包",
        "Tsingtao 青岛啤酒 500ml",
    ];
    let items: Vec<ReceiptItem> = (0..items)
        .map(|i| ReceiptItem {
            name: names[i % names.len()].to_owned(),
            qty: Qty(1000 * (1 + (i as i64 % 3))),
            unit: String::new(),
            weighed: false,
            unit_price: Money(350 + 100 * i as i64),
            net: Money((350 + 100 * i as i64) * (1 + (i as i64 % 3))),
            member_saving: if i % 4 == 0 { Money(50) } else { Money(0) },
            discount: Money(0),
            promotions: Vec::new(),
            gift: false,
        })
        .collect();
    let gross: i64 = items.iter().map(|i| i.net.0 + i.member_saving.0).sum();
    let savings: i64 = items.iter().map(|i| i.member_saving.0).sum();
    let total = gross - savings;
    Receipt {
        kind: ReceiptKind::Sale,
        lang: Lang::ZhCn,
        header: ReceiptHeader {
            branch_name: "好邻居超市 (人民路店)".into(),
            address: "上海市黄浦区人民路 100 号".into(),
            phone: "021-6312 3456".into(),
            ..ReceiptHeader::default()
        },
        receipt_no: ReceiptNo::new("B001", 1, 42),
        original_receipt: None,
        at: "2026-11-20T18:30:05".parse().expect("a date-time"),
        cashier: "王芳".into(),
        items,
        gross: Money(gross),
        member_savings: Money(savings),
        promotions: Vec::new(),
        coupons: Vec::new(),
        discounts: Money(0),
        total_saving: Money(savings),
        clawback: Money(0),
        total: Money(total),
        rounding: Money(0),
        due: Money(total),
        tenders: vec![ReceiptTender { kind: TenderKind::Cash, amount: Money(10_000), points: 0, reference: None }],
        change: Money(10_000 - total),
        change_to_stored_value: Money(0),
        tax: vec![],
        member: Some(ReceiptMember {
            masked_id: "******2345".into(),
            tier_name: Some("金卡".into()),
            points_earned: total / 100,
            points_used: 0,
            points_balance: Some(1234),
            stored_value_balance: None,
        }),
        footer: vec!["谢谢惠顾 欢迎再来".into(), "Thank you!".into()],
        qr: None,
        reprint: false,
    }
}

/// Polls `f` until it gives `Some`, or [`PATIENCE`] runs out.
pub fn eventually<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
