//! Follow-up e-mails as RFC 5322 messages: a plain-text part and an HTML part, the one-click
//! unsubscribe of RFC 8058, and nothing that tracks the reader (no pixel, no redirect: every
//! link goes straight to the shop's own Rapport Worker, which counts the click itself).

use base64ct::{Base64, Encoding};

use super::Mailbox;
use crate::html::escape;
use crate::i18n::Strings;
use crate::time::{civil_from_unix, days_from_civil};

/// A display name as a header may carry it: plain when it is printable ASCII (quoted when it
/// holds a special character), otherwise RFC 2047 encoded words (UTF-8, base64).
pub(crate) fn phrase(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        && !text.contains("=?")
        && !text.contains(['"', '\\'])
    {
        if text.contains(|c: char| "()<>[]:;@,.".contains(c)) {
            format!("\"{text}\"")
        } else {
            text.to_owned()
        }
    } else {
        encoded_words(text)
    }
}

/// A subject as the header carries it: unstructured text, so specials stay as they are (a
/// quote would show); plain when it is printable ASCII short enough for one line, otherwise
/// encoded words.
fn unstructured(text: &str) -> String {
    let plain = text.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if plain && !text.contains("=?") && text.len() <= 68 {
        text.to_owned()
    } else {
        encoded_words(text)
    }
}

