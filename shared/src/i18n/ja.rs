//! Not written yet: English until it is.

pub const STRINGS: &[(&str, &str)] = super::en::STRINGS;
