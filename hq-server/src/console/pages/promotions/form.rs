//! The promotion form: every field as typed, one form for every kind, and the page that shows it
//! with the reason a promotion was refused.

use super::*;

/// An engine rule the promotion breaks, in the page's language, the field first.
fn promotion_error_text(lang: Lang, e: &PromotionError) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    use PromotionError as E;
    match e {
        E::EmptyName => "name（名称）：促销需要名称".into(),
        E::NoBranches => "branches（门店）：门店列表为空".into(),
        E::EndBeforeStart { from, to } => format!("schedule.to（结束日期）：{to} 早于开始日期 {from}"),
        E::BadWeekday(d) => format!("schedule.weekdays（星期）：{d} 不是星期几（1 = 周一 … 7 = 周日）"),
        E::NoWeekdays => "schedule.weekdays（星期）：列表为空".into(),
        E::EmptyTimeWindow => "schedule.time_window（每日时段）：结束必须晚于开始（不跨午夜）".into(),
        E::NoTiers => "audience.tiers（会员等级）：至少选一个等级".into(),
        E::EmptyScope => "scope（适用商品）：请选择全部商品，或填写商品、品类、品牌".into(),
        E::NegativeAmount { field, value } => format!("kind.{field}：{value} 是负数"),
        E::ZeroThreshold { field } => format!("kind.{field}（门槛）：门槛必须大于零"),
        E::ZeroOff { field } => format!("kind.{field}（减额）：减额必须大于零"),
        E::PercentOutOfRange(bp) => {
            format!("kind.bp（优惠比例）：必须大于 0% 且不超过 100%，而不是 {}", bp.display_percent())
        }
        E::ZeroCount { field } => format!("kind.{field}（件数）：至少为 1"),
        E::NoSlabs => "kind.slabs（满减档位）：至少填写一档".into(),
        E::DuplicateSlab(m) => format!("kind.slabs（满减档位）：两档门槛相同（{m}）"),
        E::ZeroCap => "kind.cap（最多减）：必须大于零".into(),
        E::ZeroLimit { field } => format!("limits.{field}（限用次数）：0 次永远不会生效"),
    }
}

/// The form as typed: every field a string, so a refused form comes back as it was.
#[derive(Clone, Debug, Default)]
pub(super) struct PromotionForm {
    csrf: String,
    name: String,
    kind: String,
    price: String,
    off: String,
    percent: String,
    on_member_price: bool,
    n: String,
    m: String,
    slabs: Vec<[String; 2]>,
    every: String,
    cap: String,
    threshold: String,
    gift: String,
    from: String,
    to: String,
    weekdays: Vec<u8>,
    time_start: String,
    time_end: String,
    audience: String,
    tiers: Vec<String>,
    all_branches: bool,
    branches: Vec<i64>,
    all_products: bool,
    products: String,
    categories: String,
    brands: String,
    excluded: String,
    group: String,
    priority: String,
    per_sale: String,
    per_member: String,
    clawback: bool,
}

const SLAB_FIELDS: [&str; 2] = ["slab_threshold", "slab_off"];

/// The codes in a typed list: one a line (or separated by commas or spaces), or a pasted CSV whose
/// header has a `code` column.
pub(crate) fn codes(text: &str) -> Vec<String> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.clone().next().unwrap_or_default();
    let header: Vec<&str> = first.split(',').map(|h| h.trim().trim_matches('"')).collect();
    if (header.len() > 1 || header.first().is_some_and(|h| h.eq_ignore_ascii_case("code")))
        && let Some(col) = header.iter().position(|h| h.eq_ignore_ascii_case("code"))
    {
        lines.next();
        return lines
            .filter_map(|l| l.split(',').nth(col).map(|c| c.trim().trim_matches('"').to_owned()))
            .filter(|c| !c.is_empty())
            .collect();
    }
    text.split(|c: char| c == ',' || c.is_whitespace()).filter(|c| !c.is_empty()).map(str::to_owned).collect()
}

