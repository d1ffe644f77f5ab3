//! Numbers and dates in the shopper's locale, through the browser's `Intl` (no locale data
//! shipped in the WebAssembly).

use js_sys::{Array, Date, Intl, Object, Reflect};
use rapport_shared::catalog::{minor_digits, Currency, Money};
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

/// A count with the locale's grouping: `1,234`, `1.234`.
pub fn count(locale: &str, value: u64) -> String {
    number(locale, &Object::new(), value as f64).unwrap_or_else(|| value.to_string())
}

/// A calendar date from Unix seconds: `March 4, 2026`, `4. März 2026`. In UTC, so the view the
/// Worker renders and the one the browser mounts show the same day wherever the shopper is.
pub fn date(locale: &str, unix_seconds: i64) -> String {
    let d = Date::new(&JsValue::from_f64(unix_seconds as f64 * 1000.0));
    let opts = options(&[("dateStyle", "long".into()), ("timeZone", "UTC".into())]);
    String::from(d.to_locale_date_string(locale, &opts))
}

/// A point amount with the locale's grouping: `1,240`; with `signed`, `+120` and `-500`.
pub fn points(locale: &str, value: i64, signed: bool) -> String {
    let opts =
        if signed { options(&[("signDisplay", "exceptZero".into())]) } else { Object::new() };
    number(locale, &opts, value as f64).unwrap_or_else(|| {
        if signed && value > 0 {
            format!("+{value}")
        } else {
            value.to_string()
        }
    })
}

/// A multiplier given in percent, as a factor: 150 is `1.5`, 200 is `2`.
pub fn factor(locale: &str, percent: u32) -> String {
    number(locale, &Object::new(), f64::from(percent) / 100.0)
        .unwrap_or_else(|| format!("{}.{:02}", percent / 100, percent % 100))
}

fn currency(locale: &str, currency: &Currency, value: f64, digits: Option<u32>) -> Option<String> {
    let mut pairs = vec![("style", "currency".into()), ("currency", currency.as_str().into())];
    if let Some(d) = digits {
        pairs.push(("minimumFractionDigits", d.into()));
        pairs.push(("maximumFractionDigits", d.into()));
    }
    number(locale, &options(&pairs), value)
}

/// Money from integer minor units, in the currency's own style: `€5.00`, `5,00 €`, `¥500`.
pub fn money(locale: &str, money: &Money) -> String {
    let digits = minor_digits(money.currency.as_str());
    let scale = 10i64.pow(digits);
    let value = money.amount_minor as f64 / scale as f64;
    currency(locale, &money.currency, value, None).unwrap_or_else(|| {
        // Integer arithmetic: Rust's float formatting would cost the module about 14 KB.
        let (whole, part) = (money.amount_minor / scale, (money.amount_minor % scale).abs());
        let code = money.currency.as_str();
        match digits {
            0 => format!("{whole} {code}"),
            d => format!("{whole}.{part:0>w$} {code}", w = d as usize),
        }
    })
}

/// One whole unit of a currency, without decimals: `€1`, `1 €`, `¥1`.
pub fn currency_unit(locale: &str, code: &Currency) -> String {
    currency(locale, code, 1.0, Some(0)).unwrap_or_else(|| format!("1 {}", code.as_str()))
}

/// A month's name: `March`, `März`.
pub fn month(locale: &str, month: u8) -> String {
    let d = Date::new_with_year_month_day(2000, i32::from(month) - 1, 1);
    String::from(d.to_locale_date_string(locale, &options(&[("month", "long".into())])))
}

/// `1 point`, `1,240 points`, in the language of the widget being built.
pub fn points_text(n: i64) -> String {
    crate::tr::tr().points(n)
}
