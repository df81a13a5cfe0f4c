//! The preview: a typed cart (`code qty` a line) priced with the current set, each line's
//! allocations, each promotion's discount and 本单共优惠.

use super::*;

/// The preview form as typed (a GET form: pricing a cart changes nothing).
#[derive(Deserialize, Default, Clone)]
pub(crate) struct PreviewForm {
    #[serde(default)]
    cart: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    at: String,
}

impl PreviewForm {
    /// The cart's lines: `code qty` (or `code×qty`, `code*qty`; quantity 1 when left out).
    fn lines(&self) -> Result<Vec<PreviewLine>, String> {
        self.cart
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(|(i, l)| {
                let l = l.replace(['×', '*', 'x', ','], " ");
                let mut parts = l.split_whitespace();
                let code = parts.next().unwrap_or_default().to_owned();
                let qty = match parts.next() {
                    Some(q) => Qty::parse(q).map_err(|_| format!("lines[{i}].qty: `{q}`"))?,
                    None => Qty::pieces(1),
                };
                Ok(PreviewLine { code, qty_milli: qty.0 })
            })
            .collect()
    }
}

pub(super) async fn preview_form(page: &Page, state: &AppState, f: &PreviewForm) -> Result<Markup, ConsoleError> {
    let (branches, policy) = state.db(|s| Ok((s.list_branches()?, s.current_policy()?))).await?;
    Ok(html! {
        h2 { (page.t(C::RunPreview)) }
        form.box #preview-form method="get" action="/console/promotions/preview" {
            div.inline {
                label { (page.t(C::PreviewCart)) textarea #preview-cart name="cart" rows="4" cols="30" { (f.cart) } }
                label { (page.t(C::Tier))
                    select name="tier" {
                        option value="" { "—" }
                        @for t in policy.tiers.tiers() { option value=(t.code) selected[f.tier == t.code] { (t.name) } }
                    }
                }
                @if page.me.user.role != crate::model::Role::BranchManager {
                    label { (page.t(C::Branch))
                        select name="branch" {
                            @for b in &branches { option value=(b.id.0) selected[f.branch == b.id.0.to_string()] { (b.code) " " (b.name) } }
                        }
                    }
                }
                label { (page.t(C::AtTime)) input type="datetime-local" name="at" value=(f.at); }
                button #run-preview type="submit" { (page.t(C::RunPreview)) }
            }
        }
    })
}

pub(crate) async fn preview(
    State(state): State<AppState>,
    page: Page,
    FormQuery(f): FormQuery<PreviewForm>,
) -> PageResult {
    let own = (page.me.user.role == crate::model::Role::BranchManager).then_some(page.me.user.branch_id).flatten();
    let result: Result<PreviewOutput, String> = match f.lines() {
        Err(e) => Err(e),
        Ok(lines) => {
            let input = PreviewInput {
                lines,
                member: !f.tier.is_empty(),
                tier: (!f.tier.is_empty()).then(|| f.tier.clone()),
                branch_id: f.branch.parse().ok(),
                at: (!f.at.is_empty()).then(|| f.at.chars().take(16).collect()),
            };
            let now = state.now();
            match state.db(move |s| crate::http::promotions::price_preview(s, &input, own, now)).await {
                Ok(out) => Ok(out),
                Err(crate::error::AppError::Validation(e)) => Err(e),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let form = preview_form(&page, &state, &f).await?;
    let body = html! {
        (form)
        @match &result {
            Err(e) => { p.error #preview-error { (e) } }
            Ok(out) => { (outcome(&page, out)) }
        }
    };
    Ok(layout(&page, Menu::Promotions, page.t(C::Promotions), body))
}

/// Each line with its allocations, each promotion's discount, and 本单共优惠.
fn outcome(page: &Page, out: &PreviewOutput) -> Markup {
    let o = &out.outcome;
    let name_of =
        |id: PromotionId| o.promotions.iter().find(|p| p.id == id).map_or(id.0.to_string(), |p| p.name.clone());
    html! {
        table #preview-lines {
            thead { tr {
                th { (page.t(C::Item)) } th.n { (page.t(C::Qty)) } th.n { (page.t(C::NetBefore)) }
                th { (page.t(C::Discount)) } th.n { (page.t(C::Net)) }
            } }
            tbody { @for (l, v) in o.lines.iter().zip(&out.lines) { tr {
                td { (v.code) " " (v.name) } td.n { (Qty(v.qty_milli)) } td.n { (l.net_before) }
                td { @for (id, fen) in &l.allocations { (name_of(*id)) " −" (fen) br; } }
                td.n { (l.net) }
            } } }
        }
        table #preview-promotions {
            thead { tr { th { (page.t(C::Promotions)) } th.n { (page.t(C::Discount)) } } }
            tbody { @for p in &o.promotions { tr { td { (p.name) } td.n { (p.discount) } } } }
        }
        @if !o.gifts.is_empty() {
            p { (page.t(C::Gifts)) ": " @for g in &o.gifts { "#" (g.product.0) " × " (g.qty) " " } }
        }
        p #total-saving { b { (page.t(C::TotalSaving)) " " (o.total_saving) } }
    }
}
