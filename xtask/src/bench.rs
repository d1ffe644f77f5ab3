//! `cargo xtask bench`: what Rapport costs a shopper's page and a merchant's Worker.
//!
//! Prints raw, gzip (-9) and brotli (-q 11) bytes of each widget file and of the Worker, and
//! writes the same figures to `target/bench/sizes.json` for comparison between changes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::build::{self, widget_files};
use crate::{root, setup, Result};

struct Size {
    raw: usize,
    gzip: usize,
    brotli: usize,
}

fn compressed_len(program: &str, args: &[&str], data: &[u8]) -> Result<usize> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let data = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{program}: {e}"))?;
    let _ = writer.join();
    Ok(out.stdout.len())
}

fn size_of(path: &Path) -> Result<Size> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Size {
        raw: data.len(),
        gzip: compressed_len("gzip", &["-9", "-c"], &data)?,
        brotli: compressed_len("brotli", &["-q", "11", "-c"], &data)?,
    })
}

pub fn run() -> Result<()> {
    let tools = setup::all()?;
    build::all(&tools)?;
    let files = widget_files()?;
    let rows = [
        ("loader rapport.js (incl. CSS)", files.loader.clone()),
        ("  of which CSS", files.css.clone()),
        ("widget glue JS", files.glue.clone()),
        ("widget WebAssembly", files.wasm.clone()),
        (
            "Worker WebAssembly",
            root().join("edge/build/index_bg.wasm"),
        ),
        ("Worker JS", root().join("edge/build/index.js")),
    ];
    let mut report = serde_json::Map::new();
    println!(
        "\n{:<32} {:>10} {:>10} {:>10}",
        "file", "raw B", "gzip B", "brotli B"
    );
    let mut total = Size {
        raw: 0,
        gzip: 0,
        brotli: 0,
    };
    for (i, (name, path)) in rows.iter().enumerate() {
        let s = size_of(path)?;
        println!("{name:<32} {:>10} {:>10} {:>10}", s.raw, s.gzip, s.brotli);
        // What a shopper downloads: loader, glue and WebAssembly (the CSS is inside the loader).
        if [0, 2, 3].contains(&i) {
            total.raw += s.raw;
            total.gzip += s.gzip;
            total.brotli += s.brotli;
        }
        report.insert(
            name.trim().to_owned(),
            json!({ "raw": s.raw, "gzip": s.gzip, "brotli": s.brotli }),
        );
        if i == 3 {
            println!(
                "{:<32} {:>10} {:>10} {:>10}",
                "= shopper payload, reviews", total.raw, total.gzip, total.brotli
            );
            report.insert(
                "shopper payload".into(),
                json!({ "raw": total.raw, "gzip": total.gzip, "brotli": total.brotli }),
            );
        }
    }
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let out = dir.join("sizes.json");
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    )
    .map_err(|e| format!("{}: {e}", out.display()))?;
    println!("\n(written to {})", out.display());
    Ok(())
}
