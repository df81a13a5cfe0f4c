//! The sale being rung up: scanning, searching, quantities, overrides and discounts, the member,
//! holding and recalling, voiding. The cart is saved on every change, so it comes back after a
//! crash or a restart.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::catalog::{LabelValue, ProductStatus, ScannedCode, classify_scan};
use shared::ids::{HoldId, SaleId};
use shared::member::{MemberIdentifier, MemberSnapshot, MemberStatus};
use shared::member_code::{MemberCodeError, RotatingCode};
use shared::money::{Money, Qty};
use shared::policy::MemberPolicy;
use shared::pricing::{LineInput, ManualAdjustment, OrderDiscount, qty_from_label_price, reduction_share};
use shared::promotions::coupons::Coupon;
use shared::promotions::{Customer, ThresholdHint};
use shared::receipt::ReceiptNo;
use shared::sale::{
    LineItem, PricedSale, PromotionContext, SaleLine, SalePromotions, SaleTotals, TenderInput, TenderKind,
    price_sale_with,
};
use shared::staff::ApprovalAction;
use shared::sync::{AuditEntry, MemberLookupResponse, member_code_refusal};
use shared::tax::TaxGroup;
use shared::tiers::Tier;

use super::coupons::CouponView;
use super::{Approval, Till, TillError, TillResult};
use crate::authority::AuthorityError;
use crate::store::{HeldSale, ProductHit, TillProduct};

/// One line of the cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub item: LineItem,
    /// Sold by weight (the quantity shows with its unit).
    pub weighed: bool,
}

/// The member attached to the cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartMember {
    /// What the cashier scanned or typed.
    pub identifier: MemberIdentifier,
    /// What HQ (or the local cache, offline) knows of the member; `None` when only the identifier
    /// was captured offline: HQ attributes the sale when its event arrives.
    pub snapshot: Option<MemberSnapshot>,
    /// Whether HQ answered the lookup (rather than the cache).
    pub online: bool,
    /// HQ's count of the member's sales with each per-member-limited promotion (empty offline:
    /// the till cannot count, and HQ checks its own count when the sale arrives).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub promotion_uses: std::collections::BTreeMap<shared::promotions::PromotionId, u32>,
}

/// The sale in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    pub id: SaleId,
    pub started_at: Timestamp,
    pub lines: Vec<CartLine>,
    pub member: Option<CartMember>,
    pub order_discount: Option<OrderDiscount>,
    /// Payments entered so far (points and stored value backed by HQ holds).
    pub tenders: Vec<TenderInput>,
    /// The member's coupons presented, in the order given (each held at HQ, or taken offline).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coupons: Vec<CartCoupon>,
    /// The receipt number taken for the sale's first payment by code (HQ's order numbers derive
    /// from it); the sale completes under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_no: Option<ReceiptNo>,
}

/// A coupon on the sale in progress: the code presented, what it gives, and HQ's hold on it
/// (`None`: taken while HQ could not be reached, under its campaign's offline cap).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartCoupon {
    pub code: String,
    pub coupon: Coupon,
    pub hold: Option<HoldId>,
    /// The last moment it may be used (HQ's word; unknown offline).
    pub valid_until: Option<Timestamp>,
    /// The member HQ issued it to (unknown offline): attaching another member is refused.
    pub owner: Option<shared::ids::MemberId>,
}

/// What the sale screen shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartView {
    pub lines: Vec<SaleLine>,
    pub weighed: Vec<bool>,
    pub totals: SaleTotals,
    pub tax: Vec<TaxGroup>,
    pub member: Option<CartMember>,
    pub tier: Option<Tier>,
    /// The points this sale will earn as it stands.
    pub points_preview: i64,
    pub tenders: Vec<TenderInput>,
    /// What is left to pay after the non-cash tenders.
    pub remaining: Money,
    /// What cash must cover after the branch's cash rounding.
    pub cash_due: Money,
    /// Cash handed over so far.
    pub cash_given: Money,
    /// Everything handed over so far, all tenders.
    pub received: Money,
    /// What is still to pay: zero once the tenders cover the sale; in cash after the branch's
    /// rounding once cash was handed (`shared::sale::outstanding`).
    pub outstanding: Money,
    /// The promotions that took effect (names for the lines' allocations; order thresholds).
    pub promotions: Option<SalePromotions>,
    /// The order threshold the cart is near.
    pub threshold_hint: Option<ThresholdHint>,
    /// The member's coupons on the sale, with what each takes off.
    pub coupons: Vec<CouponView>,
}

