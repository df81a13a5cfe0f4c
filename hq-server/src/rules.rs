//! Checks of what HQ staff type, before anything is stored. Every function returns the reason a
//! value is refused, in words a person can act on. Domain rules come from `shared`.

use shared::branch::{BranchSettings, valid_branch_code};
use shared::catalog::{Brand, Category, Product, canonical_barcode, check_price};
use shared::sync::BranchPrice;

pub type Check = Result<(), String>;

fn text(field: &str, value: &str, max: usize) -> Check {
    if value.trim().is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    optional_text(field, value, max)
}

fn optional_text(field: &str, value: &str, max: usize) -> Check {
    if value.chars().count() > max {
        return Err(format!("{field} is longer than {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field} contains control characters"));
    }
    Ok(())
}

pub fn username(name: &str) -> Check {
    let ok = (3..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if ok { Ok(()) } else { Err(format!("username `{name}` must be 3–64 of a–z, 0–9, `.`, `_`, `-`")) }
}

pub fn display_name(name: &str) -> Check {
    text("display name", name, 100)
}

/// At least 10 characters (OWASP asks for 8 with MFA; we have none), at most 256.
pub fn password(p: &str) -> Check {
    let n = p.chars().count();
    if n < 10 {
        Err("a password needs at least 10 characters".into())
    } else if n > 256 {
        Err("a password may have at most 256 characters".into())
    } else {
        Ok(())
    }
}

pub fn branch(b: &BranchSettings) -> Check {
    if !valid_branch_code(&b.code) {
        return Err(format!("branch code `{}` must be 1–16 ASCII letters or digits", b.code));
    }
    // A receipt number begins with its branch's code: `CP` and a digit would make receipts that
    // read like coupon codes (`CP<campaign>-<coupon>-…`) at the till.
    let b2 = b.code.as_bytes();
    if b2.len() > 2 && b2[..2].eq_ignore_ascii_case(b"CP") && b2[2].is_ascii_digit() {
        return Err(format!("branch code `{}` may not begin with CP and a digit (coupon codes do)", b.code));
    }
    text("branch name", &b.name, 100)?;
    optional_text("address", &b.address, 200)?;
    optional_text("phone", &b.phone, 40)?;
    for (field, lines) in [("receipt header", &b.receipt_header), ("receipt footer", &b.receipt_footer)] {
        if lines.len() > 10 {
            return Err(format!("{field} has more than 10 lines"));
        }
        for l in lines {
            optional_text(field, l, 64)?;
        }
    }
    time_zone(&b.time_zone)?;
    shared::limits::non_negative("the stored-value limit for returns without a receipt", b.no_receipt_refund_cap)
        .map_err(|e| e.to_string())?;
    for (field, bp) in [
        ("cashier line discount limit", b.cashier_limits.line_discount),
        ("cashier order discount limit", b.cashier_limits.order_discount),
    ] {
        if !(0..=10_000).contains(&bp.0) {
            return Err(format!("{field} must be between 0 and 10000 basis points"));
        }
    }
    let limits = &b.cashier_limits;
    let qty = limits.confirm_qty_over.0;
    if !(1_000..=1_000_000_000).contains(&qty) || qty % 1_000 != 0 {
        return Err("the quantity a cashier confirms above must be a whole number between 1 and 1000000".into());
    }
    if !(1..=10_000_000_000).contains(&limits.confirm_line_over.0) {
        return Err("the line amount a cashier confirms above must be between ¥0.01 and ¥100,000,000".into());
    }
    if b.pin_lockout_minutes > 1440 {
        return Err("PIN lock-out must be at most 1440 minutes".into());
    }
    Ok(())
}

pub fn time_zone(tz: &str) -> Check {
    if tz.is_empty() || tz.len() > 64 {
        return Err("time zone must be an IANA name like Asia/Shanghai".into());
    }
    match jiff::tz::TimeZone::get(tz) {
        Ok(_) => Ok(()),
        // Without a time zone database on this machine, accept what looks like an IANA name.
        Err(_) if jiff::tz::db().is_definitively_empty() => {
            if tz.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+')) {
                Ok(())
            } else {
                Err(format!("`{tz}` is not an IANA time zone"))
            }
        }
        Err(_) => Err(format!("`{tz}` is not an IANA time zone")),
    }
}

/// A staff login: the 1–12 digits a cashier types before the PIN.
pub fn staff_login(login: &str) -> Check {
    if (1..=12).contains(&login.len()) && login.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("staff login `{login}` must be 1–12 digits"))
    }
}

pub fn staff_name(name: &str) -> Check {
    text("staff name", name, 50)
}

/// A PIN: 4–8 digits.
pub fn pin(pin: &str) -> Check {
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("a PIN must be 4–8 digits".into())
    }
}

pub fn category(c: &Category) -> Check {
    if c.code.is_empty()
        || c.code.len() > 32
        || !c.code.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    {
        return Err(format!("category code `{}` must be 1–32 letters, digits, `-` or `_`", c.code));
    }
    text("category name", &c.name, 100)
}

/// A brand code: 1–32 characters, none of them a control character or at either end a space.
pub fn brand_code(code: &str) -> Check {
    let n = code.chars().count();
    if n == 0 || n > 32 || code.chars().any(char::is_control) || code.trim() != code {
        return Err(format!("brand code `{}` must be 1–32 characters without control characters", code.escape_debug()));
    }
    Ok(())
}

pub fn brand_name(name: &str) -> Check {
    text("brand name", name, 100)
}

/// An expense subject's name (房租 Rent).
pub fn expense_subject_name(name: &str) -> Check {
    text("subject name", name, 100)
}

