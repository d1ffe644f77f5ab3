//! The module's parts, packed by the widgets that need them.
//!
//! wasm-split cuts the module into the main part, one part per split point (`split_reviews`,
//! `split_review_form`, …) and one `chunk_{n}` for every set of split points that share code:
//! 38 files for six split points, many of them under 500 B, each a request of its own and each
//! compressed alone. A page only ever needs whole widgets, and a lazy part (the review form,
//! a redemption) only ever comes after its own widget, so what matters about a chunk is which
//! *widgets* need it. The chunks are grouped by that set: those that one widget alone needs
//! go into that widget's own file with its part, the others into `shared_{widgets}.wasm`
//! (`shared_loyalty-reviews.wasm`). No page downloads a byte more than before, and every page
//! fewer requests and fewer bytes (ARCHITECTURE.md has the figures).
//!
//! A packed file is a valid WebAssembly module made of custom sections only, one per part, so
//! it is served and compressed like the others; the link file fetches it once and instantiates
//! each part from its bytes.

use std::collections::BTreeMap;
use std::path::Path;

use crate::Result;

/// Lazy parts and the widget each comes with: a chunk that both need is that widget's.
const LAZY: &[(&str, &str)] = &[("review_form", "reviews"), ("redemption", "loyalty")];

/// The packs to make: file stem → the parts in it, in order.
type Plan = BTreeMap<String, Vec<String>>;

/// The packs for the link file `link` (as wasm-split wrote it: each chunk's loader follows a
/// comment naming the split points that use it); `exists` says whether a part's file is there.
fn plan(link: &str, exists: impl Fn(&str) -> bool) -> Result<Plan> {
    let mut plan = Plan::new();
    let lines: Vec<&str> = link.lines().collect();
    for pair in lines.windows(2) {
        let Some(chunk) = pair[1].strip_prefix("const __chunk_").and_then(|r| r.split_once(' '))
        else {
            continue;
        };
        let users = pair[0]
            .strip_prefix("/* ")
            .and_then(|c| c.strip_suffix(" */"))
            .ok_or_else(|| format!("the link file names no users for __chunk_{}", chunk.0))?;
        let users: Vec<&str> = users.split(", ").collect();
        let mut widgets: Vec<&str> = users
            .iter()
            .copied()
            .filter(|u| !LAZY.iter().any(|(lazy, owner)| u == lazy && users.contains(owner)))
            .collect();
        widgets.sort_unstable();
        let stem = match widgets[..] {
            [one] if exists(&format!("split_{one}")) => format!("split_{one}"),
            _ => format!("shared_{}", widgets.join("-")),
        };
        let members = plan.entry(stem.clone()).or_default();
        if members.is_empty() && stem.starts_with("split_") {
            members.push(stem);
        }
        members.push(format!("chunk_{}", chunk.0));
    }
    if plan.is_empty() {
        return Err("the link file has no chunk loaders: has wasm-split's output changed?".into());
    }
    Ok(plan)
}

/// What wasm-split's link file fetches a part with.
fn fetcher(part: &str) -> String {
    format!(
        "() => {{\n    const src = fetch(new URL(\"./{part}.wasm\", import.meta.url));\n    src.catch(() => {{}});\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}}\n"
    )
}

/// Fetches a packed file once (again after a failure) and instantiates one part from its bytes.
const PACKED: &str = r#"
const __packs = new Map();
function __packed(path, at, length) {
    return () => {
        let pack = __packs.get(path);
        if (!pack) {
            pack = fetch(new URL(path, import.meta.url)).then((res) => {
                if (!res.ok) throw new Error(`${res.url}: HTTP ${res.status}`);
                return res.arrayBuffer();
            });
            __packs.set(path, pack);
            pack.catch(() => {
                if (__packs.get(path) === pack) __packs.delete(path);
            });
        }
        return async (imports) => WebAssembly.instantiate(new Uint8Array(await pack, at, length), imports);
    };
}
"#;

/// The link file with every packed part fetched from its pack; `packs` gives each pack's
/// parts with the offset and length of their bytes.
fn rewrite(link: &str, packs: &BTreeMap<String, Vec<(String, usize, usize)>>) -> Result<String> {
    let mut out = link.to_owned();
    for (stem, parts) in packs {
        for (part, at, len) in parts {
            let from = fetcher(part);
            if out.matches(&from).count() != 1 {
                return Err(format!("the link file's loader of {part} is not as expected"));
            }
            out = out.replace(&from, &format!("__packed(\"./{stem}.wasm\", {at}, {len})"));
        }
    }
    out.push_str(PACKED);
    Ok(out)
}