/// What a scan did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanOutcome {
    /// A product line was added (or its quantity raised).
    Added { line: usize },
    /// A member card (or a member's rotating code) was scanned and the member attached.
    MemberAttached(Box<CartMember>),
    /// A receipt barcode: start a return with it.
    Receipt(ReceiptNo),
    /// A coupon code: the coupon was added to the sale.
    Coupon(CouponView),
}

impl Cart {
    pub(crate) fn new(at: Timestamp) -> Cart {
        Cart {
            id: SaleId::new(),
            started_at: at,
            lines: Vec::new(),
            member: None,
            order_discount: None,
            tenders: Vec::new(),
            coupons: Vec::new(),
            receipt_no: None,
        }
    }
}

pub(crate) fn line_from(product: &TillProduct, qty: Qty, barcode: Option<String>) -> LineItem {
    let p = &product.product;
    LineItem {
        brand: p.brand,
        product_id: p.id,
        product_code: p.code.clone(),
        barcode,
        name: p.receipt_name().to_owned(),
        category: p.category,
        unit: p.unit.clone(),
        vat: p.vat,
        points_eligible: p.points_eligible,
        weighed: p.weighed,
        pricing: LineInput {
            base_price: product.base_price(),
            member_price: product.member_price(),
            discount_eligible: p.discount_eligible,
            qty,
            label_price: None,
            manual: None,
        },
    }
}

impl Till {
    /// The sale in progress.
    pub fn cart(&self) -> Option<&Cart> {
        self.cart.as_ref()
    }

    /// The member's tier under `policy`.
    pub(crate) fn member_tier(policy: Option<&MemberPolicy>, member: Option<&CartMember>) -> Option<Tier> {
        let snapshot = member?.snapshot.as_ref()?;
        policy?.tiers.by_code(&snapshot.tier).cloned()
    }

    /// Prices the cart: member benefit, then the pulled promotion set (when there is one) at the
    /// business time the sale started, then manual changes and the order discount.
    pub(crate) fn price(&self, cart: &Cart) -> TillResult<(PricedSale, Option<Tier>, Option<MemberPolicy>)> {
        let policy = self.policy()?;
        let tier = Till::member_tier(policy.as_ref(), cart.member.as_ref());
        let items: Vec<LineItem> = cart.lines.iter().map(|l| l.item.clone()).collect();
        let settings = self.settings()?;
        let coupons: Vec<Coupon> = cart.coupons.iter().map(|c| c.coupon.clone()).collect();
        let context =
            (!settings.promotions.set().promotions.is_empty() || !coupons.is_empty()).then(|| PromotionContext {
                engine: &settings.promotions,
                branch: settings.branch.id,
                at: cart.started_at.to_zoned(settings.time_zone.clone()).datetime(),
                customer: Customer {
                    member: cart.member.is_some(),
                    // The tier the sale records (the policy's), which is what HQ re-prices with.
                    tier: tier.as_ref().map(|t| t.code.clone()),
                    // Per-member limits: HQ's count from the lookup (none offline; HQ checks its own).
                    used_by_member: cart.member.as_ref().map(|m| m.promotion_uses.clone()).unwrap_or_default(),
                },
                gifts: &settings.gifts,
                coupons: &coupons,
            });
        let priced = price_sale_with(
            &items,
            tier.as_ref().map(|t| t.benefit()).as_ref(),
            cart.order_discount,
            context.as_ref(),
        )?;
        Ok((priced, tier, policy))
    }

