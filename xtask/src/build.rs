//! `cargo xtask build`: the widgets into `dist/` (served as Workers static assets) and the
//! Worker into `edge/build/`, both in release mode. Steps whose inputs have not changed are
//! skipped, so `wrangler dev`, which runs this as its build command, starts quickly. It also
//! writes `edge/build/wrangler.toml`, the configuration that runs what it built.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use rapport_shared::secrets::sha256_hex;

use crate::proc::run;
use crate::setup::{self, Tools};
use crate::{root, Result};

/// Features every browser Rapport supports has, and that rustc's wasm32 target emits.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

pub fn all(tools: &Tools) -> Result<()> {
    widgets(tools)?;
    worker(tools)?;
    run_config()
}

/// Where [`run_config`] writes the configuration that runs the built Worker.
pub fn run_config_path() -> PathBuf {
    root().join("edge/build/wrangler.toml")
}

/// `wrangler.toml` as it runs what this build made: the same bindings, without the build
/// command. `wrangler dev` with a build command builds once more when its file watcher is
/// ready and then reloads the Worker, answering a request in flight with a 503 ("Your worker
/// restarted mid-request"); the tests, the demo and the bench build first and run this one.
/// Written only when it changes, since a running `wrangler dev` reloads when its file does.
fn run_config() -> Result<()> {
    let source = root().join("wrangler.toml");
    let text = String::from_utf8(read(&source)?).map_err(|e| format!("wrangler.toml: {e}"))?;
    let config = runnable(&text)?;
    let path = run_config_path();
    if std::fs::read_to_string(&path).ok().as_deref() != Some(config.as_str()) {
        write(&path, config)?;
    }
    Ok(())
}

/// `text` (the project's wrangler.toml) without its `[build]` table, with the paths it names
/// made relative to `edge/build/`.
fn runnable(text: &str) -> Result<String> {
    let mut out = String::from(
        "# Made by `cargo xtask build` from the project's wrangler.toml: do not edit.\n",
    );
    let (mut in_build, mut main, mut assets) = (false, false, false);
    let mut table = "";
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            table = trimmed;
            in_build = trimmed == "[build]";
        }
        if in_build {
            continue;
        }
        let key = trimmed.split('=').next().unwrap_or("").trim();
        if table.is_empty() && key == "main" {
            out.push_str("main = \"index.js\"\n");
            main = true;
        } else if table == "[assets]" && key == "directory" {
            out.push_str("directory = \"../../dist\"\n");
            assets = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !(main && assets) {
        return Err("wrangler.toml: expected `main` and `[assets] directory`".into());
    }
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, data: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, data).map_err(|e| format!("{}: {e}", path.display()))
}

/// The newest modification time of any file under `paths`.
/// The names of the files in `dir`.
fn file_names(dir: &Path) -> Result<Vec<String>> {
    Ok(std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect())
}

fn newest(paths: &[PathBuf]) -> Option<SystemTime> {
    let mut newest = None;
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&p) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else if let Ok(m) = meta.modified() {
            newest = newest.max(Some(m));
        }
    }
    newest
}

/// The browser build's cargo features: every widget kind, in one module that wasm-split cuts
/// into parts.
const CLIENT_FEATURES: &str = "client,reviews,loyalty,referral,recommendations";

/// The glue's name: wasm-bindgen writes `widgets.js` and `widgets_bg.wasm`, and the split's
/// link file imports `./widgets.js`.
const GLUE: &str = "widgets";

/// The names the widget files are published under. The module's parts sit together in one
/// directory named by the hash of all of them (they only work with each other), so they can
/// be cached forever; only the loader, whose URL merchants paste, keeps a fixed name and a
/// short cache life.
pub struct WidgetFiles {
    pub loader: PathBuf,
    /// `dist/w/{hash}/`: `widgets.js` (wasm-bindgen's glue), `widgets_bg.wasm` (the main
    /// part), `__wasm_split.js` (which fetches the other parts), `split_{widget}.wasm` (each
    /// widget's own code, with the code only it needs), `shared_{widgets}.wasm` (code those
    /// widgets share; see `pack.rs`) and `rapport.css` (the widgets' styles).
    pub module: PathBuf,
    /// The minified frame CSS, inlined into the loader; kept for size reports.
    pub css: PathBuf,
}

