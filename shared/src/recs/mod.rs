//! Recommendations: which products to show a shopper beside the one they look at.
//!
//! [`model`] learns neighbour lists from the shop's own orders and (with consent) anonymous
//! product views; [`offline`] is the protocol that measures the model against baselines on any
//! interaction file; [`lists`] turns the model into the lists a shop serves.

pub mod lists;
pub mod model;
pub mod offline;
