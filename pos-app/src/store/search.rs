//! Product search: what goes into the full-text index for a product, and how a cashier's query
//! becomes an FTS5 query.
//!
//! A name is indexed with every CJK character as its own token (so "可乐" finds "可口可乐" only
//! where the two characters are adjacent: a phrase), its other words as tokens, and the pinyin
//! initials of its Chinese runs ("kkkl" for 可口可乐) for cashiers who type Latin letters.

use pinyin::ToPinyin;

/// The indexed columns of one product.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct IndexTerms {
    /// Each CJK character alone, and the other words.
    pub terms: String,
    /// Each pair of adjacent CJK characters, in order: a query of two or more characters is a
    /// phrase of its pairs, which is far more selective than a phrase of single characters.
    pub pairs: String,
    pub initials: String,
    pub codes: String,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// A piece of text: a run of CJK characters, or a word of other letters and digits (lower case).
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Cjk(Vec<char>),
    Word(String),
}

fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
            run.push(c);
        } else {
            if !run.is_empty() {
                out.push(Piece::Cjk(std::mem::take(&mut run)));
            }
            if c.is_alphanumeric() {
                word.push(c);
            } else if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
        }
    }
    if !run.is_empty() {
        out.push(Piece::Cjk(run));
    }
    if !word.is_empty() {
        out.push(Piece::Word(word));
    }
    out
}

fn unigrams(run: &[char]) -> impl Iterator<Item = String> + '_ {
    run.iter().map(|c| c.to_string())
}

fn bigrams(run: &[char]) -> impl Iterator<Item = String> + '_ {
    run.windows(2).map(|w| w.iter().collect())
}

/// The pinyin initials of each run of Chinese characters, plus all of them together.
fn initials(name: &str) -> Vec<String> {
    let mut runs: Vec<String> = Vec::new();
    for piece in pieces(name) {
        if let Piece::Cjk(chars) = piece {
            let run: String = chars.iter().filter_map(|c| c.to_pinyin().map(|p| p.first_letter())).collect();
            if !run.is_empty() {
                runs.push(run);
            }
        }
    }
    let all: String = runs.concat();
    if runs.len() > 1 {
        runs.push(all);
    }
    runs
}

pub(crate) fn index_terms(name: &str, code: &str, barcodes: &str) -> IndexTerms {
    let name_pieces = pieces(name);
    let mut terms = Vec::new();
    let mut pairs = Vec::new();
    for p in &name_pieces {
        match p {
            Piece::Cjk(run) => {
                terms.extend(unigrams(run));
                pairs.extend(bigrams(run));
            }
            Piece::Word(w) => terms.push(w.clone()),
        }
    }
    let codes: Vec<String> = pieces(&format!("{code} {barcodes}"))
        .into_iter()
        .flat_map(|p| match p {
            Piece::Word(w) => vec![w],
            Piece::Cjk(run) => unigrams(&run).collect(),
        })
        .collect();
    IndexTerms {
        terms: terms.join(" "),
        pairs: pairs.join(" "),
        initials: initials(name).join(" "),
        codes: codes.join(" "),
    }
}

/// Turns what a cashier typed into an FTS5 query, or `None` if nothing searchable is left.
///
/// Chinese text must match as a phrase in the name (by character pairs, or the character alone);
/// Latin letters and digits match the start of a name word, of the pinyin initials, or of a
/// product code or barcode. All pieces must match.
pub(crate) fn fts_query(input: &str) -> Option<String> {
    let parts: Vec<String> = pieces(input)
        .into_iter()
        .map(|p| match p {
            Piece::Cjk(run) if run.len() == 1 => format!("terms : \"{}\"", run[0]),
            Piece::Cjk(run) => format!("pairs : \"{}\"", bigrams(&run).collect::<Vec<_>>().join(" ")),
            // Words hold only letters and digits, so quoting is safe. A single character as a
            // prefix would match most of the catalog: it must match a whole word.
            Piece::Word(w) if w.chars().count() == 1 => format!("({{terms initials codes}} : \"{w}\")"),
            Piece::Word(w) => format!("({{terms initials codes}} : \"{w}\"*)"),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_characters_words_and_initials() {
        let t = index_terms("可口可乐 330ml", "P00001", "6901234567892");
        assert_eq!(t.terms, "可 口 可 乐 330ml");
        assert_eq!(t.pairs, "可口 口可 可乐");
        assert_eq!(t.initials, "kkkl");
        assert_eq!(t.codes, "p00001 6901234567892");
        let t = index_terms("Lay's 乐事薯片 原味 75g", "P2", "");
        assert_eq!(t.initials, "lssp yw lsspyw");
    }

    #[test]
    fn queries() {
        assert_eq!(fts_query("可乐").as_deref(), Some("pairs : \"可乐\""));
        assert_eq!(fts_query("可口可乐").as_deref(), Some("pairs : \"可口 口可 可乐\""));
        assert_eq!(fts_query("乐").as_deref(), Some("terms : \"乐\""));
        assert_eq!(fts_query("kkkl").as_deref(), Some("({terms initials codes} : \"kkkl\"*)"));
        assert_eq!(fts_query("可乐 330").as_deref(), Some("pairs : \"可乐\" AND ({terms initials codes} : \"330\"*)"));
        assert_eq!(fts_query("  \"*^ ").as_deref(), None);
        assert_eq!(
            fts_query("a\"b OR c").as_deref(),
            Some(
                "({terms initials codes} : \"a\") AND ({terms initials codes} : \"b\") AND ({terms initials codes} : \"or\"*) AND ({terms initials codes} : \"c\")"
            )
        );
    }
}
