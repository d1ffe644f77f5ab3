//! The widget's words in the shopper's language: the [`Strings`] the Worker sent with the
//! widget's data (its own keys, one language, the merchant's rewordings over them), with the
//! locale numbers are written in. Every component reads them from the Leptos context its
//! widget provides ([`Tr::provide`]), in the Worker's rendering and in the browser alike.

use std::sync::Arc;

use leptos::prelude::*;
use rapport_shared::i18n::Strings;

use crate::{format, Config};

#[derive(Clone)]
pub struct Tr {
    strings: Arc<Strings>,
    locale: Arc<str>,
}

impl Tr {
    /// Makes the config's strings the context of the widget being built.
    pub fn provide(config: &Config) -> Tr {
        let tr =
            Tr { strings: Arc::new(config.strings.clone()), locale: config.locale.as_str().into() };
        provide_context(tr.clone());
        tr
    }

    pub fn get(&self, key: &str) -> String {
        self.strings.get(key).to_owned()
    }

    /// `key` with each `{name}` filled.
    pub fn text(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.strings.text(key, args)
    }

    /// The plural `key` for `n`, `{count}` written the shopper's way.
    pub fn count(&self, key: &str, n: u64, args: &[(&str, &str)]) -> String {
        self.strings.count(key, n, &format::count(&self.locale, n), args)
    }

    /// `1 point`, `1,240 points`, `-500 points`.
    pub fn points(&self, n: i64) -> String {
        let written = format::points(&self.locale, n, false);
        self.strings.count("common.points", n.unsigned_abs(), &written, &[])
    }

    /// The language's plural form of the points word alone (`point`, `points`), for a
    /// balance whose number is styled apart.
    pub fn points_word(&self, n: i64) -> String {
        self.strings.count("loyalty.points_word", n.unsigned_abs(), "", &[])
    }
}

/// The strings of the widget being built.
pub fn tr() -> Tr {
    use_context::<Tr>().unwrap_or_else(|| Tr { strings: Arc::default(), locale: "en".into() })
}
