//! The scope picker of the promotion and coupon campaign forms: type part of a product's name or
//! code (or a category's or brand's), and one click adds its code to the goods, categories or
//! brands box of the form. Products come from the catalog API (`GET /api/v1/products?q=`, up to
//! 20); categories and brands, a few hundred at most, are in the page. Without JavaScript the boxes
//! take codes typed or pasted as before.

use maud::{Markup, html};
use shared::catalog::Category;

use crate::console::{C, Page};
use crate::store::BrandCount;

/// Finds what the query names and lists each as a button that adds its code to the form's box.
const FIND: &str = r#"const box = this.closest('.picker'), form = this.form, out = box.querySelector('.picker-found');
const q = box.querySelector('.picker-q').value.trim();
out.textContent = '';
if (!q) { return; }
const add = (field, code, label) => {
  const li = document.createElement('li'), b = document.createElement('button');
  b.type = 'button'; b.textContent = label;
  b.onclick = () => {
    const t = form.querySelector('textarea[name=' + field + ']');
    const lines = t.value.split('\n').map(s => s.trim()).filter(s => s.length > 0);
    if (!lines.includes(code)) { lines.push(code); }
    t.value = lines.join('\n');
  };
  li.append(b); out.append(li);
};
for (const li of box.querySelectorAll('.picker-data li')) {
  if (li.textContent.toLowerCase().includes(q.toLowerCase())) { add(li.dataset.field, li.dataset.code, li.textContent); }
}
fetch('/api/v1/products?limit=20&q=' + encodeURIComponent(q))
  .then(r => r.ok ? r.json() : [])
  .then(list => { for (const p of list) { add('products', p.code, p.code + ' ' + p.name); } });"#;

pub(crate) fn scope_picker(page: &Page, categories: &[Category], brands: &[BrandCount]) -> Markup {
    html! {
        div.picker {
            label { (page.t(C::FindScope)) input.picker-q type="search" size="24"; }
            " "
            button.picker-go type="button" onclick=(FIND) { (page.t(C::Find)) }
            ul.picker-found {}
            ul.picker-data hidden {
                @for c in categories {
                    li data-field="categories" data-code=(c.code) { (page.t(C::CategoryWord)) " " (c.code) " " (c.name) }
                }
                @for b in brands {
                    li data-field="brands" data-code=(b.brand.code) { (page.t(C::Brand)) " " (b.brand.code) " " (b.brand.name) }
                }
            }
        }
    }
}
