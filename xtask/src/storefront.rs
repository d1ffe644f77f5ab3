//! Serves the demo storefront (`index.html`) the way a merchant's server would: on its own
//! origin, with the Rapport script tag pointing at the Worker and the signed-in shopper's token
//! filled in server-side.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

use crate::{root, Result};

/// The page with its placeholders filled in; `consent` is what the shopper accepted in the
/// shop's consent banner (`all`, `referral recommendations`, or nothing).
pub fn render(rapport_origin: &str, customer_token: &str, consent: &str) -> Result<String> {
    let path = root().join("index.html");
    let page = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(page
        .replace("{{RAPPORT_ORIGIN}}", rapport_origin)
        .replace("{{CUSTOMER_TOKEN}}", customer_token)
        .replace("{{CONSENT}}", consent))
}

/// The same page without the Rapport script tag: what the page costs without the widgets (their
/// elements and the space the page reserves for them stay).
pub fn without_script(page: &str) -> String {
    let Some(start) = page.find("<script type=\"module\" src=\"") else { return page.to_owned() };
    let Some(len) = page[start..].find("</script>") else { return page.to_owned() };
    format!("{}{}", &page[..start], &page[start + len + "</script>".len()..])
}

fn respond(mut stream: TcpStream, page: &str) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers; the body of a GET is empty.
    let mut line = String::new();
    while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or("/");
    let image = path
        .strip_prefix("/images/")
        .filter(|name| {
            name.ends_with(".svg")
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b))
                && !name.contains("..")
        })
        .and_then(|name| std::fs::read_to_string(root().join("xtask/demo/images").join(name)).ok());
    let without;
    let (status, kind, body) = match (path, &image) {
        // The demo catalog's product images, as the merchant's own server has them.
        (_, Some(svg)) => ("200 OK", "image/svg+xml", svg.as_str()),
        ("/" | "/index.html", _) => ("200 OK", "text/html; charset=utf-8", page),
        ("/without-rapport.html", _) => {
            without = without_script(page);
            ("200 OK", "text/html; charset=utf-8", without.as_str())
        }
        _ => ("404 Not Found", "text/plain; charset=utf-8", "not found"),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Serves until the process is stopped.
pub fn serve(listener: TcpListener, page: String) -> Result<()> {
    let page: &'static str = Box::leak(page.into_boxed_str());
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || respond(stream, page));
    }
    Ok(())
}
