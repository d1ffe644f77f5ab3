//! The fold: a widget's first view fills exactly the height its element reserves, and what does
//! not fit waits behind a "show more" button.
//!
//! Why: the page reserves the widget's height before any script runs (the snippet's `<style>`),
//! and nothing the widget draws may change it, or the page below jumps (layout shift). A height
//! tuned to the content cannot hold: the content's height depends on the shopper's fonts, the
//! width of the page and the data (a long review, a long tier name). So the reserved height is
//! the widget's own: the host element has a fixed `height` (the loader's CSS), the widget lays out
//! a fixed head and foot, and the fold between them takes the rest and clips what overflows.
//! Only a shopper's action opens it (a click or a key press, which layout-shift scoring ignores):
//! the host gets the `expanded` attribute and grows to fit.
//!
//! A keyboard shopper who tabs to something the fold hides opens it too, so focus is never on
//! an element nobody can see.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Whether the fold is open, and whether (closed) it hides some of its content.
#[derive(Debug, Clone, Copy)]
pub struct FoldState {
    /// Opened by the shopper; never closes again.
    pub open: RwSignal<bool>,
    /// Closed and cutting off content: the widget shows its "show more" button.
    pub clipped: RwSignal<bool>,
}

impl Default for FoldState {
    fn default() -> Self {
        Self { open: RwSignal::new(false), clipped: RwSignal::new(false) }
    }
}

/// The part of a widget's first view that takes the height left between its head and foot.
#[component]
pub fn Fold(
    /// Shared with the widget, whose button opens it.
    state: FoldState,
    children: Children,
) -> impl IntoView {
    let FoldState { open, clipped } = state;
    let outer = NodeRef::<html::Div>::new();
    let inner = NodeRef::<html::Div>::new();

    let measure = move || {
        if let (Some(outer), Some(inner)) = (outer.get_untracked(), inner.get_untracked()) {
            let hidden = !open.get_untracked() && inner.offset_height() > outer.client_height();
            if hidden != clipped.get_untracked() {
                clipped.set(hidden);
            }
        }
    };
    // Content and box both change size: data arriving, fonts loading, the page resizing.
    Effect::new(move |_| {
        let (Some(outer_el), Some(inner_el)) = (outer.get(), inner.get()) else { return };
        let callback = Closure::<dyn FnMut()>::new(measure);
        if let Ok(observer) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            observer.observe(&inner_el);
            observer.observe(&outer_el);
        }
        // The observer calls back for as long as the widget is on the page.
        callback.forget();
    });
    Effect::new(move |_| {
        if open.get() {
            clipped.set(false);
            if let Some(el) = outer.get_untracked() {
                expand_host(&el);
            }
        }
    });
    let on_focus = move |ev: leptos::ev::FocusEvent| {
        if open.get_untracked() {
            return;
        }
        let (Some(target), Some(outer)) = (
            ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()),
            outer.get_untracked(),
        ) else {
            return;
        };
        if target.get_bounding_client_rect().bottom()
            > outer.get_bounding_client_rect().bottom() + 1.0
        {
            open.set(true);
        }
    };
    view! {
        <div class="fold" class:open=move || open.get() class:clipped=move || clipped.get() node_ref=outer on:focusin=on_focus>
            <div class="fold-content" node_ref=inner>{children()}</div>
        </div>
    }
}

/// Lets the custom element whose shadow root holds `el` grow to fit its content.
fn expand_host(el: &web_sys::Element) {
    if let Ok(root) = el.get_root_node().dyn_into::<web_sys::ShadowRoot>() {
        let _ = root.host().set_attribute("expanded", "");
    }
}
