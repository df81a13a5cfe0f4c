//! Product search: what goes into the full-text index for a product, and how a cashier's query
//! becomes an FTS5 query.
//!
//! A name is indexed with every CJK character as its own token (so "可乐" finds "可口可乐" only
//! where the two characters are adjacent: a phrase), its other words as tokens, and the pinyin
//! initials of its Chinese runs ("kkkl" for 可口可乐) for cashiers who type Latin letters.

use pinyin::ToPinyin;

/// The three indexed columns of one product.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct IndexTerms {
    pub terms: String,
    pub initials: String,
    pub codes: String,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Splits text into tokens: each CJK character alone, runs of other letters and digits together.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(c.to_string());
        } else if c.is_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The pinyin initials of each run of Chinese characters, plus all of them together.
fn initials(name: &str) -> Vec<String> {
    let mut runs: Vec<String> = Vec::new();
    let mut run = String::new();
    for c in name.chars() {
        if is_cjk(c) {
            if let Some(p) = c.to_pinyin() {
                run.push_str(p.first_letter());
            }
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    let all: String = runs.concat();
    if runs.len() > 1 {
        runs.push(all);
    }
    runs
}

pub(crate) fn index_terms(name: &str, code: &str, barcodes: &str) -> IndexTerms {
    IndexTerms {
        terms: tokens(name).join(" "),
        initials: initials(name).join(" "),
        codes: tokens(&format!("{code} {barcodes}")).join(" "),
    }
}

/// Turns what a cashier typed into an FTS5 query, or `None` if nothing searchable is left.
///
/// Chinese text must match as a phrase in the name; Latin letters and digits match the start of a
/// name word, of the pinyin initials, or of a product code or barcode.
pub(crate) fn fts_query(input: &str) -> Option<String> {
    let toks = tokens(input);
    if toks.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    let mut phrase: Vec<String> = Vec::new();
    let flush = |phrase: &mut Vec<String>, parts: &mut Vec<String>| {
        if !phrase.is_empty() {
            parts.push(format!("terms : \"{}\"", phrase.join(" ")));
            phrase.clear();
        }
    };
    for t in toks {
        if t.chars().all(is_cjk) {
            phrase.push(t);
        } else {
            flush(&mut phrase, &mut parts);
            // Tokens hold only letters and digits, so quoting is safe.
            parts.push(format!("({{terms initials codes}} : \"{t}\"*)"));
        }
    }
    flush(&mut phrase, &mut parts);
    Some(parts.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_characters_words_and_initials() {
        let t = index_terms("可口可乐 330ml", "P00001", "6901234567892");
        assert_eq!(t.terms, "可 口 可 乐 330ml");
        assert_eq!(t.initials, "kkkl");
        assert_eq!(t.codes, "p00001 6901234567892");
        let t = index_terms("Lay's 乐事薯片 原味 75g", "P2", "");
        assert_eq!(t.initials, "lssp yw lsspyw");
    }

    #[test]
    fn queries() {
        assert_eq!(fts_query("可乐").as_deref(), Some("terms : \"可 乐\""));
        assert_eq!(fts_query("kkkl").as_deref(), Some("({terms initials codes} : \"kkkl\"*)"));
        assert_eq!(fts_query("可乐 330").as_deref(), Some("terms : \"可 乐\" AND ({terms initials codes} : \"330\"*)"));
        assert_eq!(fts_query("  \"*^ ").as_deref(), None);
        assert_eq!(
            fts_query("a\"b OR c").as_deref(),
            Some(
                "({terms initials codes} : \"a\"*) AND ({terms initials codes} : \"b\"*) AND ({terms initials codes} : \"or\"*) AND ({terms initials codes} : \"c\"*)"
            )
        );
    }
}
