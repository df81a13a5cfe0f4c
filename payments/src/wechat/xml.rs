//! WeChat Pay v2's XML: one flat `<xml>` element whose children are the fields.
//!
//! Read as quick-xml events into a name → text map, not through serde into a struct: the
//! signature covers every field the answer carries, known to us or not (`coupon_fee_0`,
//! `refund_fee_$n`, fields added later), so they must all be kept as sent.
//! A document type declaration is refused (WeChat Pay's own advice against XXE), and so is
//! anything nested, repeated or outside `<xml>`.

use std::collections::BTreeMap;

use quick_xml::events::Event;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not WeChat Pay XML: {0}")]
pub struct XmlError(pub String);

/// Writes `<xml><name>value</name>…</xml>`, fields in name order, values escaped
pub fn write(fields: &BTreeMap<String, String>) -> String {
    let mut out = String::from("<xml>");
    for (name, value) in fields {
        out.push('<');
        out.push_str(name);
        out.push('>');
        out.push_str(&quick_xml::escape::escape(value.as_str()));
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    out.push_str("</xml>");
    out
}

/// Reads the fields of a WeChat Pay XML document (text or CDATA values)
pub fn read(xml: &str) -> Result<BTreeMap<String, String>, XmlError> {
    let err = |s: String| XmlError(s);
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut fields = BTreeMap::new();
    // depth 0: before <xml>; 1: inside <xml>; 2: inside a field
    let mut depth = 0u8;
    let mut seen_root = false;
    let mut current: Option<(String, String)> = None;
    loop {
        let event = reader.read_event().map_err(|e| err(e.to_string()))?;
        match event {
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::DocType(_) => return Err(err("a document type declaration".into())),
            Event::Start(start) => {
                let name = String::from_utf8(start.name().as_ref().to_vec()).map_err(|e| err(e.to_string()))?;
                match depth {
                    0 if name == "xml" && !seen_root => {
                        seen_root = true;
                        depth = 1;
                    }
                    0 => return Err(err(format!("root element <{name}>"))),
                    1 => {
                        current = Some((name, String::new()));
                        depth = 2;
                    }
                    _ => return Err(err(format!("nested element <{name}>"))),
                }
            }
            Event::Empty(empty) => {
                let name = String::from_utf8(empty.name().as_ref().to_vec()).map_err(|e| err(e.to_string()))?;
                if depth != 1 {
                    return Err(err(format!("element <{name}/> out of place")));
                }
                insert(&mut fields, name, String::new())?;
            }
            Event::End(_) => match depth {
                2 => {
                    if let Some((name, value)) = current.take() {
                        insert(&mut fields, name, value)?;
                    }
                    depth = 1;
                }
                1 => depth = 0,
                _ => return Err(err("an end tag without a start".into())),
            },
            Event::Text(text) => {
                let text = text.decode().map_err(|e| err(e.to_string()))?;
                match (&mut current, depth) {
                    (Some((_, value)), 2) => value.push_str(&text),
                    _ if text.trim().is_empty() => {}
                    _ => return Err(err(format!("text `{text}` outside a field"))),
                }
            }
            Event::CData(cdata) => {
                let text = cdata.decode().map_err(|e| err(e.to_string()))?;
                match (&mut current, depth) {
                    (Some((_, value)), 2) => value.push_str(&text),
                    _ => return Err(err("CDATA outside a field".into())),
                }
            }
            Event::GeneralRef(reference) => {
                let ch = match reference.resolve_char_ref().map_err(|e| err(e.to_string()))? {
                    Some(ch) => ch,
                    None => match reference.decode().map_err(|e| err(e.to_string()))?.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(err(format!("entity &{other};"))),
                    },
                };
                match (&mut current, depth) {
                    (Some((_, value)), 2) => value.push(ch),
                    _ => return Err(err("a reference outside a field".into())),
                }
            }
        }
    }
    if !seen_root || depth != 0 {
        return Err(err("no complete <xml> element".into()));
    }
    Ok(fields)
}

fn insert(fields: &mut BTreeMap<String, String>, name: String, value: String) -> Result<(), XmlError> {
    if fields.contains_key(&name) {
        return Err(XmlError(format!("field <{name}> twice")));
    }
    fields.insert(name, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn fields_are_written_in_name_order_and_escaped() {
        let fields = map(&[("total_fee", "1"), ("body", "Tillpoint <B001> & co"), ("appid", "wx1")]);
        assert_eq!(
            write(&fields),
            "<xml><appid>wx1</appid><body>Tillpoint &lt;B001&gt; &amp; co</body><total_fee>1</total_fee></xml>"
        );
        assert_eq!(read(&write(&fields)), Ok(fields));
    }

    #[test]
    fn the_documented_answer_shape_reads() {
        let xml = "<xml>\n   <return_code><![CDATA[SUCCESS]]></return_code>\n   <return_msg><![CDATA[OK]]></return_msg>\n   \
                   <total_fee>1</total_fee>\n   <coupon_fee><![CDATA[0]]></coupon_fee>\n   <attach/>\n   \
                   <body>a &amp; b &#x4E2D;</body>\n</xml>";
        assert_eq!(
            read(xml),
            Ok(map(&[
                ("return_code", "SUCCESS"),
                ("return_msg", "OK"),
                ("total_fee", "1"),
                ("coupon_fee", "0"),
                ("attach", ""),
                ("body", "a & b 中"),
            ]))
        );
    }

    #[test]
    fn other_shapes_are_refused() {
        for xml in [
            "",
            "<xml>",
            "<root><a>1</a></root>",
            "<xml><a><b>1</b></a></xml>",
            "<xml><a>1</a><a>2</a></xml>",
            "<xml>loose<a>1</a></xml>",
            "<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><a>&x;</a></xml>",
            "<xml><a>&x;</a></xml>",
            "<xml><a>1</a></xml><xml></xml>",
            "<xml><a>1</b></xml>",
        ] {
            assert!(read(xml).is_err(), "{xml}");
        }
    }
}
