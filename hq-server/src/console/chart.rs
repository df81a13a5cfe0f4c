//! Charts as server-rendered SVG: no script, no library, readable without a network.
//! (SVG elements are always closed, `<rect></rect>`: inside HTML a bare `<rect>` would swallow
//! everything after it.)

use maud::{Markup, html};

const W: i64 = 520;
const H: i64 = 220;
const LEFT: i64 = 70;
const BOTTOM: i64 = 30;
const COLOURS: [&str; 6] = ["#2d6cdf", "#e07a1f", "#2e9e5b", "#8e44ad", "#c23b3b", "#607089"];

/// Vertical bars, one per `(label, value)`, with the value above each bar and an optional link.
pub fn bars(id: &str, title: &str, data: &[(String, i64, Option<String>)], format: fn(i64) -> String) -> Markup {
    let max = data.iter().map(|d| d.1).max().unwrap_or(0).max(1);
    let n = data.len().max(1) as i64;
    let slot = (W - LEFT - 10) / n;
    let bar = (slot * 7 / 10).max(2);
    html! {
        figure.chart id=(id) {
            figcaption { (title) }
            svg width=(W) height=(H) viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(title) {
                line x1=(LEFT) y1=(H - BOTTOM) x2=(W - 5) y2=(H - BOTTOM) stroke="#99a" {}
                text x=(LEFT - 6) y=(20) text-anchor="end" font-size="11" fill="#556" { (format(max)) }
                @for (i, (label, value, link)) in data.iter().enumerate() {
                    @let h = (value.max(&0) * (H - BOTTOM - 30)) / max;
                    @let x = LEFT + i as i64 * slot + (slot - bar) / 2;
                    @let y = H - BOTTOM - h;
                    @if let Some(href) = link {
                        a href=(href) {
                            rect x=(x) y=(y) width=(bar) height=(h) fill=(COLOURS[0]) { title { (label) ": " (format(*value)) } }
                        }
                    } @else {
                        rect x=(x) y=(y) width=(bar) height=(h) fill=(COLOURS[0]) { title { (label) ": " (format(*value)) } }
                    }
                    @if data.len() <= 8 {
                        text x=(x + bar / 2) y=(y - 4) text-anchor="middle" font-size="10" fill="#334" { (format(*value)) }
                    }
                    @if data.len() <= 16 || i % (data.len() / 8 + 1) == 0 {
                        text x=(x + bar / 2) y=(H - BOTTOM + 14) text-anchor="middle" font-size="10" fill="#556" { (label) }
                    }
                }
            }
        }
    }
}

/// Shares of a whole as one stacked horizontal bar with a legend, and the whole (`total_label`).
pub fn shares(id: &str, title: &str, total_label: &str, data: &[(String, i64)], format: fn(i64) -> String) -> Markup {
    let sum: i64 = data.iter().map(|d| d.1).sum();
    let total: i64 = data.iter().map(|d| d.1.max(0)).sum::<i64>().max(1);
    let width = W - 20;
    let mut x = 10;
    let mut parts = Vec::new();
    for (i, (label, value)) in data.iter().enumerate() {
        let w = value.max(&0) * width / total;
        parts.push((x, w, COLOURS[i % COLOURS.len()], label.clone(), *value));
        x += w;
    }
    html! {
        figure.chart id=(id) {
            figcaption { (title) " · " (total_label) " " span.total { (format(sum)) } }
            svg width=(W) height=(60 + 18 * data.len() as i64) role="img" aria-label=(title) {
                @for (x, w, colour, label, value) in &parts {
                    rect x=(x) y=(10) width=(w) height=(28) fill=(colour) { title { (label) ": " (format(*value)) } }
                }
                @for (i, (_, _, colour, label, value)) in parts.iter().enumerate() {
                    rect x=(10) y=(50 + 18 * i as i64) width=(12) height=(12) fill=(colour) {}
                    text x=(28) y=(60 + 18 * i as i64) font-size="12" fill="#334" {
                        (label) "  " (format(*value)) "  (" (value.max(&0) * 100 / total) "%)"
                    }
                }
            }
        }
    }
}