impl WidgetFiles {
    /// The module's files, by name.
    pub fn parts(&self) -> Result<Vec<(String, PathBuf)>> {
        let mut parts: Vec<(String, PathBuf)> = std::fs::read_dir(&self.module)
            .map_err(|e| format!("{}: {e}", self.module.display()))?
            .flatten()
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
            .collect();
        parts.sort();
        Ok(parts)
    }
}

pub fn widget_files() -> Result<WidgetFiles> {
    let dist = root().join("dist");
    let current = root().join("target/widgets/current");
    let published = std::fs::read_to_string(&current)
        .map_err(|e| format!("{}: {e} (run `cargo xtask build`)", current.display()))?;
    Ok(WidgetFiles {
        loader: dist.join("rapport.js"),
        module: dist.join("w").join(published.trim()),
        css: root().join("target/widgets/frame.min.css"),
    })
}

fn widgets(tools: &Tools) -> Result<()> {
    let root = root();
    let loader_dir = root.join("widgets/loader");
    let out = root.join("target/widgets");
    let dist = root.join("dist");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&dist).map_err(|e| e.to_string())?;

    // Compiled again only when a source is newer than the copy kept.
    let compiled = root.join("target/wasm32-unknown-unknown/release/rapport_widgets.wasm");
    let sources = [
        "widgets/src",
        "widgets/Cargo.toml",
        "shared/src",
        "shared/Cargo.toml",
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
    ]
    .map(|p| root.join(p));
    let kept = out.join("widgets.in.wasm");
    let kept_at = std::fs::metadata(&kept).and_then(|m| m.modified()).ok();
    if kept_at.is_none() || kept_at < newest(&sources) {
        // The pinned nightly rebuilds the standard library for size, with panics as a bare
        // trap (no formatting, no locations): about a tenth less WebAssembly (ARCHITECTURE.md).
        // wasm-split reads the linker's relocations to cut the module; only this crate's link
        // step needs them, so that flag goes to it alone.
        run(Command::new("cargo")
            .arg(format!("+{}", setup::WIDGETS_NIGHTLY))
            .args(["rustc", "--quiet", "--release", "--package", "rapport-widgets", "--lib"])
            .args(["--crate-type", "cdylib"])
            .args(["--target", "wasm32-unknown-unknown", "--no-default-features"])
            .args(["--features", CLIENT_FEATURES])
            .args(["-Zbuild-std=std,panic_abort", "-Zbuild-std-features=optimize_for_size"])
            .args(["--", "-Clink-arg=--emit-relocs"])
            .env("RUSTFLAGS", "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none")
            .current_dir(&root))?;
        write(&kept, read(&compiled)?)?;
    }
    let mut inputs = read(&kept)?;

    // Skip the rest when the compiled module, the loader and the styles are all unchanged.
    inputs.extend(read(&loader_dir.join("rapport.js"))?);
    inputs.extend(read(&loader_dir.join("rapport.css"))?);
    inputs.extend(read(&loader_dir.join("frame.css"))?);
    inputs.extend(read(&loader_dir.join("welcome.js"))?);
    inputs.extend(read(&loader_dir.join("stars.js"))?);
    // A change to this pipeline is a change of input too.
    inputs.extend(include_bytes!("build.rs"));
    let stamp = sha256_hex(&inputs);
    let stamp_file = out.join("stamp");
    if std::fs::read_to_string(&stamp_file).ok().as_deref() == Some(stamp.as_str())
        && widget_files().is_ok_and(|f| f.module.is_dir())
    {
        return Ok(());
    }
    println!("xtask: building the widgets");

    // Cut the module into its parts, then bind and shrink each.
    let split = out.join("split");
    let _ = std::fs::remove_dir_all(&split);
    std::fs::create_dir_all(&split).map_err(|e| e.to_string())?;
    run(Command::new(&tools.wasm_split).arg(&kept).arg(&split).args([
        "--target",
        "web",
        "--out-name",
        GLUE,
    ]))?;
    let staged = out.join("staged");
    let _ = std::fs::remove_dir_all(&staged);
    std::fs::create_dir_all(&staged).map_err(|e| e.to_string())?;
    run(Command::new(&tools.wasm_bindgen)
        .args(["--target", "web", "--no-typescript", "--out-name", GLUE])
        // The other parts call into the main part through the exports the linker made.
        .args(["--keep-lld-exports", "--remove-name-section", "--remove-producers-section"])
        .arg("--out-dir")
        .arg(&staged)
        .arg(split.join(format!("{GLUE}.wasm"))))?;
    // The other parts and the link file, as the splitter wrote them; the main part is bound.
    for entry in std::fs::read_dir(&split).map_err(|e| e.to_string())?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != format!("{GLUE}.wasm") {
            std::fs::copy(entry.path(), staged.join(&name)).map_err(|e| e.to_string())?;
        }
    }
    let parts = file_names(&staged)?;
    for name in parts.iter().filter(|n| n.ends_with(".wasm")) {
        let path = staged.join(name);
        let mut opt = Command::new(tools.npm_tool("wasm-opt"));
        if *name == format!("{GLUE}_bg.wasm") {
            // Leptos always links a server-function client whose stream adapters are exported
            // classes; nothing here uses them, and their code would stay in the main part for
            // every shopper.
            opt.args(["--remove-exports", "--pass-arg=remove-exports@*intounderlying*"]);
        }
        run(opt.arg("-Oz").args(WASM_FEATURES).arg(&path).arg("-o").arg(&path))?;
        // Which toolchain made a part and which features it was built with: read by no
        // browser, and about 100 B of every part once compressed.
        write(&path, without_custom_sections(&read(&path)?, &["producers", "target_features"])?)?;
    }
    // Then the chunks go with the widgets that need them, fewer and larger files.
    crate::pack::pack(&staged)?;
    let mut parts = file_names(&staged)?;
    // wasm-bindgen names each JavaScript import with a hash (`__wbg_value_df0a0e29a4d182fe`), in
    // the main part and again in the glue: random text that does not compress.
    let main = staged.join(format!("{GLUE}_bg.wasm"));
    let glue = staged.join(format!("{GLUE}.js"));
    let (wasm, renamed) = short_import_names(&read(&main)?, &format!("./{GLUE}_bg.js"))?;
    write(&main, wasm)?;
    write(&glue, rename_keys(&String::from_utf8_lossy(&read(&glue)?), &renamed)?)?;
    for name in parts.iter().filter(|n| n.ends_with(".js")) {
        let path = staged.join(name);
        run(Command::new(tools.npm_tool("esbuild"))
            .arg(&path)
            .args(["--minify", "--format=esm", "--log-level=warning", "--allow-overwrite"])
            .arg(format!("--outfile={}", path.display())))?;
    }
    // The widgets' styles sit with the module (cached for good); only the frame goes into the
    // loader.
    run(Command::new(tools.npm_tool("esbuild"))
        .arg(loader_dir.join("rapport.css"))
        .args(["--minify", "--log-level=warning"])
        .arg(format!("--outfile={}", staged.join("rapport.css").display())))?;
    parts.push("rapport.css".into());
    parts.sort();
    let mut all = Vec::new();
    for name in &parts {
        all.extend(name.as_bytes());
        all.extend(read(&staged.join(name))?);
    }
    let hash = sha256_hex(&all)[..12].to_owned();
    let published = dist.join("w");
    let _ = std::fs::remove_dir_all(&published);
    std::fs::create_dir_all(&published).map_err(|e| e.to_string())?;
    std::fs::rename(&staged, published.join(&hash)).map_err(|e| e.to_string())?;
    write(&out.join("current"), &hash)?;

    let css_min = out.join("frame.min.css");
    run(Command::new(tools.npm_tool("esbuild"))
        .arg(loader_dir.join("frame.css"))
        .args(["--minify", "--log-level=warning"])
        .arg(format!("--outfile={}", css_min.display())))?;
    let css = String::from_utf8_lossy(&read(&css_min)?).trim().to_owned();
    let css = serde_json::to_string(&css).expect("strings serialise");
    let module =
        serde_json::to_string(&format!("./w/{hash}/{GLUE}.js")).expect("strings serialise");
    let styles =
        serde_json::to_string(&format!("./w/{hash}/rapport.css")).expect("strings serialise");
    run(Command::new(tools.npm_tool("esbuild"))
        .arg(loader_dir.join("rapport.js"))
        .args(["--minify", "--format=esm", "--target=es2020", "--log-level=warning"])
        // The loader's own element properties (`box_`, `mount_`, ...): short names, one file.
        .arg("--mangle-props=_$")
        .arg(format!("--define:__RAPPORT_CSS__={css}"))
        .arg(format!("--define:__RAPPORT_MODULE__={module}"))
        .arg(format!("--define:__RAPPORT_STYLES__={styles}"))
        .arg("--define:__RAPPORT_WELCOME__=\"./welcome.js\"")
        .arg("--define:__RAPPORT_STARS__=\"./stars.js\"")
        .arg(format!("--outfile={}", dist.join("rapport.js").display())))?;
    // The welcome banner, imported by the loader only on a referral arrival, and the star
    // badges, only on a page that has them.
    for name in ["welcome.js", "stars.js"] {
        run(Command::new(tools.npm_tool("esbuild"))
            .arg(loader_dir.join(name))
            .args(["--minify", "--format=esm", "--target=es2020", "--log-level=warning"])
            .arg(format!("--outfile={}", dist.join(name).display())))?;
    }
    // Files of earlier layouts.
    for entry in std::fs::read_dir(&dist).map_err(|e| e.to_string())?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("rapport-") && (name.ends_with(".js") || name.ends_with(".wasm")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    write(&dist.join("_headers"), HEADERS)?;
    write(&stamp_file, stamp)
}

