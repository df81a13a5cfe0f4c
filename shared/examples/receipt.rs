//! Rings up a sample member sale with the domain rules and prints its receipt at 58 mm and 80 mm,
//! in Chinese and English: `cargo run -p shared --example receipt`.

use jiff::Timestamp;
use jiff::civil::date;
use shared::catalog::{BarcodeRules, CategoryId, ProductId, ScannedCode, classify_scan};
use shared::ids::{BranchId, SaleId, ShiftId, StaffId, TillId};
use shared::lang::Lang;
use shared::member::MemberIdentifier;
use shared::policy::MemberPolicy;
use shared::pricing::{CashRounding, LineInput, OrderDiscount, qty_from_label_price};
use shared::receipt::{PaperWidth, Receipt, ReceiptContext, ReceiptHeader, ReceiptNo};
use shared::sale::{CompletedSale, LineItem, SaleMember, TenderInput, price_sale, settle};
use shared::{Bp, Money, Qty};

fn item(id: i64, name: &str, unit: &str, price: i64, member_price: Option<i64>, qty: Qty) -> LineItem {
    LineItem {
        brand: None,
        product_id: ProductId(id),
        product_code: format!("P{id:05}"),
        barcode: None,
        name: name.into(),
        category: CategoryId(1),
        unit: unit.into(),
        vat: Bp(1300),
        points_eligible: true,
        weighed: false,
        pricing: LineInput {
            base_price: Money(price),
            member_price: member_price.map(Money),
            discount_eligible: true,
            qty,
            label_price: None,
            manual: None,
        },
    }
}

fn main() {
    let policy = MemberPolicy::initial(Timestamp::UNIX_EPOCH);
    let gold = policy.tiers.by_code("gold").expect("the sample ladder has gold").clone();
    let rules = BarcodeRules::default();

    let mut items = vec![
        item(1, "可口可乐 330ml", "瓶", 350, Some(300), Qty::pieces(2)),
        item(2, "Lay's 乐事薯片 原味 75g", "袋", 790, None, Qty::ONE),
        item(3, "金龙鱼 食用调和油 5L", "桶", 6990, Some(5990), Qty::ONE),
    ];
    // A scale label: 2001234012508 is PLU 01234 at ¥12.50.
    if let Ok(ScannedCode::ScaleLabel(label)) = classify_scan("2001234012508", &rules)
        && let shared::catalog::LabelValue::Price(price) = label.value
    {
        let mut apples = item(4, "红富士苹果(散装)", "kg", 1280, None, Qty(0));
        apples.pricing.label_price = Some(price);
        apples.pricing.qty = qty_from_label_price(price, Money(1280)).expect("positive base price");
        items.push(apples);
    }

    let priced = price_sale(&items, Some(&gold.benefit()), Some(OrderDiscount::Amount(Money(500))))
        .expect("the sample sale prices");
    let settlement = settle(priced.totals.total, &[TenderInput::cash(Money(10_000))], CashRounding::DownToJiao)
        .expect("¥100 covers it");
    let day = date(2026, 11, 23);
    let points = policy.points_for(priced.points_eligible_net, &gold, day, None).expect("in range");
    let mut totals = priced.totals;
    totals.rounding = settlement.rounding;
    totals.due = settlement.due;
    let sale = CompletedSale {
        id: SaleId::new(),
        receipt_no: ReceiptNo::new("B001", 1, 42),
        branch: BranchId(1),
        till: TillId(1),
        shift: ShiftId::new(),
        cashier: StaffId(7),
        completed_at: Timestamp::now(),
        business_day: day,
        lines: priced.lines,
        order_discount: Some(OrderDiscount::Amount(Money(500))),
        totals,
        tax: priced.tax,
        points_eligible_net: priced.points_eligible_net,
        promotions: priced.promotions.clone(),
        coupons: Vec::new(),
        tenders: settlement.tenders,
        change: settlement.change,
        change_to_stored_value: Money::ZERO,
        member: Some(SaleMember {
            member_id: None,
            identifier: MemberIdentifier::Code(shared::catalog::MemberCode::parse("0000012345").expect("digits")),
            tier: Some(gold.code.clone()),
            points_base: priced.points_eligible_net,
            points_earned: points,
            policy_version: policy.version,
        }),
    };
    sale.check().expect("the sample sale adds up");

    for (lang, paper) in [(Lang::ZhCn, PaperWidth::Mm58), (Lang::En, PaperWidth::Mm80)] {
        let ctx = ReceiptContext {
            lang,
            header: ReceiptHeader {
                branch_name: "Tillpoint 人民路店".into(),
                address: "上海市黄浦区人民路100号".into(),
                phone: "021-12345678".into(),
                extra: vec![],
            },
            footer: vec!["谢谢惠顾 欢迎再次光临".into()],
            cashier_name: "张三".into(),
            at: date(2026, 11, 23).at(10, 15, 0, 0),
            tier_name: Some(gold.name.clone()),
            points_balance: Some(1_234 + points),
            stored_value_balance: None,
            qr: None,
            reprint: false,
        };
        let receipt = Receipt::for_sale(&sale, &ctx, |i| i == 3);
        println!("{}", receipt.text(paper));
    }
}
