//! Numbers and dates in the shopper's locale, through the browser's `Intl` (no locale data
//! shipped in the WebAssembly).

use js_sys::{Array, Date, Intl, Object, Reflect};
use wasm_bindgen::JsValue;

fn locales(locale: &str) -> Array {
    Array::of1(&JsValue::from_str(locale))
}

fn options(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

fn number(locale: &str, opts: &Object, value: f64) -> Option<String> {
    Intl::NumberFormat::new(&locales(locale), opts)
        .format()
        .call1(&JsValue::NULL, &value.into())
        .ok()?
        .as_string()
}

/// A rating average with exactly one decimal: `4.6`, `4,6`.
pub fn one_decimal(locale: &str, value: f64) -> String {
    let opts = options(&[("minimumFractionDigits", 1.into()), ("maximumFractionDigits", 1.into())]);
    number(locale, &opts, value).unwrap_or_else(|| {
        // Integer arithmetic: Rust's float formatting would cost the module about 14 KB.
        let tenths = (value * 10.0).round() as i64;
        format!("{}.{}", tenths / 10, tenths % 10)
    })
}

/// A whole number with the locale's grouping: `1,234`, `1.234`.
pub fn integer(locale: &str, value: u32) -> String {
    number(locale, &Object::new(), value.into()).unwrap_or_else(|| value.to_string())
}

/// A calendar date from Unix seconds: `March 4, 2026`, `4. März 2026`.
pub fn date(locale: &str, unix_seconds: i64) -> String {
    let d = Date::new(&JsValue::from_f64(unix_seconds as f64 * 1000.0));
    let opts = options(&[("dateStyle", "long".into())]);
    String::from(d.to_locale_date_string(locale, &opts))
}