fn leb128(data: &[u8], at: &mut usize) -> Result<u32> {
    let (mut value, mut shift) = (0u32, 0);
    loop {
        let byte = *data.get(*at).ok_or("truncated WebAssembly")?;
        *at += 1;
        value |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
        if shift > 28 {
            return Err("bad LEB128 in WebAssembly".into());
        }
    }
}

pub(crate) fn put_leb128(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The module without its custom sections called `names` (e.g. `name`, the function names
/// only a debugger reads); every other section as it was.
pub(crate) fn without_custom_sections(wasm: &[u8], names: &[&str]) -> Result<Vec<u8>> {
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        return Err("not a WebAssembly module".into());
    }
    let mut out = wasm[..8].to_vec();
    let mut at = 8;
    while at < wasm.len() {
        let start = at;
        let id = wasm[at];
        at += 1;
        let len = leb128(wasm, &mut at)? as usize;
        let end = at.checked_add(len).filter(|e| *e <= wasm.len()).ok_or("truncated section")?;
        let dropped = id == 0 && {
            let mut name_at = at;
            let name_len = leb128(wasm, &mut name_at)? as usize;
            let name = wasm.get(name_at..name_at + name_len).ok_or("truncated section name")?;
            names.iter().any(|n| n.as_bytes() == name)
        };
        if !dropped {
            out.extend_from_slice(&wasm[start..end]);
        }
        at = end;
    }
    Ok(out)
}

/// Import names, old to new.
type Renames = Vec<(String, String)>;

/// The module with every import from `module` renamed to a short name (`a0`, `a1`, …), and the
/// names it replaced. Only the import section changes.
fn short_import_names(wasm: &[u8], module: &str) -> Result<(Vec<u8>, Renames)> {
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        return Err("not a WebAssembly module".into());
    }
    let mut out = wasm[..8].to_vec();
    let mut renamed = Vec::new();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb128(wasm, &mut at)? as usize;
        let end = at + size;
        let section = wasm.get(at..end).ok_or("truncated WebAssembly section")?;
        if id != 2 {
            out.push(id);
            put_leb128(&mut out, size as u32);
            out.extend(section);
            at = end;
            continue;
        }
        let mut p = 0;
        let count = leb128(section, &mut p)?;
        let mut body = Vec::new();
        put_leb128(&mut body, count);
        for _ in 0..count {
            let name = |p: &mut usize| -> Result<String> {
                let len = leb128(section, p)? as usize;
                let text = section.get(*p..*p + len).ok_or("truncated import name")?;
                *p += len;
                Ok(String::from_utf8_lossy(text).into_owned())
            };
            let from = name(&mut p)?;
            let field = name(&mut p)?;
            let start = p;
            let kind = *section.get(p).ok_or("truncated import")?;
            p += 1;
            match kind {
                0 => {
                    leb128(section, &mut p)?;
                }
                1 | 2 => {
                    if kind == 1 {
                        p += 1; // reference type
                    }
                    let flags = leb128(section, &mut p)?;
                    leb128(section, &mut p)?;
                    if flags & 1 == 1 {
                        leb128(section, &mut p)?;
                    }
                }
                3 => p += 2,
                4 => {
                    p += 1;
                    leb128(section, &mut p)?;
                }
                other => return Err(format!("unknown import kind {other}")),
            }
            let field = if from == module {
                let short = format!("a{}", renamed.len());
                renamed.push((field, short.clone()));
                short
            } else {
                field
            };
            for text in [&from, &field] {
                put_leb128(&mut body, text.len() as u32);
                body.extend(text.as_bytes());
            }
            body.extend(&section[start..p]);
        }
        out.push(2);
        put_leb128(&mut out, body.len() as u32);
        out.extend(body);
        at = end;
    }
    Ok((out, renamed))
}

