//! Every shopper-facing string, in the shopper's language.
//!
//! One catalogue per language ([`Lang`]), a static list of `(key, text)`: a text may hold
//! placeholders (`{count}`, `{shop}`) and a plural key has one entry per form its language needs,
//! `key#one`, `key#few`, `key#other` (CLDR plural rules for whole numbers, [`Lang::plural`]).
//! English ([`en`]) is the reference: every language has each of its keys, every form, and every
//! placeholder. A merchant may reword any string per language ([`check_overrides`]); the
//! [`Strings`] a widget receives are its own keys in one language with the merchant's words
//! over them, so a shopper downloads their own language only.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::FieldError;

pub mod ar;
pub mod da;
pub mod de;
pub mod en;
pub mod es;
pub mod fr;
pub mod he;
pub mod it;
pub mod ja;
pub mod nl;
pub mod pl;
pub mod pt;
pub mod sv;

/// A language Rapport ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lang {
    En,
    De,
    Fr,
    Es,
    It,
    Nl,
    Pt,
    Pl,
    Sv,
    Da,
    Ja,
    Ar,
    He,
}

/// A CLDR plural category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Plural {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

impl Plural {
    pub fn name(self) -> &'static str {
        match self {
            Plural::Zero => "zero",
            Plural::One => "one",
            Plural::Two => "two",
            Plural::Few => "few",
            Plural::Many => "many",
            Plural::Other => "other",
        }
    }
}

impl Lang {
    pub const ALL: [Lang; 13] = [
        Lang::En,
        Lang::De,
        Lang::Fr,
        Lang::Es,
        Lang::It,
        Lang::Nl,
        Lang::Pt,
        Lang::Pl,
        Lang::Sv,
        Lang::Da,
        Lang::Ja,
        Lang::Ar,
        Lang::He,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::It => "it",
            Lang::Nl => "nl",
            Lang::Pt => "pt",
            Lang::Pl => "pl",
            Lang::Sv => "sv",
            Lang::Da => "da",
            Lang::Ja => "ja",
            Lang::Ar => "ar",
            Lang::He => "he",
        }
    }

    /// The language of exactly this code (`de`), if Rapport ships it.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language for a BCP 47 tag: its primary subtag, case-insensitively (`de-AT` is
    /// German, `pt-BR` Portuguese, `iw` the old code for Hebrew); English for anything else.
    pub fn negotiate(tag: &str) -> Lang {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        let primary = if primary == "iw" { "he".to_owned() } else { primary };
        Lang::from_code(&primary).unwrap_or(Lang::En)
    }

    /// Written right to left.
    pub fn rtl(self) -> bool {
        matches!(self, Lang::Ar | Lang::He)
    }

    /// The plural forms this language's catalogue must have, `Other` always among them.
    pub fn forms(self) -> &'static [Plural] {
        use Plural::*;
        match self {
            Lang::Ja => &[Other],
            Lang::En | Lang::De | Lang::Nl | Lang::Sv | Lang::Da => &[One, Other],
            Lang::Fr | Lang::Es | Lang::It | Lang::Pt => &[One, Many, Other],
            Lang::Pl => &[One, Few, Many, Other],
            Lang::He => &[One, Two, Other],
            Lang::Ar => &[Zero, One, Two, Few, Many, Other],
        }
    }

    /// The CLDR plural category of the whole number `n` in this language.
    pub fn plural(self, n: u64) -> Plural {
        use Plural::*;
        let (m10, m100) = (n % 10, n % 100);
        // French, Spanish, Italian and Portuguese say "de"/"di" after a round million.
        let million = n != 0 && n.is_multiple_of(1_000_000);
        match self {
            Lang::Ja => Other,
            Lang::En | Lang::De | Lang::Nl | Lang::Sv | Lang::Da => {
                if n == 1 {
                    One
                } else {
                    Other
                }
            }
            Lang::Fr | Lang::Pt if n <= 1 => One,
            Lang::Es | Lang::It if n == 1 => One,
            Lang::Fr | Lang::Pt | Lang::Es | Lang::It if million => Many,
            Lang::Fr | Lang::Pt | Lang::Es | Lang::It => Other,
            Lang::Pl => match n {
                1 => One,
                _ if (2..=4).contains(&m10) && !(12..=14).contains(&m100) => Few,
                _ => Many,
            },
            Lang::He => match n {
                1 => One,
                2 => Two,
                _ => Other,
            },
            Lang::Ar => match n {
                0 => Zero,
                1 => One,
                2 => Two,
                _ if (3..=10).contains(&m100) => Few,
                _ if (11..=99).contains(&m100) => Many,
                _ => Other,
            },
        }
    }

    /// The language's catalogue as shipped.
    pub fn catalogue(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::En => en::STRINGS,
            Lang::De => de::STRINGS,
            Lang::Fr => fr::STRINGS,
            Lang::Es => es::STRINGS,
            Lang::It => it::STRINGS,
            Lang::Nl => nl::STRINGS,
            Lang::Pt => pt::STRINGS,
            Lang::Pl => pl::STRINGS,
            Lang::Sv => sv::STRINGS,
            Lang::Da => da::STRINGS,
            Lang::Ja => ja::STRINGS,
            Lang::Ar => ar::STRINGS,
            Lang::He => he::STRINGS,
        }
    }
}

