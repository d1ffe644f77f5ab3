//! Rapport's domain: wire types and the rules of the shop, as pure Rust.
//!
//! Nothing in this crate does I/O or reads a clock. Callers pass `now` (Unix seconds) and the
//! stored values; the functions answer. That keeps every rule testable natively and table-driven,
//! and lets the Worker and the widgets share one definition of every type they exchange.

pub mod catalog;
pub mod csv;
pub mod error;
pub mod follow_up;
pub mod html;
pub mod i18n;
#[cfg(feature = "server")]
pub mod identity;
pub mod ids;
pub mod keys;
pub mod locale;
pub mod loyalty;
#[cfg(feature = "server")]
pub mod merchant;
#[cfg(feature = "server")]
pub mod orders;
#[cfg(feature = "server")]
pub mod overview;
pub mod ratelimit;
pub mod recs;
pub mod referral;
pub mod reviews;
#[cfg(feature = "server")]
pub mod secrets;
pub mod time;
pub mod validator;
#[cfg(feature = "server")]
pub mod webhooks;

pub use error::ErrorBody;