    /// The priced sale in progress, as the sale screen shows it.
    pub fn view(&self) -> TillResult<Option<CartView>> {
        let Some(cart) = &self.cart else { return Ok(None) };
        let (priced, tier, policy) = self.price(cart)?;
        let branch = self.branch()?;
        let non_cash: Money = cart.tenders.iter().filter(|t| t.kind != TenderKind::Cash).map(|t| t.amount).sum();
        let cash_given: Money = cart.tenders.iter().filter(|t| t.kind == TenderKind::Cash).map(|t| t.amount).sum();
        let remaining = priced.totals.total - non_cash;
        let paid_with_points: Money =
            cart.tenders.iter().filter(|t| t.kind == TenderKind::Points).map(|t| t.amount).sum();
        let points_preview = self.points_for(cart, &priced, tier.as_ref(), policy.as_ref(), paid_with_points)?;
        Ok(Some(CartView {
            weighed: priced.lines.iter().map(|l| l.item.weighed).collect(),
            lines: priced.lines,
            totals: priced.totals,
            tax: priced.tax,
            member: cart.member.clone(),
            tier,
            points_preview,
            tenders: cart.tenders.clone(),
            remaining,
            cash_due: branch.cash_rounding.apply(remaining),
            cash_given,
            received: cart.tenders.iter().map(|t| t.amount).sum(),
            outstanding: shared::sale::outstanding(priced.totals.total, &cart.tenders, branch.cash_rounding)
                .unwrap_or(remaining),
            coupons: super::coupons::coupon_views(cart, &priced.coupons),
            promotions: priced.promotions,
            threshold_hint: priced.threshold_hint,
        }))
    }

    /// The points a sale earns: the shared rule with the policy in force, the member's tier and
    /// birthday. A member known only by identifier earns at the entry tier.
    pub(crate) fn points_for(
        &self,
        cart: &Cart,
        priced: &PricedSale,
        tier: Option<&Tier>,
        policy: Option<&MemberPolicy>,
        paid_with_points: Money,
    ) -> TillResult<i64> {
        let (Some(member), Some(policy)) = (&cart.member, policy) else { return Ok(0) };
        if member.snapshot.as_ref().is_some_and(|s| s.status != MemberStatus::Active) {
            return Ok(0);
        }
        let tier = tier.unwrap_or(policy.tiers.entry());
        let eligible = shared::points::eligible_base(priced.points_eligible_net, paid_with_points);
        let birthday = member.snapshot.as_ref().and_then(|s| s.birthday);
        let day = self.business_day()?;
        Ok(policy.points_for(eligible, tier, day, birthday)?)
    }