impl PromotionForm {
    fn blank(today: jiff::civil::Date) -> PromotionForm {
        PromotionForm {
            kind: "slabs".into(),
            from: today.to_string(),
            to: today.to_string(),
            audience: "everyone".into(),
            all_branches: true,
            priority: "0".into(),
            ..Default::default()
        }
    }

    /// The form showing `p`, with its codes (products by id → code, categories by id → code).
    fn of(
        p: &Promotion,
        product_code: &dyn Fn(ProductId) -> String,
        category_code: &dyn Fn(CategoryId) -> String,
    ) -> Self {
        let y = |m: Money| yuan_field(m);
        let pct = |bp: Bp| {
            let s = format!("{}.{:02}", bp.0 / 100, bp.0 % 100);
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        };
        let mut f = PromotionForm {
            name: p.name.clone(),
            kind: kind_code(&p.kind).into(),
            from: p.schedule.from.to_string(),
            to: p.schedule.to.to_string(),
            weekdays: p.schedule.weekdays.clone().unwrap_or_default(),
            time_start: p.schedule.time_window.map(|w| w.start.strftime("%H:%M").to_string()).unwrap_or_default(),
            time_end: p.schedule.time_window.map(|w| w.end.strftime("%H:%M").to_string()).unwrap_or_default(),
            audience: match &p.audience {
                Audience::Everyone => "everyone",
                Audience::Members => "members",
                Audience::Tiers(_) => "tiers",
            }
            .into(),
            tiers: match &p.audience {
                Audience::Tiers(t) => t.clone(),
                _ => Vec::new(),
            },
            all_branches: p.branches == Branches::All,
            branches: match &p.branches {
                Branches::Only(b) => b.iter().map(|b| b.0).collect(),
                Branches::All => Vec::new(),
            },
            all_products: p.scope.all_products,
            products: p.scope.products.iter().map(|id| product_code(*id)).collect::<Vec<_>>().join("\n"),
            categories: p.scope.categories.iter().map(|id| category_code(*id)).collect::<Vec<_>>().join("\n"),
            excluded: p.scope.excluded.iter().map(|id| product_code(*id)).collect::<Vec<_>>().join("\n"),
            group: p.exclusivity_group.clone().unwrap_or_default(),
            priority: p.priority.to_string(),
            per_sale: p.limits.per_sale.map(|n| n.to_string()).unwrap_or_default(),
            per_member: p.limits.per_member.map(|n| n.to_string()).unwrap_or_default(),
            clawback: p.threshold_clawback,
            ..Default::default()
        };
        match &p.kind {
            PromotionKind::FixedPrice { price } => f.price = y(*price),
            PromotionKind::AmountOff { off } => f.off = y(*off),
            PromotionKind::PercentOff { bp, on_member_price } => {
                f.percent = pct(*bp);
                f.on_member_price = *on_member_price;
            }
            PromotionKind::BuyNGetMFree { n, m } => {
                f.n = n.to_string();
                f.m = m.to_string();
            }
            PromotionKind::NthPercentOff { n, bp } => {
                f.n = n.to_string();
                f.percent = pct(*bp);
            }
            PromotionKind::NForPrice { n, price } => {
                f.n = n.to_string();
                f.price = y(*price);
            }
            PromotionKind::Slabs { slabs } => f.slabs = slabs.iter().map(|s| [y(s.threshold), y(s.off)]).collect(),
            PromotionKind::Repeating { every, off, cap } => {
                f.every = y(*every);
                f.off = y(*off);
                f.cap = cap.map(y).unwrap_or_default();
            }
            PromotionKind::ThresholdPercent { threshold, bp } => {
                f.threshold = y(*threshold);
                f.percent = pct(*bp);
            }
            PromotionKind::Gift { threshold, product } => {
                f.threshold = y(*threshold);
                f.gift = product_code(*product);
            }
        }
        f
    }