/// The placeholders of a text, in order: `{count}` and `{shop}` in "{count} at {shop}".
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if after[..end].bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => {
                out.push(&after[..end]);
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

/// `key` without its plural form (`reviews.count` for `reviews.count#one`).
fn base(key: &str) -> &str {
    key.split_once('#').map_or(key, |(b, _)| b)
}

/// The English text of `key` (a plural key's `other` form), if it is a key of the widgets.
fn english(key: &str) -> Option<&'static str> {
    let other = format!("{}#other", base(key));
    en::STRINGS.iter().find(|(k, _)| *k == key || *k == other).map(|(_, t)| *t)
}

/// Whether a key (as a merchant names it, `reviews.write` or `reviews.count#few`) is one of
/// `lang`'s strings.
fn is_key_of(lang: Lang, key: &str) -> bool {
    let plural = en::STRINGS.iter().any(|(k, _)| base(k) == base(key) && k.contains('#'));
    match key.split_once('#') {
        None => !plural && en::STRINGS.iter().any(|(k, _)| *k == key),
        Some((_, form)) => plural && lang.forms().iter().any(|f| f.name() == form),
    }
}

/// Longest text a merchant may give a string.
pub const MAX_OVERRIDE_LEN: usize = 300;
/// Most strings a merchant may reword, in all languages together.
pub const MAX_OVERRIDES: usize = 500;

/// The merchant's own words, by language code and key.
pub type Overrides = BTreeMap<String, BTreeMap<String, String>>;

/// Checks a shop's rewordings: a language Rapport ships, a key of the widgets (with a plural
/// form that language has), the same placeholders as the English text, a short plain text.
pub fn check_overrides(overrides: &Overrides) -> Result<(), FieldError> {
    let count: usize = overrides.values().map(BTreeMap::len).sum();
    if count > MAX_OVERRIDES {
        return Err(FieldError::new("strings", format!("rewords at most {MAX_OVERRIDES} strings")));
    }
    for (code, strings) in overrides {
        let Some(lang) = Lang::from_code(code) else {
            let known: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
            return Err(FieldError::new(
                format!("strings.{code}"),
                format!("is not a language Rapport ships ({})", known.join(", ")),
            ));
        };
        for (key, text) in strings {
            let field = format!("strings.{code}.{key}");
            if !is_key_of(lang, key) {
                return Err(FieldError::new(field, "is not a string of the widgets"));
            }
            let english = english(key).unwrap_or_default();
            let mut want = placeholders(english);
            let mut got = placeholders(text);
            want.sort_unstable();
            got.sort_unstable();
            if let Some(missing) = want.iter().find(|p| !got.contains(p)) {
                return Err(FieldError::new(
                    field,
                    format!("must keep the placeholder {{{missing}}}"),
                ));
            }
            if let Some(extra) = got.iter().find(|p| !want.contains(p)) {
                return Err(FieldError::new(field, format!("has no placeholder {{{extra}}}")));
            }
            let len = text.chars().count();
            if text.trim().is_empty() || len > MAX_OVERRIDE_LEN {
                return Err(FieldError::new(
                    field,
                    format!("must be 1 to {MAX_OVERRIDE_LEN} characters"),
                ));
            }
            if text.chars().any(|c| c.is_control() || c == '<' || c == '>') {
                return Err(FieldError::new(field, "is plain text: no control characters, < or >"));
            }
        }
    }
    Ok(())
}