    /// Saves the cart (or its absence), with an audit entry in the same transaction.
    pub(crate) fn persist_cart(&mut self, audit: Option<AuditEntry>) -> TillResult<()> {
        let json = self.cart.as_ref().map(crate::store::to_json).transpose()?;
        let stamp = self.stamp();
        self.store.tx(|tx| {
            crate::store::write_cart(tx, json.as_deref())?;
            if let Some(entry) = audit {
                stamp.audit(tx, entry)?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Applies `change` to a copy of the cart, checks it still prices, then keeps and saves it.
    /// On any error the cart is exactly as before.
    pub(crate) fn change_cart(
        &mut self,
        audit: Option<AuditEntry>,
        change: impl FnOnce(&mut Cart) -> TillResult<()>,
    ) -> TillResult<()> {
        self.my_shift()?;
        let mut cart = self.cart.clone().unwrap_or_else(|| Cart::new(self.now()));
        change(&mut cart)?;
        let (priced, _, _) = self.price(&cart)?;
        let previous = self.cart.replace(cart);
        if let Err(e) = self.persist_cart(audit) {
            self.cart = previous;
            return Err(e);
        }
        self.show_on_display(&priced);
        Ok(())
    }

    /// The customer display shows the last line and the total, from the pricing just done.
    fn show_on_display(&self, priced: &PricedSale) {
        let last = priced.lines.iter().rfind(|l| l.gift_of.is_none()).map(|l| (l.item.name.as_str(), l.net));
        self.devices.show_customer(last, priced.totals.total);
    }

    pub(crate) fn no_tenders(&self) -> TillResult<()> {
        if self.cart.as_ref().is_some_and(|c| !c.tenders.is_empty()) { Err(TillError::TendersPresent) } else { Ok(()) }
    }

    /// What the scanner read (or the cashier typed in the barcode field): a product, a scale
    /// label, a member card or rotating code, a coupon, or a receipt to return against.
    pub fn scan(&mut self, code: &str) -> TillResult<ScanOutcome> {
        self.cashier()?;
        if shared::promotions::coupons::CouponCode::looks_like(code) {
            return Ok(ScanOutcome::Coupon(self.add_coupon(code)?));
        }
        let rules = self.branch()?.barcode_rules;
        match classify_scan(code, &rules)? {
            ScannedCode::Receipt(no) => Ok(ScanOutcome::Receipt(no)),
            // Checked (by HQ, or offline with the member's cached secret), never a product.
            ScannedCode::MemberRotating(code) => {
                let member = self.attach_by_rotating_code(&code)?;
                Ok(ScanOutcome::MemberAttached(Box::new(member)))
            }
            ScannedCode::MemberCard(c) => {
                let member = self.attach_member(MemberIdentifier::Code(c))?;
                Ok(ScanOutcome::MemberAttached(Box::new(member)))
            }
            ScannedCode::Product(barcode) => {
                let product = self.store.product_by_barcode(&barcode)?;
                let product = match product {
                    Some(p) => p,
                    // Internal codes may be product codes rather than barcodes.
                    None => self.store.product_by_code(&barcode)?.ok_or(TillError::UnknownBarcode(barcode.clone()))?,
                };
                self.add_line(&product, Qty::ONE, None, Some(barcode))
            }
            ScannedCode::ScaleLabel(label) => {
                let product = self
                    .store
                    .product_by_plu(label.plu)?
                    .ok_or_else(|| TillError::UnknownBarcode(code.trim().to_owned()))?;
                match label.value {
                    LabelValue::Price(price) => {
                        let qty = qty_from_label_price(price, product.base_price())?;
                        self.add_line(&product, qty, Some(price), Some(code.trim().to_owned()))
                    }
                    LabelValue::WeightGrams(grams) => {
                        if grams <= 0 {
                            return Err(TillError::Invalid("the label weighs nothing".into()));
                        }
                        self.add_line(&product, Qty(grams), None, Some(code.trim().to_owned()))
                    }
                }
            }
        }
    }

    fn add_line(
        &mut self,
        product: &TillProduct,
        qty: Qty,
        label_price: Option<Money>,
        barcode: Option<String>,
    ) -> TillResult<ScanOutcome> {
        if product.product.status == ProductStatus::Delisted {
            return Err(TillError::Delisted(product.product.name.clone()));
        }
        if qty.0 <= 0 {
            return Err(shared::pricing::PricingError::QtyNotPositive(qty).into());
        }
        self.no_tenders()?;
        let mut item = line_from(product, qty, barcode);
        item.pricing.label_price = label_price;
        let weighed = product.product.weighed;
        let mut index = 0;
        self.change_cart(None, |cart| {
            // Another piece of the same product joins its line; weighed and labelled goods do not.
            let same = cart.lines.iter().rposition(|l| {
                !weighed
                    && label_price.is_none()
                    && l.item.product_id == item.product_id
                    && l.item.pricing.manual.is_none()
                    && l.item.pricing.label_price.is_none()
                    && l.item.pricing.base_price == item.pricing.base_price
            });
            match same {
                Some(i) => {
                    cart.lines[i].item.pricing.qty.0 += qty.0;
                    index = i;
                }
                None => {
                    cart.lines.push(CartLine { item, weighed });
                    index = cart.lines.len() - 1;
                }
            }
            Ok(())
        })?;
        Ok(ScanOutcome::Added { line: index })
    }

    /// Adds a product found by search (or typed by code).
    pub fn add_product(&mut self, id: shared::catalog::ProductId, qty: Qty) -> TillResult<usize> {
        self.cashier()?;
        let product = self.store.product(id)?.ok_or(TillError::UnknownProduct)?;
        match self.add_line(&product, qty, None, None)? {
            ScanOutcome::Added { line } => Ok(line),
            _ => Err(TillError::UnknownProduct),
        }
    }

    /// Products by name (Chinese characters or pinyin initials), words, code or barcode; a
    /// number of up to five digits is also a PLU (goods weighed or sold loose), listed first.
    pub fn search(&self, query: &str, limit: usize) -> TillResult<Vec<ProductHit>> {
        let query = query.trim();
        let by_plu = match query.parse::<u32>() {
            Ok(plu) if query.len() <= 5 => self.store.product_by_plu(plu)?,
            _ => None,
        }
        .filter(|p| p.product.status == ProductStatus::Active);
        let mut hits: Vec<ProductHit> = Vec::new();
        if let Some(p) = by_plu {
            hits.push(ProductHit {
                price: p.base_price(),
                on_hand: self.store.on_hand(p.product.id)?,
                id: p.product.id,
                code: p.product.code,
                name: p.product.name,
                unit: p.product.unit,
            });
        }
        for hit in self.store.search_products(query, limit.min(200))? {
            if !hits.iter().any(|h| h.id == hit.id) {
                hits.push(hit);
            }
        }
        for hit in &mut hits {
            if let Some(o) = &mut hit.on_hand {
                o.label = self.as_of_label(o.as_of)?;
            }
        }
        Ok(hits)
    }

    /// Changes a line's quantity (thousandths; weighed goods in grams).
    pub fn set_qty(&mut self, line: usize, qty: Qty) -> TillResult<()> {
        self.no_tenders()?;
        if qty.0 <= 0 {
            return Err(shared::pricing::PricingError::QtyNotPositive(qty).into());
        }
        self.change_cart(None, |cart| {
            let l = cart.lines.get_mut(line).ok_or(TillError::NoSuchLine(line))?;
            if l.item.pricing.label_price.is_some() {
                return Err(TillError::Invalid("a scale label's quantity cannot be changed".into()));
            }
            l.item.pricing.qty = qty;
            Ok(())
        })
    }

    pub fn remove_line(&mut self, line: usize) -> TillResult<()> {
        self.no_tenders()?;
        self.change_cart(None, |cart| {
            if line >= cart.lines.len() {
                return Err(TillError::NoSuchLine(line));
            }
            cart.lines.remove(line);
            Ok(())
        })
    }

    /// A price override or line discount (step 4). Beyond the cashier's limit a manager approves.
    pub fn adjust_line(
        &mut self,
        line: usize,
        adjustment: Option<ManualAdjustment>,
        approval: Option<Approval>,
    ) -> TillResult<()> {
        self.no_tenders()?;
        let cart = self.cart.as_ref().ok_or(TillError::NoSale)?;
        let current = cart.lines.get(line).ok_or(TillError::NoSuchLine(line))?;
        let (priced, tier, _) = self.price(cart)?;
        let before = priced.lines[line].priced.net + priced.lines[line].priced.manual_discount;
        let mut item = current.item.clone();
        item.pricing.manual = adjustment;
        // The change on its own first: a bad one is refused with the line's own reason.
        shared::pricing::price_line(&item.pricing, tier.map(|t| t.benefit()).as_ref())?;
        // The line as the whole cart would price it (promotions included: a line discount comes
        // after them, an override takes them away), against what it costs now before any change.
        let mut trial = cart.clone();
        trial.lines[line].item.pricing.manual = adjustment;
        let (repriced, _, _) = self.price(&trial)?;
        let after = repriced.lines[line].priced.net;
        let limits = self.branch()?.cashier_limits;
        let action = match adjustment {
            Some(ManualAdjustment::PriceOverride(_)) => ApprovalAction::PriceOverride,
            _ => ApprovalAction::LineDiscount,
        };
        let audit = if reduction_share(before, after) > limits.line_discount {
            let approver = self.check_approval(approval.as_ref(), action)?;
            Some(self.approval_entry(
                action,
                approver,
                format!("{} {} → {}", item.name, before, after),
                Some(cart.id),
            )?)
        } else {
            None
        };
        self.change_cart(audit, |cart| {
            cart.lines[line].item.pricing.manual = adjustment;
            Ok(())
        })
    }

    /// An order discount over the discountable goods; beyond the cashier's limit a manager approves.
    pub fn set_order_discount(
        &mut self,
        discount: Option<OrderDiscount>,
        approval: Option<Approval>,
    ) -> TillResult<()> {
        self.no_tenders()?;
        let cart = self.cart.as_ref().ok_or(TillError::NoSale)?;
        let mut trial = cart.clone();
        trial.order_discount = discount;
        let (priced, _, _) = self.price(&trial)?;
        let eligible: Money =
            priced.lines.iter().filter(|l| l.item.pricing.discount_eligible).map(|l| l.priced.net).sum();
        let limits = self.branch()?.cashier_limits;
        let audit = if discount.is_some()
            && reduction_share(eligible, eligible - priced.totals.order_discount) > limits.order_discount
        {
            let approver = self.check_approval(approval.as_ref(), ApprovalAction::OrderDiscount)?;
            Some(self.approval_entry(
                ApprovalAction::OrderDiscount,
                approver,
                format!("order discount {}", priced.totals.order_discount),
                Some(cart.id),
            )?)
        } else {
            None
        };
        self.change_cart(audit, |cart| {
            cart.order_discount = discount;
            Ok(())
        })
    }

    /// Attaches a member by card code, card UID or phone. HQ answers when it can; offline, the
    /// local cache does; failing both, the identifier alone is kept so HQ can attribute the sale.
    /// A number in a rotating code's shape (typed at the member prompt) is checked as that code.
    pub fn attach_member(&mut self, by: MemberIdentifier) -> TillResult<CartMember> {
        if let MemberIdentifier::Code(c) = &by
            && let Some(code) = RotatingCode::parse(c.as_str())
        {
            return self.attach_by_rotating_code(&code);
        }
        self.cashier()?;
        self.no_tenders()?;
        let member = match self.authority.lookup(&by) {
            Ok(found) => self.found_online(by, found)?,
            Err(AuthorityError::Unavailable(_)) => CartMember {
                snapshot: self.store.cached_member(&by)?,
                identifier: by,
                online: false,
                promotion_uses: Default::default(),
            },
            Err(e) => return Err(e.into()),
        };
        self.keep_member(member)
    }

    /// Attaches the member a rotating code (the member pages' QR or barcode) names, once the code
    /// is found to be the member's code of now: by HQ when it can be reached, else with the
    /// secret of the member this till holds, at the till's clock. Offline, a member the till holds
    /// no secret for cannot be checked and is refused (the card or phone number still works). The
    /// sale carries the member number, as for a card.
    pub(crate) fn attach_by_rotating_code(&mut self, code: &RotatingCode) -> TillResult<CartMember> {
        self.cashier()?;
        self.no_tenders()?;
        let by = MemberIdentifier::Code(code.member.clone());
        let member = match self.authority.lookup_rotating(code) {
            Ok(found) => self.found_online(by, found)?,
            Err(AuthorityError::Refused { code: refusal, message }) => {
                return Err(match refusal.as_str() {
                    member_code_refusal::EXPIRED => TillError::MemberCodeExpired,
                    member_code_refusal::NOT_VALID => TillError::MemberCodeNotValid,
                    _ => AuthorityError::Refused { code: refusal, message }.into(),
                });
            }
            Err(AuthorityError::Unavailable(_)) => {
                let snapshot = self.store.cached_member(&by)?;
                let secret =
                    snapshot.as_ref().and_then(|s| s.code_secret.as_ref()).ok_or(TillError::MemberCodeOffline)?;
                // Before 1970 no code is of now.
                let now = u64::try_from(self.now().as_second()).unwrap_or(0);
                code.verify(secret, now).map_err(|e| match e {
                    MemberCodeError::Expired => TillError::MemberCodeExpired,
                    _ => TillError::MemberCodeNotValid,
                })?;
                CartMember { identifier: by, snapshot, online: false, promotion_uses: Default::default() }
            }
            Err(e) => return Err(e.into()),
        };
        self.keep_member(member)
    }

    /// The member as HQ answered, kept in the cache for offline use.
    fn found_online(&mut self, by: MemberIdentifier, found: MemberLookupResponse) -> TillResult<CartMember> {
        self.store.cache_member(&found.member, false)?;
        Ok(CartMember {
            identifier: by,
            snapshot: Some(found.member),
            online: true,
            promotion_uses: found.promotion_uses.into_iter().collect(),
        })
    }

    /// Puts the member on the sale, unless blocked or another member's coupons are on it. The
    /// secret of the member's rotating code stays in the member cache: the sale (saved, held,
    /// shown) does not carry it.
    fn keep_member(&mut self, mut member: CartMember) -> TillResult<CartMember> {
        if let Some(snapshot) = member.snapshot.as_mut() {
            snapshot.code_secret = None;
        }
        if member.snapshot.as_ref().is_some_and(|s| s.status == MemberStatus::Blocked) {
            return Err(TillError::MemberBlocked);
        }
        let id = member.snapshot.as_ref().map(|s| s.id);
        if let Some(cart) = &self.cart
            && cart.coupons.iter().any(|c| c.owner.is_some_and(|o| Some(o) != id))
        {
            return Err(TillError::Coupon(super::coupons::CouponProblem::OtherMember));
        }
        let attached = member.clone();
        self.change_cart(None, |cart| {
            cart.member = Some(member);
            Ok(())
        })?;
        Ok(attached)
    }

    pub fn detach_member(&mut self) -> TillResult<()> {
        self.no_tenders()?;
        self.change_cart(None, |cart| {
            cart.member = None;
            Ok(())
        })
    }

    /// Gives back every HQ hold of the cart's tenders and coupons (best effort: an unreleased hold
    /// expires).
    pub(crate) fn release_holds(&self, cart: &Cart) {
        for hold in cart.tenders.iter().filter_map(|t| t.hold) {
            if let Err(e) = self.authority.release(hold) {
                tracing::warn!(%hold, error = %e, "could not release a hold; it will expire at HQ");
            }
        }
        self.release_coupon_holds(cart, &[]);
    }

    /// Puts the sale in progress on hold (its payments are given back) to serve another customer.
    pub fn hold_sale(&mut self, label: &str) -> TillResult<String> {
        self.my_shift()?;
        let mut cart = self.cart.clone().filter(|c| !c.lines.is_empty()).ok_or(TillError::NoSale)?;
        self.check_no_code_payment()?;
        self.release_holds(&cart);
        cart.tenders.clear();
        // Its coupons are given back too: presented again when the sale is recalled.
        cart.coupons.clear();
        let id = cart.id.to_string();
        let label = if label.trim().is_empty() {
            format!("#{}", self.store.held_sales()?.len() + 1)
        } else {
            label.trim().to_owned()
        };
        self.store.put_on_hold(&id, &label, self.now(), &crate::store::to_json(&cart)?)?;
        self.cart = None;
        Ok(id)
    }

    pub fn held_sales(&self) -> TillResult<Vec<HeldSale>> {
        Ok(self.store.held_sales()?)
    }

    /// Brings a held sale back as the sale in progress.
    pub fn recall_sale(&mut self, id: &str) -> TillResult<()> {
        self.my_shift()?;
        if self.cart.as_ref().is_some_and(|c| !c.lines.is_empty()) {
            return Err(TillError::SaleInProgress);
        }
        let json = self.store.take_from_hold(id)?.ok_or_else(|| TillError::NoSuchHeldSale(id.to_owned()))?;
        self.cart = Some(crate::store::from_json(&json)?);
        Ok(())
    }

    /// Voids the sale in progress. With goods on it a manager approves; holds are released.
    pub fn void_sale_in_progress(&mut self, approval: Option<Approval>) -> TillResult<()> {
        self.cashier()?;
        let Some(cart) = self.cart.clone() else { return Ok(()) };
        self.check_no_code_payment()?;
        let audit = if cart.lines.is_empty() {
            None
        } else {
            let approver = self.check_approval(approval.as_ref(), ApprovalAction::VoidCart)?;
            let (priced, _, _) = self.price(&cart)?;
            Some(self.approval_entry(
                ApprovalAction::VoidCart,
                approver,
                format!("{} line(s), {}", cart.lines.len(), priced.totals.total),
                Some(cart.id),
            )?)
        };
        self.release_holds(&cart);
        self.cart = None;
        if let Err(e) = self.persist_cart(audit) {
            self.cart = Some(cart);
            return Err(e);
        }
        Ok(())
    }
}
