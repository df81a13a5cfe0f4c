//! The languages Tillpoint speaks: Simplified Chinese and English.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Picks a language from a locale string such as `zh_CN.UTF-8`, `en_US`, `zh-Hans`; English
    /// unless the locale is Chinese.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("zh") { Lang::ZhCn } else { Lang::En }
    }

    /// Picks the text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }
}

/// Declares a table of user-visible texts: an enum whose every key has a zh-CN and an English
/// text (a key without both does not compile), with `ALL` and `text(lang)`. The till and the HQ
/// console each keep their words in one such table.
///
/// ```
/// shared::text_table!(Words { Hello => ("你好", "Hello"), });
/// assert_eq!(Words::Hello.text(shared::lang::Lang::En), "Hello");
/// ```
#[macro_export]
macro_rules! text_table {
    ($name:ident { $($key:ident => ($zh:expr, $en:expr),)* }) => {
        /// A user-visible text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($key,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$key,)*];

            pub fn text(self, lang: $crate::lang::Lang) -> &'static str {
                match self {
                    $($name::$key => lang.pick($zh, $en),)*
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales() {
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::ZhCn);
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C"), Lang::En);
    }
}
