//! Copying a code or a link, and saying how it went in the widget's live region.

use std::time::Duration;

use js_sys::{Function, Promise, Reflect};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Puts `text` on the clipboard and announces `done` (a catalogue key), or how to copy by hand.
pub fn copy(text: &str, announce: RwSignal<&'static str>, done: &'static str) {
    let said = move |ok: bool| {
        announce.set(if ok { done } else { "common.copy_failed" });
        // Cleared, so copying again is announced again.
        set_timeout(move || announce.set(""), Duration::from_secs(3));
    };
    let Some(promise) = write_text(text) else { return said(false) };
    spawn_local(async move { said(JsFuture::from(promise).await.is_ok()) });
}

/// `navigator.clipboard.writeText(text)`, or `None` where the page may not use the clipboard
/// (an insecure origin, an old browser).
fn write_text(text: &str) -> Option<Promise> {
    let navigator = Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok()?;
    let clipboard = Reflect::get(&navigator, &JsValue::from_str("clipboard")).ok()?;
    let write: Function =
        Reflect::get(&clipboard, &JsValue::from_str("writeText")).ok()?.dyn_into().ok()?;
    write.call1(&clipboard, &JsValue::from_str(text)).ok()?.dyn_into().ok()
}