/// The glue with each import's key renamed; every old name must be there exactly once, as a
/// whole word, or the glue is not what this step expects.
fn rename_keys(glue: &str, renamed: &[(String, String)]) -> Result<String> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = glue.to_owned();
    for (old, new) in renamed {
        let found: Vec<usize> = out
            .match_indices(old.as_str())
            .filter(|(i, _)| {
                let before = out[..*i].chars().next_back().is_none_or(|c| !word(c));
                let after = out[i + old.len()..].chars().next().is_none_or(|c| !word(c));
                before && after
            })
            .map(|(i, _)| i)
            .collect();
        let [i] = found[..] else {
            return Err(format!("the glue names the import {old} {} times, not once", found.len()));
        };
        out.replace_range(i..i + old.len(), new);
    }
    Ok(out)
}

/// Static-asset headers. Module scripts and WebAssembly load with CORS, and storefronts are on
/// other origins than the Worker.
const HEADERS: &str = "\
/rapport.js
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=300
/welcome.js
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=300
/stars.js
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=300
/w/*
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=31536000, immutable
";

fn worker(tools: &Tools) -> Result<()> {
    let root = root();
    let output = root.join("edge/build/index_bg.wasm");
    let sources = [
        "edge/src",
        "edge/Cargo.toml",
        // The Worker renders the widgets' first views with their components and styles.
        "widgets/src",
        "widgets/Cargo.toml",
        "widgets/loader/frame.css",
        "widgets/loader/rapport.css",
        "shared/src",
        "shared/Cargo.toml",
        "Cargo.toml",
        "Cargo.lock",
    ]
    .map(|p| root.join(p));
    let built = std::fs::metadata(&output).and_then(|m| m.modified()).ok();
    if built.is_some() && built >= newest(&sources) {
        return Ok(());
    }
    println!("xtask: building the Worker");
    run(Command::new(&tools.worker_build)
        .arg("--release")
        .current_dir(root.join("edge"))
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env("WASM_BINDGEN_BIN", &tools.wasm_bindgen)
        .env("WASM_OPT_BIN", tools.npm_tool("wasm-opt"))
        .env("ESBUILD_BIN", tools.npm_tool("esbuild")))?;
    // The function names are a fifth of the module once compressed and serve only a debugger:
    // a panic's message and place still reach the log (see ARCHITECTURE.md, "Worker size").
    let wasm = read(&output)?;
    write(&output, without_custom_sections(&wasm, &["name"])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module that imports `f` from "./g.js" and `memory` from "env".
    fn module() -> Vec<u8> {
        let mut imports = vec![2];
        for (from, field, desc) in
            [("./g.js", "__wbg_f_0123456789abcdef", &[0u8, 0][..]), ("env", "memory", &[2, 0, 1])]
        {
            imports.push(from.len() as u8);
            imports.extend(from.as_bytes());
            imports.push(field.len() as u8);
            imports.extend(field.as_bytes());
            imports.extend(desc);
        }
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend([1, 4, 1, 0x60, 0, 0]); // a type section: one `() -> ()`
        wasm.push(2);
        wasm.push(imports.len() as u8);
        wasm.extend(imports);
        wasm
    }

    #[test]
    fn the_run_config_is_the_project_config_without_its_build() {
        let project = std::fs::read_to_string(root().join("wrangler.toml")).unwrap();
        let run = runnable(&project).unwrap();
        assert!(!run.contains("[build]") && !run.contains("command ="));
        assert!(run.contains("\nmain = \"index.js\"\n"));
        assert!(run.contains("[assets]\ndirectory = \"../../dist\"\n"));
        // Every binding, migration and trigger stays.
        for line in project.lines().filter(|l| l.starts_with('[') && *l != "[build]") {
            assert_eq!(run.matches(line).count(), project.matches(line).count(), "{line}");
        }
    }

    #[test]
    fn a_custom_section_goes_and_the_rest_stays() {
        let mut wasm = module();
        // A custom section "name" with two bytes of content, then one called "keep".
        wasm.extend([0, 7, 4]);
        wasm.extend(b"name\x01\x02");
        wasm.extend([0, 5, 4]);
        wasm.extend(b"keep");
        let out = without_custom_sections(&wasm, &["name"]).unwrap();
        assert_eq!(out.len(), wasm.len() - 9);
        assert!(out.ends_with(b"\x00\x05\x04keep"));
        assert_eq!(&out[..out.len() - 7], &module()[..], "every other section as it was");
        assert!(without_custom_sections(&wasm[..wasm.len() - 1], &["name"]).is_err());
    }

    #[test]
    fn import_names_shorten_and_the_glue_follows() {
        let (wasm, renamed) = short_import_names(&module(), "./g.js").unwrap();
        assert_eq!(renamed, [("__wbg_f_0123456789abcdef".to_owned(), "a0".to_owned())]);
        let again = short_import_names(&wasm, "./g.js").unwrap().1;
        assert_eq!(again, [("a0".to_owned(), "a0".to_owned())], "the section still parses");
        assert!(wasm.windows(6).any(|w| w == b"memory"), "other modules' imports are kept");
        let glue = "const i={__wbg_f_0123456789abcdef:function(){},x__wbg_f_0123456789abcdef:1};";
        let out = rename_keys(glue, &renamed).unwrap();
        assert_eq!(out, "const i={a0:function(){},x__wbg_f_0123456789abcdef:1};");
        assert!(rename_keys("const i={};", &renamed).is_err(), "a name the glue lacks fails");
    }
}