/// `text` as encoded words of at most 45 bytes each (a line of the header stays under 78).
fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    words
        .iter()
        .map(|w| format!("=?UTF-8?B?{}?=", Base64::encode_string(w.as_bytes())))
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// The RFC 5322 date of Unix seconds, in UTC: `Thu, 03 Dec 2026 15:04:05 +0000`.
pub fn date(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (year, month, day) = civil_from_unix(unix);
    let weekday = DAYS[days_from_civil(year, month, day).rem_euclid(7) as usize];
    let secs = unix.rem_euclid(86_400);
    format!(
        "{weekday}, {day:02} {} {year:04} {:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// One e-mail, ready to be written as a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub from: Mailbox,
    pub to: String,
    pub subject: String,
    /// The left part of the `Message-ID` (unique per e-mail); the sender's domain follows it.
    pub id: String,
    /// Unix seconds.
    pub date: i64,
    /// The one-click unsubscribe address (`https://`), for `List-Unsubscribe`.
    pub unsubscribe: String,
    pub text: String,
    pub html: String,
}

/// `bytes` in base64, in lines of 76 characters, each ending in CRLF.
fn base64_lines(bytes: &[u8]) -> String {
    let encoded = Base64::encode_string(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// The letter as an RFC 5322 message with CRLF line ends: headers, then a
/// `multipart/alternative` of the text and the HTML, each in base64.
pub fn message(letter: &Letter) -> String {
    let boundary = format!("rapport-{}", letter.id);
    let headers = [
        ("From", letter.from.header()),
        ("To", letter.to.clone()),
        ("Subject", unstructured(&letter.subject)),
        ("Date", date(letter.date)),
        ("Message-ID", format!("<{}@{}>", letter.id, letter.from.domain())),
        ("MIME-Version", "1.0".to_owned()),
        ("List-Unsubscribe", format!("<{}>", letter.unsubscribe)),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned()),
        ("Content-Type", format!("multipart/alternative; boundary=\"{boundary}\"")),
    ];
    let mut out = String::new();
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    for (kind, body) in [("plain", &letter.text), ("html", &letter.html)] {
        out.push_str(&format!(
            "\r\n--{boundary}\r\nContent-Type: text/{kind}; charset=utf-8\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}",
            base64_lines(body.as_bytes())
        ));
    }
    out.push_str(&format!("\r\n--{boundary}--\r\n"));
    out
}

/// A product of the order, as its review request shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub title: String,
    /// Shown only if it is a web address.
    pub image_url: Option<String>,
    /// The review page for this product; `&rating=N` (1 to 5) picks the stars.
    pub review_url: String,
}

/// The text and the HTML of a review request, in the words of `t` (`email.*` keys).
pub fn review_request(
    t: &Strings,
    shop: &str,
    items: &[Item],
    unsubscribe: &str,
) -> (String, String) {
    let intro = t.text("email.review.intro", &[("shop", shop)]);
    let why = t.text("email.why", &[("shop", shop)]);
    let leave = t.text("email.unsubscribe", &[("shop", shop)]);
    let write = t.get("email.review.write");
    let mut text = format!("{intro}\r\n\r\n");
    for item in items {
        text.push_str(&format!("{}\r\n{write}: {}\r\n\r\n", item.title, item.review_url));
    }
    text.push_str(&format!("--\r\n{why}\r\n{leave}: {unsubscribe}\r\n"));

    let mut html = html_head(t, &t.text("email.review.subject", &[("shop", shop)]), &intro);
    for item in items {
        html.push_str(
            "<div style=\"margin:24px 0;padding:16px;border:1px solid #d0d7de;border-radius:8px\">",
        );
        if let Some(src) = item.image_url.as_deref().filter(|u| u.starts_with("https://")) {
            html.push_str(&format!(
                "<img src=\"{}\" width=\"96\" height=\"96\" alt=\"\" style=\"display:block;\
                 margin-bottom:8px;border-radius:4px;object-fit:cover\">",
                escape(src)
            ));
        }
        html.push_str(&format!(
            "<p style=\"margin:0 0 8px;font-size:16px;font-weight:600\">{}</p><p style=\"margin:0\">",
            escape(&item.title)
        ));
        for n in 1..=5 {
            let label = t.text("email.review.rating", &[("count", &n.to_string())]);
            html.push_str(&format!(
                "<a href=\"{}&amp;rating={n}\" title=\"{label}\" aria-label=\"{label}\" \
                 style=\"font-size:32px;line-height:1;color:#b35900;text-decoration:none\">\u{2605}</a>",
                escape(&item.review_url),
                label = escape(&label)
            ));
        }
        html.push_str(&format!(
            "</p><p style=\"margin:8px 0 0\"><a href=\"{}\" style=\"color:#0b5cad\">{}</a></p></div>",
            escape(&item.review_url),
            escape(write)
        ));
    }
    html_foot(&mut html, &why, unsubscribe, &leave);
    (text, html)
}

/// An e-mail's HTML up to its first paragraph, `intro`.
fn html_head(t: &Strings, title: &str, intro: &str) -> String {
    let dir = if t.rtl { "rtl" } else { "ltr" };
    format!(
        "<!doctype html><html lang=\"{}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title></head>\
         <body style=\"margin:0;padding:24px;font-family:system-ui,sans-serif;color:#1f2328;\
         background:#ffffff\"><p style=\"font-size:16px;line-height:1.5\">{}</p>",
        escape(&t.lang),
        escape(title),
        escape(intro)
    )
}

/// Why the reader gets the e-mail and the visible unsubscribe link; the end of the HTML.
fn html_foot(html: &mut String, why: &str, unsubscribe: &str, leave: &str) {
    html.push_str(&format!(
        "<p style=\"margin-top:32px;font-size:13px;color:#57606a\">{}<br><a href=\"{}\" \
         style=\"color:#57606a\">{}</a></p></body></html>",
        escape(why),
        escape(unsubscribe),
        escape(leave)
    ));
}

/// What a points-expiry reminder tells, each part written the member's way already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder<'a> {
    pub shop: &'a str,
    /// `1,240 points`.
    pub points: &'a str,
    /// `March 4, 2027`.
    pub date: &'a str,
    /// The shop's storefront (`https://` only), for the one link besides the unsubscribe.
    pub shop_url: Option<&'a str>,
    pub unsubscribe: &'a str,
}

