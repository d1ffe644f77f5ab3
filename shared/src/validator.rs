//! HTTP validators for public answers: an entity tag from the bytes of a body, and whether a
//! request's `If-None-Match` already names it (then the answer is a `304 Not Modified` with no
//! body). The tag is a hash of the bytes, not of what they mean: two answers with the same bytes
//! share it, any change of a byte changes it.

/// The strong entity tag of `body`: FNV-1a (64-bit) of its bytes, in hex, quoted. Not a
/// secret and not collision-proof against an adversary; it only has to tell versions of one
/// answer apart, and it costs a few microseconds on a page of reviews.
pub fn entity_tag(body: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in body {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{hash:016x}\"")
}

/// Whether an `If-None-Match` header value names `tag`: `*`, or a comma-separated list of tags,
/// each possibly weak (`W/"…"`), compared weakly as RFC 9110 asks for `If-None-Match`.
pub fn names(if_none_match: &str, tag: &str) -> bool {
    let bare = tag.trim_start_matches("W/");
    if_none_match.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_follows_the_bytes() {
        let tag = entity_tag(br#"{"reviews":[]}"#);
        assert_eq!(tag.len(), 18);
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert_eq!(tag, entity_tag(br#"{"reviews":[]}"#));
        assert_ne!(tag, entity_tag(br#"{"reviews":[1]}"#));
        // The published FNV-1a test vector: "a".
        assert_eq!(entity_tag(b"a"), "\"af63dc4c8601ec8c\"");
    }

    #[test]
    fn if_none_match_names_a_tag_in_a_list_weak_or_strong() {
        let tag = entity_tag(b"page");
        assert!(names(&tag, &tag));
        assert!(names(&format!("\"x\", W/{tag}"), &tag));
        assert!(names("*", &tag));
        assert!(!names("\"x\"", &tag));
        assert!(!names("", &tag));
        assert!(!names(&tag[1..], &tag), "an unquoted tag is another tag");
    }
}
