//! The shopper's locale, as the widgets and the Worker's rendered views use it.

use core::fmt;

/// A BCP 47 tag of the common shape `language[-Script][-REGION]`: `en`, `de-DE`,
/// `zh-Hant-TW`, `es-419`. Anything else is refused rather than handed to `Intl`, which throws
/// on a malformed tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale(String);

/// Why a locale was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocaleError;

impl fmt::Display for LocaleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be a language tag such as `en`, `de-DE` or `zh-Hant-TW`")
    }
}

impl Locale {
    pub fn parse(s: &str) -> Result<Self, LocaleError> {
        let mut parts = s.split('-');
        let language = parts.next().unwrap_or("");
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return Err(LocaleError);
        }
        let mut out = language.to_ascii_lowercase();
        let mut rest = parts.peekable();
        if let Some(script) = rest.peek().filter(|p| p.len() == 4) {
            if !script.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(LocaleError);
            }
            out.push('-');
            out.push_str(&script[..1].to_ascii_uppercase());
            out.push_str(&script[1..].to_ascii_lowercase());
            rest.next();
        }
        if let Some(region) = rest.next() {
            let letters = region.len() == 2 && region.bytes().all(|b| b.is_ascii_alphabetic());
            let digits = region.len() == 3 && region.bytes().all(|b| b.is_ascii_digit());
            if !letters && !digits {
                return Err(LocaleError);
            }
            out.push('-');
            out.push_str(&region.to_ascii_uppercase());
        }
        if rest.next().is_some() {
            return Err(LocaleError);
        }
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Locale {
    fn default() -> Self {
        Self("en-US".into())
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_tags_are_taken_in_canonical_case() {
        for (given, canonical) in [
            ("en", "en"),
            ("de-DE", "de-DE"),
            ("fr-ca", "fr-CA"),
            ("ZH-hant-tw", "zh-Hant-TW"),
            ("es-419", "es-419"),
            ("sr-Latn", "sr-Latn"),
        ] {
            assert_eq!(Locale::parse(given).unwrap().as_str(), canonical, "{given}");
        }
    }

    #[test]
    fn anything_intl_could_choke_on_is_refused() {
        for bad in [
            "",
            "e",
            "english",
            "en-",
            "-en",
            "en-U",
            "en-USA",
            "en-US-x",
            "en_US",
            "en-12",
            "en-US-u-ca-buddhist",
            "<b>",
            "en\u{0}",
            "d3-DE",
            "en-Lat1",
        ] {
            assert!(Locale::parse(bad).is_err(), "{bad:?}");
        }
    }
}