pub fn brand(b: &Brand) -> Check {
    brand_code(&b.code)?;
    brand_name(&b.name)
}

/// Puts barcodes in canonical form and checks the product with the domain's rules and HQ's limits.
pub fn product(p: &mut Product) -> Check {
    p.code = p.code.trim().to_owned();
    p.barcodes = p.barcodes.iter().map(|b| canonical_barcode(b.trim())).collect();
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = p.barcodes.iter().find(|b| !seen.insert(b.as_str())) {
        return Err(format!("barcode {dup} is listed twice"));
    }
    if p.barcodes.len() > 20 {
        return Err("a product may have at most 20 barcodes".into());
    }
    p.validate().map_err(|e| e.to_string())?;
    if p.code.len() > 64 || p.code.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("product code `{}` must be at most 64 characters without spaces", p.code));
    }
    text("product name", &p.name, 200)?;
    optional_text("short name", &p.short_name, 100)?;
    text("unit", &p.unit, 16)?;
    if let Some(m) = p.member_price
        && m > p.retail_price
    {
        return Err(format!("member price {m} is above the retail price {}", p.retail_price));
    }
    Ok(())
}

pub fn branch_price(p: &BranchPrice) -> Check {
    for price in [p.price, p.member_price].into_iter().flatten() {
        check_price(price).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The most a promotion's amount (a price, an amount off, a threshold, a cap) may be: ¥10,000,000.
pub const MAX_PROMOTION_FEN: i64 = 1_000_000_000;
/// The most units a promotion's group (买 N 赠 M, 第 N 件, N 元 M 件) may count.
pub const MAX_GROUP_UNITS: u32 = 1_000;
/// The most products, categories or exclusions a promotion's scope may list.
pub const MAX_SCOPE_ITEMS: usize = 10_000;

/// What HQ's forms and API bound beyond `Promotion::validate` (which the store runs too): the
/// texts, the amounts and the counts. Each reason starts with the field, as the engine's do.
pub fn promotion(p: &shared::promotions::Promotion) -> Check {
    use shared::promotions::{Audience, PromotionKind};
    let named = |field: &str, r: Check| r.map_err(|e| format!("{field}: {e}"));
    if p.name.trim().is_empty() {
        return Err("name: a promotion needs a name".into());
    }
    named("name", optional_text("the name", &p.name, 100))?;
    if let Some(g) = &p.exclusivity_group {
        named("exclusivity_group", text("the group", g, 32))?;
    }
    if let Audience::Tiers(tiers) = &p.audience {
        for t in tiers {
            named("audience.tiers", text("a tier code", t, 32))?;
        }
    }
    let s = &p.scope;
    for (field, n) in [
        ("scope.products", s.products.len()),
        ("scope.categories", s.categories.len()),
        ("scope.brands", s.brands.len()),
        ("scope.excluded", s.excluded.len()),
    ] {
        if n > MAX_SCOPE_ITEMS {
            return Err(format!("{field}: more than {MAX_SCOPE_ITEMS} entries"));
        }
    }
    let amount = |field: &str, m: shared::Money| {
        if m.0 > MAX_PROMOTION_FEN { Err(format!("kind.{field}: {m} is above ¥10,000,000")) } else { Ok(()) }
    };
    let units = |field: &str, n: u32| {
        if n > MAX_GROUP_UNITS { Err(format!("kind.{field}: {n} is above {MAX_GROUP_UNITS}")) } else { Ok(()) }
    };
    match &p.kind {
        PromotionKind::FixedPrice { price } => amount("price", *price),
        PromotionKind::AmountOff { off } => amount("off", *off),
        PromotionKind::PercentOff { .. } => Ok(()),
        PromotionKind::BuyNGetMFree { n, m } => units("n", *n).and_then(|()| units("m", *m)),
        PromotionKind::NthPercentOff { n, .. } => units("n", *n),
        PromotionKind::NForPrice { n, price } => units("n", *n).and_then(|()| amount("price", *price)),
        PromotionKind::Slabs { slabs } => {
            if slabs.len() > 20 {
                return Err("kind.slabs: more than 20 slabs".into());
            }
            slabs
                .iter()
                .try_for_each(|s| amount("slabs.threshold", s.threshold).and_then(|()| amount("slabs.off", s.off)))
        }
        PromotionKind::Repeating { every, off, cap } => amount("every", *every)
            .and_then(|()| amount("off", *off))
            .and_then(|()| cap.map_or(Ok(()), |c| amount("cap", c))),
        PromotionKind::ThresholdPercent { threshold, .. } => amount("threshold", *threshold),
        PromotionKind::Gift { threshold, .. } => amount("threshold", *threshold),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_pins_and_usernames() {
        assert!(pin("1234").is_ok());
        assert!(pin("123").is_err());
        assert!(pin("12a4").is_err());
        assert!(staff_login("1001").is_ok());
        assert!(staff_login("").is_err());
        assert!(username("alice.w").is_ok());
        assert!(username("Al").is_err());
        assert!(password("short").is_err());
        assert!(time_zone("Asia/Shanghai").is_ok());
        assert!(time_zone("Mars/Olympus Mons").is_err());
    }

    #[test]
    fn brand_codes() {
        assert!(brand_code("B001").is_ok());
        assert!(brand_code("农夫山泉").is_ok());
        assert!(brand_code(&"x".repeat(32)).is_ok());
        assert!(brand_code(&"x".repeat(33)).is_err());
        assert!(brand_code("").is_err());
        assert!(brand_code("a\tb").is_err());
        assert!(brand_code(" B1").is_err());
        assert!(brand_name(" ").is_err());
    }
}