    fn from_pairs(pairs: &[(String, String)]) -> PromotionForm {
        let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let all = |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        let on = |name: &str| pairs.iter().any(|(k, v)| k == name && !v.is_empty());
        PromotionForm {
            csrf: one("_csrf"),
            name: one("name"),
            kind: one("kind"),
            price: one("price"),
            off: one("off"),
            percent: one("percent"),
            on_member_price: on("on_member_price"),
            n: one("n"),
            m: one("m"),
            slabs: crate::console::pages::policy::rows(pairs, SLAB_FIELDS),
            every: one("every"),
            cap: one("cap"),
            threshold: one("threshold"),
            gift: one("gift"),
            from: one("from"),
            to: one("to"),
            weekdays: all("weekday").iter().filter_map(|d| d.parse().ok()).collect(),
            time_start: one("time_start"),
            time_end: one("time_end"),
            audience: one("audience"),
            tiers: all("tier"),
            all_branches: one("branch_scope") != "only",
            branches: all("branch").iter().filter_map(|b| b.parse().ok()).collect(),
            all_products: on("all_products"),
            products: one("products"),
            categories: one("categories"),
            brands: one("brands"),
            excluded: one("excluded"),
            group: one("group"),
            priority: one("priority"),
            per_sale: one("per_sale"),
            per_member: one("per_member"),
            clawback: on("clawback"),
        }
    }

