//! `cargo xtask build`: the widgets into `dist/` (served as Workers static assets) and the
//! Worker into `edge/build/`, both in release mode. Steps whose inputs have not changed are
//! skipped, so `wrangler dev`, which runs this as its build command, starts quickly.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use rapport_shared::secrets::sha256_hex;

use crate::proc::run;
use crate::setup::Tools;
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
    worker(tools)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, data: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, data).map_err(|e| format!("{}: {e}", path.display()))
}

/// The newest modification time of any file under `paths`.
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

/// The widget modules: each widget kind alone, and one with every kind (cargo features of the
/// widgets crate). The loader loads the one that holds every kind on the page.
pub const MODULES: &[(&str, &str)] =
    &[("reviews", "client,reviews"), ("loyalty", "client,loyalty"), ("all", "client,reviews,loyalty")];

/// One module's published files.
pub struct ModuleFiles {
    pub name: &'static str,
    pub glue: PathBuf,
    pub wasm: PathBuf,
}

/// The names the widget files are published under. Hashed names can be cached forever; only the
/// loader, whose URL merchants paste, keeps a fixed name and a short cache life.
pub struct WidgetFiles {
    pub loader: PathBuf,
    pub modules: Vec<ModuleFiles>,
    /// The minified CSS, inlined into the loader; kept for size reports.
    pub css: PathBuf,
}

pub fn widget_files() -> Result<WidgetFiles> {
    let dist = root().join("dist");
    let names: Vec<PathBuf> = std::fs::read_dir(&dist)
        .map_err(|e| format!("{}: {e} (run `cargo xtask build`)", dist.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    let find = |module: &str, suffix: &str| -> Result<PathBuf> {
        let prefix = format!("rapport-{module}.");
        names
            .iter()
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(suffix))
            })
            .cloned()
            .ok_or_else(|| format!("no {module} {suffix} file in dist/ (run `cargo xtask build`)"))
    };
    let modules = MODULES
        .iter()
        .map(|(name, _)| {
            Ok(ModuleFiles { name, glue: find(name, ".js")?, wasm: find(name, ".wasm")? })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(WidgetFiles {
        loader: dist.join("rapport.js"),
        modules,
        css: root().join("target/widgets/rapport.min.css"),
    })
}

fn widgets(tools: &Tools) -> Result<()> {
    let root = root();
    let loader_dir = root.join("widgets/loader");
    let out = root.join("target/widgets");
    let dist = root.join("dist");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&dist).map_err(|e| e.to_string())?;

    // Each module is compiled to the same path (cargo names a cdylib without its feature hash,
    // so switching features relinks), so each is kept aside, and compiled again only when a
    // source is newer than the copy kept.
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
    let newest_source = newest(&sources);
    let mut inputs = Vec::new();
    for (name, features) in MODULES {
        let kept = out.join(format!("{name}.in.wasm"));
        let kept_at = std::fs::metadata(&kept).and_then(|m| m.modified()).ok();
        if kept_at.is_none() || kept_at < newest_source {
            run(Command::new("cargo")
                .args(["build", "--quiet", "--release", "--package", "rapport-widgets"])
                .args(["--target", "wasm32-unknown-unknown", "--no-default-features"])
                .args(["--features", features])
                .current_dir(&root))?;
            write(&kept, read(&compiled)?)?;
        }
        inputs.extend(read(&kept)?);
    }

    // Skip the rest when the compiled modules, the loader and the styles are all unchanged.
    inputs.extend(read(&loader_dir.join("rapport.js"))?);
    inputs.extend(read(&loader_dir.join("rapport.css"))?);
    // A change to this pipeline is a change of input too.
    inputs.extend(include_bytes!("build.rs"));
    let stamp = sha256_hex(&inputs);
    let stamp_file = out.join("stamp");
    if std::fs::read_to_string(&stamp_file).ok().as_deref() == Some(stamp.as_str())
        && widget_files().is_ok()
    {
        return Ok(());
    }
    println!("xtask: building the widgets");

    for entry in std::fs::read_dir(&dist).map_err(|e| e.to_string())?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("rapport-") && (name.ends_with(".js") || name.ends_with(".wasm")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let mut published = serde_json::Map::new();
    for (name, _) in MODULES {
        let dir = out.join(name);
        run(Command::new(&tools.wasm_bindgen)
            .args(["--target", "web", "--no-typescript", "--out-name", name])
            .args(["--remove-name-section", "--remove-producers-section", "--out-dir"])
            .arg(&dir)
            .arg(out.join(format!("{name}.in.wasm"))))?;
        let optimized = dir.join("opt.wasm");
        run(Command::new(tools.npm_tool("wasm-opt"))
            .arg("-Oz")
            .args(WASM_FEATURES)
            .arg(dir.join(format!("{name}_bg.wasm")))
            .arg("-o")
            .arg(&optimized))?;
        let glue_min = dir.join("min.js");
        run(Command::new(tools.npm_tool("esbuild"))
            .arg(dir.join(format!("{name}.js")))
            .args(["--minify", "--format=esm", "--log-level=warning"])
            .arg(format!("--outfile={}", glue_min.display())))?;
        let wasm = read(&optimized)?;
        let glue = read(&glue_min)?;
        let wasm_name = format!("rapport-{name}.{}.wasm", &sha256_hex(&wasm)[..12]);
        let glue_name = format!("rapport-{name}.{}.js", &sha256_hex(&glue)[..12]);
        write(&dist.join(&wasm_name), &wasm)?;
        write(&dist.join(&glue_name), &glue)?;
        published.insert(
            (*name).to_owned(),
            serde_json::json!([format!("./{glue_name}"), format!("./{wasm_name}")]),
        );
    }

    let css_min = out.join("rapport.min.css");
    run(Command::new(tools.npm_tool("esbuild"))
        .arg(loader_dir.join("rapport.css"))
        .args(["--minify", "--log-level=warning"])
        .arg(format!("--outfile={}", css_min.display())))?;
    let css = String::from_utf8_lossy(&read(&css_min)?).trim().to_owned();
    let css = serde_json::to_string(&css).expect("strings serialise");
    let modules = serde_json::Value::Object(published).to_string();
    run(Command::new(tools.npm_tool("esbuild"))
        .arg(loader_dir.join("rapport.js"))
        .args(["--minify", "--format=esm", "--target=es2020", "--log-level=warning"])
        // The loader's own element properties (`box_`, `mount_`, ...): short names, one file.
        .arg("--mangle-props=_$")
        .arg(format!("--define:__RAPPORT_CSS__={css}"))
        .arg(format!("--define:__RAPPORT_MODULES__={modules}"))
        .arg(format!("--outfile={}", dist.join("rapport.js").display())))?;
    write(&dist.join("_headers"), HEADERS)?;
    write(&stamp_file, stamp)
}

/// Static-asset headers. Module scripts and WebAssembly load with CORS, and storefronts are on
/// other origins than the Worker.
const HEADERS: &str = "\
/rapport.js
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=300
/rapport-reviews.*
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=31536000, immutable
/rapport-loyalty.*
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=31536000, immutable
/rapport-all.*
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
        .env("ESBUILD_BIN", tools.npm_tool("esbuild")))
}