/// A widget's strings in one language: what the Worker sends with each widget's data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strings {
    /// The language code (`de`).
    pub lang: String,
    /// Right to left.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rtl: bool,
    pub strings: BTreeMap<String, String>,
}

impl Strings {
    /// The keys under any of `prefixes` (`reviews.`, `common.`) in `lang`, with the merchant's
    /// words for that language over them.
    pub fn of(lang: Lang, prefixes: &[&str], overrides: Option<&Overrides>) -> Self {
        let wanted = |k: &str| prefixes.iter().any(|p| k.starts_with(p));
        let mut strings: BTreeMap<String, String> = lang
            .catalogue()
            .iter()
            .filter(|(k, _)| wanted(k))
            .map(|(k, t)| ((*k).to_owned(), (*t).to_owned()))
            .collect();
        if let Some(own) = overrides.and_then(|o| o.get(lang.code())) {
            for (k, t) in own.iter().filter(|(k, _)| wanted(k)) {
                strings.insert(k.clone(), t.clone());
            }
        }
        Self { lang: lang.code().to_owned(), rtl: lang.rtl(), strings }
    }

    fn language(&self) -> Lang {
        Lang::negotiate(&self.lang)
    }

    /// The text of `key`; the key itself if it is missing (a bug, visible at once).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.strings.get(key).map_or(key, String::as_str)
    }

    /// The text of `key` with each `{name}` replaced.
    pub fn text(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.get(key), args)
    }

    /// The form of plural `key` for `n`, with `{count}` replaced by `count` (`n` written the
    /// shopper's way) and each other `{name}` by its value.
    pub fn count(&self, key: &str, n: u64, count: &str, args: &[(&str, &str)]) -> String {
        let form = self.language().plural(n).name();
        let text = self
            .strings
            .get(&format!("{key}#{form}"))
            .or_else(|| self.strings.get(&format!("{key}#other")))
            .map_or(key, String::as_str);
        let mut all = vec![("count", count)];
        all.extend_from_slice(args);
        fill(text, &all)
    }
}