/// A module of custom sections, one per part (named after it), and where each part's bytes are.
fn packed(parts: &[(String, Vec<u8>)]) -> (Vec<u8>, Vec<(String, usize, usize)>) {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    let mut at = Vec::new();
    for (name, bytes) in parts {
        let mut body = Vec::new();
        crate::build::put_leb128(&mut body, name.len() as u32);
        body.extend(name.as_bytes());
        out.push(0);
        crate::build::put_leb128(&mut out, (body.len() + bytes.len()) as u32);
        out.extend(body);
        at.push((name.clone(), out.len(), bytes.len()));
        out.extend(bytes);
    }
    (out, at)
}

/// Packs the parts in `dir` and rewrites its link file `__wasm_split.js` to match.
pub fn pack(dir: &Path) -> Result<()> {
    let link_path = dir.join("__wasm_split.js");
    let link = std::fs::read_to_string(&link_path).map_err(|e| e.to_string())?;
    let plan = plan(&link, |part| dir.join(format!("{part}.wasm")).is_file())?;
    let mut packs = BTreeMap::new();
    for (stem, members) in plan {
        let mut parts = Vec::new();
        for m in &members {
            let path = dir.join(format!("{m}.wasm"));
            parts.push((m.clone(), std::fs::read(&path).map_err(|e| format!("{m}: {e}"))?));
            std::fs::remove_file(&path).map_err(|e| e.to_string())?;
        }
        let (bytes, at) = packed(&parts);
        std::fs::write(dir.join(format!("{stem}.wasm")), bytes).map_err(|e| e.to_string())?;
        packs.insert(stem, at);
    }
    std::fs::write(&link_path, rewrite(&link, &packs)?).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> String {
        let mut text = String::new();
        for (n, users) in [
            (7, "loyalty, recommendations"),
            (8, "loyalty, redemption"),
            (9, "redemption, review_form, reviews"),
            (10, "redemption, review_form"),
            (11, "recommendations, reviews"),
        ] {
            text += &format!(
                "/* {users} */\nconst __chunk_{n} = makeLoad({}, []);\n",
                fetcher(&format!("chunk_{n}"))
            );
        }
        text += &format!("export const __wasm_split_load_loyalty = wrapAsyncCb(makeLoad({}, [__chunk_7, __chunk_8]));\n", fetcher("split_loyalty"));
        text
    }

    #[test]
    fn chunks_go_with_the_widgets_that_need_them() {
        let packs = plan(&link(), |part| part != "split_recommendations").unwrap();
        let stems: Vec<&str> = packs.keys().map(String::as_str).collect();
        assert_eq!(
            stems,
            [
                "shared_loyalty-recommendations",
                "shared_recommendations-reviews",
                "shared_redemption-review_form",
                "shared_redemption-reviews",
                "split_loyalty",
            ]
        );
        // A chunk only loyalty and its redemption need goes with loyalty's own part.
        assert_eq!(packs["split_loyalty"], ["split_loyalty", "chunk_8"]);
        assert!(plan(&link().replace("/* ", "// "), |_| true).is_err());
        assert!(plan("export const x = 1;", |_| true).is_err());
    }

    #[test]
    fn a_pack_is_a_module_and_each_part_is_found_in_it() {
        let parts = vec![("a".to_owned(), vec![1, 2, 3]), ("bb".to_owned(), vec![9; 200])];
        let (bytes, at) = packed(&parts);
        assert_eq!(&bytes[..8], b"\0asm\x01\0\0\0");
        for ((_, content), (_, offset, len)) in parts.iter().zip(&at) {
            assert_eq!(&bytes[*offset..offset + len], &content[..]);
        }
        // Every byte after the header is in a custom section: the sections chain to the end.
        let without = crate::build::without_custom_sections(&bytes, &["a", "bb"]).unwrap();
        assert_eq!(without, b"\0asm\x01\0\0\0");
    }

    #[test]
    fn the_link_file_fetches_packed_parts_from_their_pack() {
        let mut packs = BTreeMap::new();
        packs.insert(
            "split_loyalty".to_owned(),
            vec![("split_loyalty".into(), 40, 100), ("chunk_8".into(), 150, 20)],
        );
        let out = rewrite(&link(), &packs).unwrap();
        assert!(
            out.contains("__chunk_8 = makeLoad(__packed(\"./split_loyalty.wasm\", 150, 20), [])")
        );
        assert!(out.contains(
            "makeLoad(__packed(\"./split_loyalty.wasm\", 40, 100), [__chunk_7, __chunk_8])"
        ));
        assert!(out.contains(&fetcher("chunk_7")), "parts not packed are fetched as before");
        assert!(out.ends_with(PACKED));
        packs.insert("shared_x".to_owned(), vec![("chunk_99".into(), 0, 1)]);
        assert!(rewrite(&link(), &packs).is_err(), "a part the link file lacks fails");
    }
}