    /// The promotion this form describes, with its codes looked up; or what is wrong, the field first.
    fn apply(&self, id: PromotionId, lang: Lang, lookup: &Lookup) -> Result<Promotion, String> {
        let zh = lang == Lang::ZhCn;
        let say =
            |field: &str, zh_text: &str, en_text: &str| format!("{field}: {}", if zh { zh_text } else { en_text });
        let yuan = |field: &str, v: &str| {
            Currency::CNY
                .parse(v.trim())
                .map_err(|_| say(field, "请填写金额，如 12.50", "an amount like 12.50, please"))
        };
        let count = |field: &str, v: &str| {
            v.trim().parse::<u32>().map_err(|_| say(field, "请填写整数", "a whole number, please"))
        };
        let optional_count = |field: &str, v: &str| {
            if v.trim().is_empty() { Ok(None) } else { count(field, v).map(Some) }
        };
        // A percentage has two decimals, as yuan do: "12.5" % is 1250 bp, read as 12.50 would be fen.
        let percent = |v: &str| -> Result<Bp, String> {
            let bp = Currency::CNY
                .parse(v.trim())
                .map_err(|_| say("kind.bp", "请填写百分比，如 20", "a percentage like 20, please"))?;
            Ok(Bp(bp.0))
        };
        let date = |field: &str, v: &str| {
            v.trim()
                .parse::<jiff::civil::Date>()
                .map_err(|_| say(field, "请填写日期，如 2026-12-01", "a date like 2026-12-01, please"))
        };
        let time = |field: &str, v: &str| {
            jiff::civil::Time::strptime("%H:%M", v.trim())
                .map_err(|_| say(field, "请填写时间，如 09:30", "a time like 09:30, please"))
        };
        let kind = match self.kind.as_str() {
            "fixed_price" => PromotionKind::FixedPrice { price: yuan("kind.price", &self.price)? },
            "amount_off" => PromotionKind::AmountOff { off: yuan("kind.off", &self.off)? },
            "percent_off" => {
                PromotionKind::PercentOff { bp: percent(&self.percent)?, on_member_price: self.on_member_price }
            }
            "buy_n_get_m_free" => {
                PromotionKind::BuyNGetMFree { n: count("kind.n", &self.n)?, m: count("kind.m", &self.m)? }
            }
            "nth_percent_off" => {
                PromotionKind::NthPercentOff { n: count("kind.n", &self.n)?, bp: percent(&self.percent)? }
            }
            "n_for_price" => {
                PromotionKind::NForPrice { n: count("kind.n", &self.n)?, price: yuan("kind.price", &self.price)? }
            }
            "slabs" => PromotionKind::Slabs {
                slabs: self
                    .slabs
                    .iter()
                    .map(|[t, o]| {
                        Ok(Slab { threshold: yuan("kind.slabs.threshold", t)?, off: yuan("kind.slabs.off", o)? })
                    })
                    .collect::<Result<_, String>>()?,
            },
            "repeating" => PromotionKind::Repeating {
                every: yuan("kind.every", &self.every)?,
                off: yuan("kind.off", &self.off)?,
                cap: if self.cap.trim().is_empty() { None } else { Some(yuan("kind.cap", &self.cap)?) },
            },
            "threshold_percent" => PromotionKind::ThresholdPercent {
                threshold: yuan("kind.threshold", &self.threshold)?,
                bp: percent(&self.percent)?,
            },
            "gift" => PromotionKind::Gift {
                threshold: yuan("kind.threshold", &self.threshold)?,
                product: lookup.product("kind.product", self.gift.trim(), zh)?,
            },
            _ => return Err(say("kind", "请选择促销类型", "choose a kind, please")),
        };
        let time_window = match (self.time_start.trim().is_empty(), self.time_end.trim().is_empty()) {
            (true, true) => None,
            _ => Some(TimeWindow {
                start: time("schedule.time_window.start", &self.time_start)?,
                end: time("schedule.time_window.end", &self.time_end)?,
            }),
        };
        let products = |field: &str, text: &str| -> Result<Vec<ProductId>, String> {
            let list = codes(text);
            if list.len() > crate::rules::MAX_SCOPE_ITEMS {
                return Err(say(field, "商品太多", "too many products"));
            }
            list.iter().map(|c| lookup.product(field, c, zh)).collect()
        };
        let categories = codes(&self.categories)
            .iter()
            .map(|c| {
                lookup.categories.iter().find(|(_, code)| code == c).map(|(id, _)| *id).ok_or_else(|| {
                    format!("scope.categories: {} {c}", if zh { "总部没有此品类" } else { "HQ has no category" })
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let brands = codes(&self.brands)
            .iter()
            .map(|c| {
                lookup.brands.iter().find(|(_, code)| code == c).map(|(id, _)| *id).ok_or_else(|| {
                    format!("scope.brands: {} {c}", if zh { "总部没有此品牌" } else { "HQ has no brand" })
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let group = self.group.trim();
        let p = Promotion {
            id,
            name: self.name.trim().to_owned(),
            branches: if self.all_branches {
                Branches::All
            } else {
                Branches::Only(self.branches.iter().copied().map(BranchId).collect())
            },
            schedule: Schedule {
                from: date("schedule.from", &self.from)?,
                to: date("schedule.to", &self.to)?,
                weekdays: (!self.weekdays.is_empty()).then(|| self.weekdays.clone()),
                time_window,
            },
            audience: match self.audience.as_str() {
                "members" => Audience::Members,
                "tiers" => Audience::Tiers(self.tiers.clone()),
                _ => Audience::Everyone,
            },
            scope: Scope {
                all_products: self.all_products,
                products: products("scope.products", &self.products)?,
                categories,
                brands,
                excluded: products("scope.excluded", &self.excluded)?,
            },
            kind,
            exclusivity_group: (!group.is_empty()).then(|| group.to_owned()),
            priority: if self.priority.trim().is_empty() {
                0
            } else {
                self.priority.trim().parse().map_err(|_| say("priority", "请填写整数", "a whole number, please"))?
            },
            limits: Limits {
                per_sale: optional_count("limits.per_sale", &self.per_sale)?,
                per_member: optional_count("limits.per_member", &self.per_member)?,
            },
            threshold_clawback: self.clawback,
        };
        p.validate().map_err(|e| promotion_error_text(lang, &e))?;
        crate::rules::promotion(&p)?;
        Ok(p)
    }
}

/// What the form's codes name: the products found by code, the categories and brands listed.
struct Lookup {
    products: std::collections::BTreeMap<String, ProductId>,
    categories: Vec<(CategoryId, String)>,
    brands: Vec<(shared::catalog::BrandId, String)>,
}

impl Lookup {
    fn product(&self, field: &str, code: &str, zh: bool) -> Result<ProductId, String> {
        match self.products.get(code) {
            Some(id) => Ok(*id),
            None if code.is_empty() => {
                Err(format!("{field}: {}", if zh { "请填写商品编码" } else { "a product code, please" }))
            }
            None => Err(format!("{field}: {} {code}", if zh { "总部没有此商品" } else { "HQ has no product" })),
        }
    }
}

/// Looks up every code the form names, in one blocking call.
async fn lookup(state: &AppState, f: &PromotionForm) -> Result<Lookup, ConsoleError> {
    let mut wanted: Vec<String> = codes(&f.products);
    wanted.extend(codes(&f.excluded));
    wanted.push(f.gift.trim().to_owned());
    wanted.retain(|c| !c.is_empty());
    wanted.sort();
    wanted.dedup();
    Ok(state
        .db(move |s| {
            let products = s.product_ids_by_code(&wanted)?.into_iter().collect();
            let categories = s.list_categories()?.into_iter().map(|c| (c.id, c.code)).collect();
            let brands = s.list_brands()?.into_iter().map(|b| (b.brand.id, b.brand.code)).collect();
            Ok(Lookup { products, categories, brands })
        })
        .await?)
}

pub(crate) async fn new_promotion(State(state): State<AppState>, page: Page) -> PageResult {
    // A new promotion's dates start on today's calendar date in HQ's zone, the date its schedule
    // is checked against (a branch's local time), not the business day: after midnight and
    // before a branch's cut-off they differ, and a promotion "for today" would already be over.
    let today = crate::calendar::hq_time(state.now()).date();
    form_page(&state, &page, None, PromotionForm::blank(today), None).await
}

pub(crate) async fn create_promotion(
    State(state): State<AppState>,
    page: Page,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult {
    let f = PromotionForm::from_pairs(&pairs);
    page.check_csrf(&f.csrf)?;
    save(&state, &page, None, f).await
}

pub(crate) async fn edit_promotion(State(state): State<AppState>, page: Page, Path(id): Path<u64>) -> PageResult {
    let id = PromotionId(id);
    let today = state.chain_day().await?.day;
    let r = state.db(move |s| s.promotion(id, today)).await?;
    let p = r.promotion.clone();
    let form = state
        .db(move |s| {
            let cats = s.list_categories()?;
            let gift = match p.kind {
                PromotionKind::Gift { product, .. } => Some(product),
                _ => None,
            };
            let ids: Vec<ProductId> = p.scope.products.iter().chain(&p.scope.excluded).copied().chain(gift).collect();
            let codes: std::collections::BTreeMap<ProductId, String> =
                s.product_codes_by_id(&ids)?.into_iter().collect();
            // A product HQ no longer has keeps its id, which the form then names as unknown.
            let product_code = |id: ProductId| codes.get(&id).cloned().unwrap_or_else(|| id.0.to_string());
            let category_code =
                |id: CategoryId| cats.iter().find(|c| c.id == id).map_or(id.0.to_string(), |c| c.code.clone());
            let mut form = PromotionForm::of(&p, &product_code, &category_code);
            let brands = s.list_brands()?;
            form.brands = p
                .scope
                .brands
                .iter()
                .map(|id| brands.iter().find(|b| b.brand.id == *id).map_or(id.0.to_string(), |b| b.brand.code.clone()))
                .collect::<Vec<_>>()
                .join("\n");
            Ok(form)
        })
        .await?;
    form_page(&state, &page, Some(id), form, None).await
}

pub(crate) async fn update_promotion(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<u64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult {
    let f = PromotionForm::from_pairs(&pairs);
    page.check_csrf(&f.csrf)?;
    save(&state, &page, Some(PromotionId(id)), f).await
}

/// Publishes the form (a new promotion, or a new revision of `id`), or shows it again with why not.
async fn save(state: &AppState, page: &Page, id: Option<PromotionId>, f: PromotionForm) -> PageResult {
    let lookup = lookup(state, &f).await?;
    let promotion = match f.apply(id.unwrap_or(PromotionId(0)), page.lang, &lookup) {
        Ok(p) => p,
        Err(e) => return form_page(state, page, id, f, Some(e)).await,
    };
    let actor = page.me.actor();
    let saved = state
        .db(move |s| match id {
            None => crate::admin::add_promotion(s, &actor, promotion),
            Some(_) => crate::admin::update_promotion(s, &actor, promotion),
        })
        .await;
    match saved {
        Ok(r) => Ok(redirect(&format!("/console/promotions/{}?published=1", r.promotion.id.0))),
        Err(crate::error::AppError::Validation(e) | crate::error::AppError::Conflict(e)) => {
            form_page(state, page, id, f, Some(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn form_page(
    state: &AppState,
    page: &Page,
    id: Option<PromotionId>,
    f: PromotionForm,
    error: Option<String>,
) -> PageResult {
    let (branches, policy, categories, brands) =
        state.db(|s| Ok((s.list_branches()?, s.current_policy()?, s.list_categories()?, s.list_brands()?))).await?;
    let action = match id {
        Some(id) => format!("/console/promotions/{}/edit", id.0),
        None => "/console/promotions/new".into(),
    };
    let weekday_names: [&str; 7] = if page.lang == Lang::ZhCn {
        ["一", "二", "三", "四", "五", "六", "日"]
    } else {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    };
    let input = |name: &'static str, label: C, value: &str| {
        html! { label { (page.t(label)) input name=(name) value=(value) size="10"; } }
    };
    let body = html! {
        @if let Some(e) = &error { p.error #promotion-error { (e) } }
        form.box #promotion-form method="post" action=(action) {
            (page.csrf_field())
            div.inline {
                label { (page.t(C::Name)) input #promo-name name="name" value=(f.name) size="30" required; }
                label { (page.t(C::PromotionKindLabel))
                    select #promo-kind name="kind" {
                        @for (code, label) in KINDS { option value=(code) selected[f.kind == code] { (page.t(label)) } }
                    }
                }
            }
            fieldset {
                legend { (page.t(C::PromotionKindLabel)) }
                div.inline {
                    (input("price", C::PromoPrice, &f.price))
                    (input("off", C::PromoOff, &f.off))
                    (input("percent", C::PromoPercent, &f.percent))
                    label { (page.t(C::OnMemberPrice)) input type="checkbox" name="on_member_price" value="1" checked[f.on_member_price]; }
                    (input("n", C::PromoN, &f.n))
                    (input("m", C::PromoM, &f.m))
                }
                div.inline {
                    (input("every", C::PromoEvery, &f.every))
                    (input("cap", C::PromoCap, &f.cap))
                    (input("threshold", C::PromoThreshold, &f.threshold))
                    (input("gift", C::GiftProduct, &f.gift))
                }
                p.muted { (page.t(C::PromoSlabs)) }
                table #slabs { tbody {
                    @for (i, row) in f.slabs.iter().cloned().chain(std::iter::repeat_n([String::new(), String::new()], 3)).enumerate() { tr {
                        td { input.slab-threshold name=(SLAB_FIELDS[0]) id={ "slab-threshold-" (i) } value=(row[0]) size="10"; }
                        td { input.slab-off name=(SLAB_FIELDS[1]) id={ "slab-off-" (i) } value=(row[1]) size="10"; }
                    } }
                } }
            }
            fieldset {
                legend { (page.t(C::Schedule)) }
                div.inline {
                    label { (page.t(C::From)) input #promo-from type="date" name="from" value=(f.from); }
                    label { (page.t(C::To)) input #promo-to type="date" name="to" value=(f.to); }
                    label { (page.t(C::TimeWindow))
                        span { input type="time" name="time_start" value=(f.time_start); " – " input type="time" name="time_end" value=(f.time_end); }
                    }
                }
                div.inline { span { (page.t(C::Weekdays)) }
                    @for (i, d) in weekday_names.iter().enumerate() {
                        @let n = i as u8 + 1;
                        label { (d) input type="checkbox" name="weekday" value=(n) checked[f.weekdays.contains(&n)]; }
                    }
                }
            }
            fieldset {
                legend { (page.t(C::Audience)) " · " (page.t(C::Branch)) }
                div.inline {
                    label { (page.t(C::Audience))
                        select name="audience" {
                            @for (v, l) in [("everyone", C::Everyone), ("members", C::MembersOnly), ("tiers", C::SomeTiers)] {
                                option value=(v) selected[f.audience == v] { (page.t(l)) }
                            }
                        }
                    }
                    @for t in policy.tiers.tiers() {
                        label { (t.name) input type="checkbox" name="tier" value=(t.code) checked[f.tiers.contains(&t.code)]; }
                    }
                }
                div.inline {
                    label { (page.t(C::Branch))
                        select name="branch_scope" {
                            option value="all" selected[f.all_branches] { (page.t(C::AllBranches)) }
                            option value="only" selected[!f.all_branches] { (page.t(C::OnlyTicked)) }
                        }
                    }
                    @for b in &branches {
                        label { (b.code) " " (b.name) input type="checkbox" name="branch" value=(b.id.0) checked[f.branches.contains(&b.id.0)]; }
                    }
                }
            }
            fieldset {
                legend { (page.t(C::Scope)) }
                label { (page.t(C::AllProducts)) input #promo-all-products type="checkbox" name="all_products" value="1" checked[f.all_products]; }
                (super::super::picker::scope_picker(page, &categories, &brands))
                div.inline {
                    label { (page.t(C::ScopeProducts)) textarea #promo-products name="products" rows="4" cols="30" { (f.products) } }
                    // A CSV file's text goes into the box above, to be read as a pasted one is (the
                    // file itself is never posted).
                    label { (page.t(C::CodesFromFile))
                        input #promo-products-file type="file" accept=".csv,.txt,text/csv,text/plain"
                            onchange="const f = this.files[0]; if (f) { f.text().then(t => { document.getElementById('promo-products').value = t; }); }";
                    }
                    label { (page.t(C::ScopeCategories)) textarea name="categories" rows="4" cols="20" { (f.categories) } }
                    label { (page.t(C::ScopeBrands)) textarea name="brands" rows="4" cols="20" { (f.brands) } }
                    label { (page.t(C::ScopeExcluded)) textarea name="excluded" rows="4" cols="20" { (f.excluded) } }
                }
            }
            fieldset {
                legend { (page.t(C::Limits)) }
                div.inline {
                    (input("group", C::ExclusivityGroup, &f.group))
                    (input("priority", C::Priority, &f.priority))
                    (input("per_sale", C::PerSale, &f.per_sale))
                    (input("per_member", C::PerMember, &f.per_member))
                    label { (page.t(C::Clawback)) input type="checkbox" name="clawback" value="1" checked[f.clawback]; }
                }
            }
            br;
            button #save-promotion type="submit" { (page.t(C::Save)) }
        }
    };
    let title = if id.is_some() { C::EditPromotion } else { C::NewPromotion };
    Ok(layout(page, Menu::Promotions, page.t(title), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_one_a_line_or_from_a_code_column() {
        assert_eq!(codes("P1\n P2 \n\nP3"), ["P1", "P2", "P3"]);
        assert_eq!(codes("P1, P2 P3"), ["P1", "P2", "P3"]);
        assert_eq!(codes("name,code\n可乐,P1\n\"薯片\",\"P2\"\n"), ["P1", "P2"]);
        assert_eq!(codes("code\nP9\n"), ["P9"]);
    }

    #[test]
    fn a_form_comes_back_as_the_promotion_it_showed() {
        let p = Promotion {
            id: PromotionId(7),
            name: "满100减10".into(),
            branches: Branches::Only(vec![BranchId(2)]),
            schedule: Schedule {
                from: jiff::civil::date(2026, 12, 1),
                to: jiff::civil::date(2026, 12, 31),
                weekdays: Some(vec![6, 7]),
                time_window: Some(TimeWindow {
                    start: jiff::civil::time(9, 0, 0, 0),
                    end: jiff::civil::time(21, 30, 0, 0),
                }),
            },
            audience: Audience::Tiers(vec!["GOLD".into()]),
            scope: Scope {
                all_products: false,
                products: vec![ProductId(1)],
                categories: vec![CategoryId(3)],
                brands: vec![shared::catalog::BrandId(4)],
                excluded: vec![ProductId(2)],
            },
            kind: PromotionKind::Slabs {
                slabs: vec![
                    Slab { threshold: Money::yuan(100), off: Money::yuan(10) },
                    Slab { threshold: Money::yuan(200), off: Money(3_050) },
                ],
            },
            exclusivity_group: Some("周末".into()),
            priority: 5,
            limits: Limits { per_sale: Some(1), per_member: None },
            threshold_clawback: true,
        };
        let code = |id: ProductId| format!("P{}", id.0);
        let cat = |id: CategoryId| format!("C{}", id.0);
        let mut form = PromotionForm::of(&p, &code, &cat);
        form.brands = "B4".into();
        let lookup = Lookup {
            products: [("P1".into(), ProductId(1)), ("P2".into(), ProductId(2))].into(),
            categories: vec![(CategoryId(3), "C3".into())],
            brands: vec![(shared::catalog::BrandId(4), "B4".into())],
        };
        assert_eq!(form.apply(PromotionId(7), Lang::En, &lookup), Ok(p.clone()));
        for (kind, percent) in [
            (PromotionKind::PercentOff { bp: Bp(1_250), on_member_price: true }, "12.5"),
            (PromotionKind::NthPercentOff { n: 2, bp: Bp(5_000) }, "50"),
        ] {
            let q = Promotion { kind, ..p.clone() };
            let mut form = PromotionForm::of(&q, &code, &cat);
            form.brands = "B4".into();
            assert_eq!(form.percent, percent);
            assert_eq!(form.apply(PromotionId(7), Lang::En, &lookup), Ok(q));
        }
    }

    #[test]
    fn a_broken_rule_is_named_in_the_page_language() {
        let lookup = Lookup { products: Default::default(), categories: vec![], brands: vec![] };
        let mut form = PromotionForm::blank(jiff::civil::date(2026, 12, 1));
        form.name = "满减".into();
        form.all_products = true;
        form.slabs = vec![["100".into(), "10".into()]];
        form.to = "2026-11-01".into();
        let zh = form.apply(PromotionId(0), Lang::ZhCn, &lookup).expect_err("end before start");
        assert!(zh.starts_with("schedule.to（结束日期）"), "{zh}");
        let en = form.apply(PromotionId(0), Lang::En, &lookup).expect_err("end before start");
        assert!(en.starts_with("schedule.to:"), "{en}");
        form.to = "2026-12-31".into();
        form.products = "NOPE".into();
        let e = form.apply(PromotionId(0), Lang::ZhCn, &lookup).expect_err("unknown product");
        assert!(e.starts_with("scope.products") && e.contains("NOPE"), "{e}");
    }
}