/// The subject, the text and the HTML of a points-expiry reminder (`email.*` keys).
pub fn expiry_reminder(t: &Strings, r: &Reminder) -> (String, String, String) {
    let args = [("shop", r.shop), ("points", r.points), ("date", r.date)];
    let subject = t.text("email.expiry.subject", &args);
    let intro = t.text("email.expiry.intro", &args);
    let why = t.text("email.why_member", &args);
    let leave = t.text("email.unsubscribe", &args);
    let visit = t.text("email.expiry.visit", &args);
    let url = r.shop_url.filter(|u| u.starts_with("https://"));
    let mut text = format!("{intro}\r\n\r\n");
    if let Some(url) = url {
        text.push_str(&format!("{visit}: {url}\r\n\r\n"));
    }
    text.push_str(&format!("--\r\n{why}\r\n{leave}: {}\r\n", r.unsubscribe));
    let mut html = html_head(t, &subject, &intro);
    if let Some(url) = url {
        html.push_str(&format!(
            "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"display:inline-block;padding:10px 20px;\
             border-radius:6px;background:#0b5cad;color:#ffffff;text-decoration:none\">{}</a></p>",
            escape(url),
            escape(&visit)
        ));
    }
    html_foot(&mut html, &why, r.unsubscribe, &leave);
    (subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn letter() -> Letter {
        Letter {
            from: Mailbox { address: "hello@acme.example".into(), name: "Acme Outdoor".into() },
            to: "kim@example.com".into(),
            subject: "How was your order from Acme Outdoor?".into(),
            id: "0123abcd".into(),
            date: 1_796_310_245,
            unsubscribe: "https://rapport.acme.example/v1/shops/acme/unsubscribe/v1.x.y".into(),
            text: "Hello\r\n".into(),
            html: "<p>Hello</p>".into(),
        }
    }

    #[test]
    fn a_message_has_what_mail_systems_require_and_the_one_click_unsubscribe() {
        let m = message(&letter());
        let (head, body) = m.split_once("\r\n\r\n").unwrap();
        for line in [
            "From: Acme Outdoor <hello@acme.example>",
            "To: kim@example.com",
            "Subject: How was your order from Acme Outdoor?",
            "Date: Thu, 03 Dec 2026 15:04:05 +0000",
            "Message-ID: <0123abcd@acme.example>",
            "MIME-Version: 1.0",
            "List-Unsubscribe: <https://rapport.acme.example/v1/shops/acme/unsubscribe/v1.x.y>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            "Content-Type: multipart/alternative; boundary=\"rapport-0123abcd\"",
        ] {
            assert!(head.lines().any(|l| l == line), "{line} in\n{head}");
        }
        assert!(m.split("\r\n").all(|l| l.len() <= 998), "no line beyond RFC 5322's limit");
        assert!(!m.replace("\r\n", "").contains('\n'), "every line ends in CRLF");
        assert!(body.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(body.contains(&Base64::encode_string(b"<p>Hello</p>")));
        assert!(m.ends_with("--rapport-0123abcd--\r\n"));
    }

    #[test]
    fn names_and_subjects_beyond_ascii_are_encoded_words() {
        let mut l = letter();
        l.from.name = "Café Zürich".into();
        l.subject = "Wie war Ihre Bestellung bei Café Zürich? ".repeat(3);
        let m = message(&l);
        assert!(m.contains(&format!(
            "From: =?UTF-8?B?{}?= <hello@acme.example>",
            Base64::encode_string("Café Zürich".as_bytes())
        )));
        let subject: String =
            m.split("Subject: ").nth(1).unwrap().split("\r\nDate").next().unwrap().into();
        assert!(subject.lines().all(|l| l.len() < 78), "{subject}");
        let decoded: String = subject
            .split("\r\n ")
            .map(|w| w.trim_start_matches("=?UTF-8?B?").trim_end_matches("?="))
            .map(|b| String::from_utf8(Base64::decode_vec(b).unwrap()).unwrap())
            .collect();
        assert_eq!(decoded, l.subject);
        l.from.name = "Acme, Inc.".into();
        l.subject = "Your points at Perks & Co expire on January 4, 2027".into();
        let m = message(&l);
        assert!(m.contains("From: \"Acme, Inc.\" <hello@acme.example>"));
        assert!(m.contains("\r\nSubject: Your points at Perks & Co expire on January 4, 2027\r\n"));
    }

    #[test]
    fn senders_are_checked_so_no_header_can_be_injected() {
        let ok = Mailbox { address: "hello@acme.example".into(), name: "Acme".into() };
        assert!(ok.check("sender").is_ok());
        for bad in [
            "hello",
            "@acme.example",
            "hello@",
            "hello@acme",
            "a b@acme.example",
            "hello@acme.example\r\nBcc: x@y.z",
            "<hello@acme.example>",
            "a@b@acme.example",
        ] {
            let m = Mailbox { address: bad.into(), ..ok.clone() };
            assert_eq!(m.check("sender").unwrap_err().field, "sender.address", "{bad:?}");
        }
        let m = Mailbox { name: "Acme\nBcc: x@y.z".into(), ..ok };
        assert_eq!(m.check("sender").unwrap_err().field, "sender.name");
    }

    #[test]
    fn a_review_request_links_five_ratings_per_product_and_escapes_what_the_shop_wrote() {
        let t = Strings::of(Lang::En, &["email."], None);
        let items = [
            Item {
                title: "Tent <b>2p</b>".into(),
                image_url: Some("https://cdn.acme.example/tent.jpg".into()),
                review_url: "https://r.example/v1/shops/acme/review-requests/TOKEN?sku=TENT".into(),
            },
            Item {
                title: "Mug".into(),
                image_url: Some("javascript:alert(1)".into()),
                review_url: "https://r.example/v1/shops/acme/review-requests/TOKEN?sku=MUG".into(),
            },
        ];
        let (text, html) = review_request(&t, "Acme & Co", &items, "https://r.example/unsubscribe");
        for n in 1..=5 {
            assert!(html.contains(&format!("?sku=TENT&amp;rating={n}\"")), "{n}");
            assert!(html.contains(&format!("?sku=MUG&amp;rating={n}\"")), "{n}");
        }
        assert!(html.contains("Tent &lt;b&gt;2p&lt;/b&gt;") && !html.contains("<b>2p"));
        assert!(html.contains("Acme &amp; Co") && !html.contains("Acme & Co"));
        assert!(html.contains("src=\"https://cdn.acme.example/tent.jpg\""));
        assert!(!html.contains("javascript:"), "only web images");
        assert!(
            html.contains("href=\"https://r.example/unsubscribe\""),
            "a visible unsubscribe link"
        );
        assert!(!html.contains("email."), "every key has its words");
        assert!(text.contains("Tent <b>2p</b>\r\n") && text.contains("?sku=MUG\r\n"));
        assert!(text.contains("https://r.example/unsubscribe"));
        let ar = Strings::of(Lang::Ar, &["email."], None);
        assert!(review_request(&ar, "Acme", &items, "https://r.example/u")
            .1
            .contains("dir=\"rtl\""));
    }

    #[test]
    fn a_points_reminder_says_how_many_and_when_and_links_only_to_the_shop() {
        let reminder = Reminder {
            shop: "Acme & Co",
            points: "1,240 points",
            date: "March 4, 2027",
            shop_url: Some("https://acme.example"),
            unsubscribe: "https://r.example/unsubscribe",
        };
        for lang in Lang::ALL {
            let t = Strings::of(lang, &["email."], None);
            let (subject, text, html) = expiry_reminder(&t, &reminder);
            for part in [&subject, &text, &html] {
                assert!(!part.contains("email.") && !part.contains('{'), "{lang:?}: {part}");
            }
            assert!(text.contains("1,240 points") && text.contains("March 4, 2027"), "{lang:?}");
            assert!(html.contains("href=\"https://acme.example\""), "{lang:?}");
            assert!(html.contains("href=\"https://r.example/unsubscribe\""), "{lang:?}");
            assert!(html.contains("Acme &amp; Co") && !html.contains("Acme & Co"), "{lang:?}");
        }
        let t = Strings::of(Lang::En, &["email."], None);
        let elsewhere = Reminder { shop_url: Some("javascript:alert(1)"), ..reminder };
        let (_, text, html) = expiry_reminder(&t, &elsewhere);
        assert!(!html.contains("javascript:") && !text.contains("javascript:"));
    }
}