fn fill(text: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after
            .find('}')
            .and_then(|end| args.iter().find(|(n, _)| *n == &after[..end]).map(|(_, v)| (end, *v)))
        {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every language, each with its own catalogue.
    fn written() -> Vec<Lang> {
        for lang in Lang::ALL.into_iter().filter(|l| *l != Lang::En) {
            assert_ne!(lang.catalogue(), en::STRINGS, "{lang:?} is not written");
        }
        Lang::ALL.to_vec()
    }

    #[test]
    fn every_language_has_every_key_form_and_placeholder() {
        let english: BTreeMap<&str, &str> = en::STRINGS.iter().copied().collect();
        assert_eq!(english.len(), en::STRINGS.len(), "no English key twice");
        let bases: BTreeMap<&str, bool> =
            en::STRINGS.iter().map(|(k, _)| (base(k), k.contains('#'))).collect();
        for lang in written() {
            let cat: BTreeMap<&str, &str> = lang.catalogue().iter().copied().collect();
            assert_eq!(cat.len(), lang.catalogue().len(), "{lang:?}: a key twice");
            let mut problems = Vec::new();
            for (b, plural) in &bases {
                let keys: Vec<String> = if *plural {
                    lang.forms().iter().map(|f| format!("{b}#{}", f.name())).collect()
                } else {
                    vec![(*b).to_owned()]
                };
                let want = english.get(format!("{b}#other").as_str()).or(english.get(b)).unwrap();
                let mut want = placeholders(want);
                want.sort_unstable();
                for key in keys {
                    match cat.get(key.as_str()) {
                        None => problems.push(format!("{key} is missing")),
                        Some(text) => {
                            let mut got = placeholders(text);
                            got.sort_unstable();
                            got.dedup();
                            let mut w = want.clone();
                            w.dedup();
                            // A form for one exact number may write the number out.
                            let exact = key.ends_with("#one")
                                || key.ends_with("#two")
                                || key.ends_with("#zero");
                            let w: Vec<&str> =
                                w.into_iter().filter(|p| !(exact && *p == "count")).collect();
                            for p in &w {
                                if !got.contains(p) {
                                    problems.push(format!("{key} drops {{{p}}}"));
                                }
                            }
                            for p in &got {
                                if !want.contains(p) {
                                    problems.push(format!("{key} has an unknown {{{p}}}"));
                                }
                            }
                        }
                    }
                }
            }
            for key in cat.keys() {
                if !bases.contains_key(base(key)) {
                    problems.push(format!("{key} is not an English key"));
                } else if key.contains('#') && !is_key_of(lang, key) {
                    problems.push(format!("{key} is a form {lang:?} does not have"));
                }
            }
            assert!(problems.is_empty(), "{lang:?}:\n{}", problems.join("\n"));
        }
    }

    #[test]
    fn a_control_named_apart_from_its_text_keeps_its_text_in_its_name() {
        // A button whose label says more than its text (for screen readers) must contain the
        // text, so a shopper who speaks the text to select it finds it.
        for lang in Lang::ALL {
            let cat: BTreeMap<&str, &str> = lang.catalogue().iter().copied().collect();
            for (text, name) in
                [("loyalty.redeem", "loyalty.redeem_reward"), ("common.copy", "loyalty.copy_code")]
            {
                let (t, n) = (cat[text].to_lowercase(), cat[name].to_lowercase());
                assert!(n.contains(&t), "{lang:?}: {name} {n:?} does not contain {text} {t:?}");
            }
        }
    }

    #[test]
    fn tags_negotiate_to_their_language_then_english() {
        for (tag, want) in [
            ("de-AT", Lang::De),
            ("DE", Lang::De),
            ("pt-BR", Lang::Pt),
            ("zh-Hant-TW", Lang::En),
            ("", Lang::En),
            ("iw-IL", Lang::He),
            ("ar_EG", Lang::Ar),
            ("en-GB", Lang::En),
        ] {
            assert_eq!(Lang::negotiate(tag), want, "{tag}");
        }
        assert!(Lang::Ar.rtl() && Lang::He.rtl() && !Lang::De.rtl());
    }

    #[test]
    fn plural_rules_follow_cldr_for_whole_numbers() {
        use Plural::*;
        let table: &[(Lang, &[(u64, Plural)])] = &[
            (Lang::En, &[(0, Other), (1, One), (2, Other), (11, Other)]),
            (
                Lang::Fr,
                &[
                    (0, One),
                    (1, One),
                    (2, Other),
                    (1_000_000, Many),
                    (2_000_000, Many),
                    (1_000_001, Other),
                ],
            ),
            (Lang::Pt, &[(0, One), (1, One), (2, Other), (1_000_000, Many)]),
            (Lang::Es, &[(0, Other), (1, One), (2, Other), (3_000_000, Many)]),
            (Lang::It, &[(0, Other), (1, One), (1_000_000, Many)]),
            (
                Lang::Pl,
                &[
                    (0, Many),
                    (1, One),
                    (2, Few),
                    (4, Few),
                    (5, Many),
                    (12, Many),
                    (14, Many),
                    (22, Few),
                    (25, Many),
                    (112, Many),
                    (122, Few),
                ],
            ),
            (
                Lang::Ar,
                &[
                    (0, Zero),
                    (1, One),
                    (2, Two),
                    (3, Few),
                    (10, Few),
                    (11, Many),
                    (99, Many),
                    (100, Other),
                    (102, Other),
                    (103, Few),
                    (111, Many),
                ],
            ),
            (Lang::He, &[(0, Other), (1, One), (2, Two), (3, Other), (10, Other), (20, Other)]),
            (Lang::Ja, &[(0, Other), (1, Other), (2, Other)]),
        ];
        for (lang, cases) in table {
            for (n, want) in *cases {
                assert_eq!(lang.plural(*n), *want, "{lang:?} {n}");
            }
        }
        // Every category a rule gives is one the language's catalogue has.
        for lang in Lang::ALL {
            for n in (0..=1000).chain([1_000_000, 2_000_000, 1_000_001]) {
                assert!(lang.forms().contains(&lang.plural(n)), "{lang:?} {n}");
            }
        }
    }

    #[test]
    fn strings_fill_placeholders_and_pick_the_plural_form() {
        let s = Strings::of(Lang::En, &["reviews.", "common."], None);
        assert!(s.strings.keys().all(|k| k.starts_with("reviews.") || k.starts_with("common.")));
        assert_eq!(s.count("reviews.based_on", 1, "1", &[]), "Based on 1 review");
        assert_eq!(s.count("reviews.based_on", 1200, "1,200", &[]), "Based on 1,200 reviews");
        assert_eq!(s.text("common.rated", &[("rating", "4.5")]), "Rated 4.5 out of 5");
        assert_eq!(s.get("no.such.key"), "no.such.key");
        assert_eq!(
            fill("{a} and {b}, {a}; {c} {x", &[("a", "1"), ("b", "2")]),
            "1 and 2, 1; {c} {x"
        );
    }

    #[test]
    fn a_merchant_rewords_within_the_rules() {
        let mut de = BTreeMap::new();
        de.insert("reviews.write".to_owned(), "Teile deine Erfahrung".to_owned());
        de.insert("reviews.based_on#one".to_owned(), "Aus {count} Bewertung".to_owned());
        let mut o = Overrides::new();
        o.insert("de".to_owned(), de);
        assert_eq!(check_overrides(&o), Ok(()));
        let s = Strings::of(Lang::De, &["reviews."], Some(&o));
        assert_eq!(s.get("reviews.write"), "Teile deine Erfahrung");

        let refused = |lang: &str, key: &str, text: &str| {
            let mut o = Overrides::new();
            o.entry(lang.to_owned()).or_default().insert(key.to_owned(), text.to_owned());
            check_overrides(&o).unwrap_err()
        };
        let e = refused("de", "reviews.writ", "x");
        assert_eq!(
            (e.field.as_str(), e.problem.as_str()),
            ("strings.de.reviews.writ", "is not a string of the widgets")
        );
        let e = refused("de", "reviews.based_on#other", "Viele Bewertungen");
        assert_eq!(e.problem, "must keep the placeholder {count}");
        let e = refused("de", "reviews.write", "Schreib {name}");
        assert_eq!(e.problem, "has no placeholder {name}");
        assert_eq!(
            refused("de", "reviews.count#few", "{count}").problem,
            "is not a string of the widgets",
            "German has no few"
        );
        assert_eq!(
            check_overrides(
                &[(
                    "pl".to_owned(),
                    [("reviews.count#few".to_owned(), "{count} opinie".to_owned())].into()
                )]
                .into()
            ),
            Ok(())
        );
        assert_eq!(
            refused("de", "reviews.count", "{count}").field,
            "strings.de.reviews.count",
            "a plural key needs its form"
        );
        assert_eq!(refused("xx", "reviews.write", "x").field, "strings.xx");
        assert!(refused("de", "reviews.write", "<b>Hi</b>").problem.starts_with("is plain text"));
        assert!(refused("de", "reviews.write", &"x".repeat(301))
            .problem
            .starts_with("must be 1 to"));
    }

    #[test]
    fn placeholders_are_lowercase_names_in_braces() {
        assert_eq!(placeholders("{count} at {shop}: {link}"), ["count", "shop", "link"]);
        assert_eq!(placeholders("a {b c} {Shop} {ok}"), ["ok"]);
    }
}
