//! The fold: a widget's first view fills exactly the height its element reserves, and what does
//! not fit waits behind a "show more" button.
//!
//! Why: the page reserves the widget's height before any script runs (the snippet's `<style>`),
//! and nothing the widget draws may change it, or the page below jumps (layout shift). A height
//! tuned to the content cannot hold: the content's height depends on the shopper's fonts, the
//! width of the page and the data (a long review, a long tier name). So the reserved height is
//! the widget's own: the host element has a fixed `height` (the loader's CSS), the widget lays out
//! a fixed head and foot, and the fold between them takes the rest and clips what overflows.
//!
//! The loader does the rest, for every widget alike and without WebAssembly: it marks the host
//! `clipped` while the fold hides something (which shows the `if-clipped` button), and sets
//! `expanded` — the host grows to fit — on the shopper's first click, tap or key press in the
//! widget, or when they tab to something the fold hides. Layout-shift scoring ignores what
//! follows a shopper's input, and focus is never on an element nobody can see.

use leptos::prelude::*;

/// The part of a widget's first view that takes the height left between its head and foot.
/// A function rather than a component with `Children`: children are type-erased, and every
/// erased view carries its whole render table into the module (see ARCHITECTURE.md, "Worker
/// size").
pub fn fold(body: impl IntoView) -> impl IntoView {
    view! {
        <div class="fold">
            <div class="fold-content">{body}</div>
        </div>
    }
}

/// The button for a view with nothing more to load: shown only while the fold hides something.
pub fn show_more() -> impl IntoView {
    let label = crate::tr::tr().get("common.show_more");
    view! { <button type="button" class="more if-clipped" part="button">{label}</button> }
}

/// A widget's first view as a frame: its title, the fold holding `body`, the foot with the
/// "show more" button, and the live region that says `announce` (the key of what to say:
/// `common.copied`).
pub fn framed(
    class: &'static str,
    part: &'static str,
    title_id: &'static str,
    title: String,
    body: impl IntoView,
    announce: RwSignal<&'static str>,
) -> impl IntoView {
    let t = crate::tr::tr();
    view! {
        <section class=class part=part aria-labelledby=title_id>
            <h2 id=title_id part="title">{title}</h2>
            {fold(body)}
            <div class="fold-foot">{show_more()}</div>
            // Nothing until there is something to say (an empty text renders as a space in HTML).
            <p class="visually-hidden" role="status">
                {move || Some(announce.get()).filter(|a| !a.is_empty()).map(|key| t.get(key))}
            </p>
        </section>
    }
}
