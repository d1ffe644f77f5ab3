//! schema.org `Product` with `AggregateRating` and `Review`s, as JSON-LD, for search engines'
//! review rich results. Google requires `ratingValue` with `ratingCount` or `reviewCount`, and
//! for each review an `author` and a `reviewRating`; all are always present here.
//!
//! The JSON-LD leaves this module only as text that is safe inside a
//! `<script type="application/ld+json">` element: review text is written by anyone, so every
//! place that serves the JSON-LD (the reviews page, `reviews.jsonld`) takes it from
//! [`product_json_ld`], which escapes it, and no caller can serialise it unescaped.

use serde::Serialize;

use super::ProductReviews;
use crate::catalog::Product;
use crate::time::iso_date;

#[derive(Debug, Clone, PartialEq, Serialize)]
struct JsonLd {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
    sku: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(rename = "aggregateRating", skip_serializing_if = "Option::is_none")]
    aggregate_rating: Option<AggregateRating>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    review: Vec<LdReview>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct AggregateRating {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "ratingValue")]
    rating_value: f64,
    #[serde(rename = "reviewCount")]
    review_count: u32,
    #[serde(rename = "ratingCount")]
    rating_count: u32,
    #[serde(rename = "bestRating")]
    best_rating: u8,
    #[serde(rename = "worstRating")]
    worst_rating: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct LdReview {
    #[serde(rename = "@type")]
    kind: &'static str,
    author: Person,
    #[serde(rename = "datePublished")]
    date_published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(rename = "reviewBody")]
    review_body: String,
    #[serde(rename = "reviewRating")]
    review_rating: LdRating,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Person {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct LdRating {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "ratingValue")]
    rating_value: u8,
    #[serde(rename = "bestRating")]
    best_rating: u8,
    #[serde(rename = "worstRating")]
    worst_rating: u8,
}

/// The JSON-LD for a product page — the product, its rating, and the reviews on the first page —
/// as JSON text ready to put inside a `<script>` element (see [`script_safe`]).
pub fn product_json_ld(product: &Product, page: &ProductReviews) -> String {
    let ld = build(product, page);
    // A struct of strings and numbers always serialises.
    script_safe(&serde_json::to_string(&ld).unwrap_or_default())
}

/// JSON text with `<`, `>`, `&`, U+2028 and U+2029 written as `\uXXXX` escapes. The value is the
/// same JSON, but no `</script>` or `<!--` can form in it, and no line terminator that an older
/// JavaScript parser would choke on. Those characters can only occur inside JSON strings, where
/// a `\uXXXX` escape means the same character.
pub fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

fn build(product: &Product, page: &ProductReviews) -> JsonLd {
    let rated = page.summary.count > 0;
    JsonLd {
        context: "https://schema.org",
        kind: "Product",
        name: product.title.clone(),
        sku: product.sku.to_string(),
        url: product.url.clone().filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        aggregate_rating: rated.then(|| AggregateRating {
            kind: "AggregateRating",
            rating_value: (page.summary.average * 10.0).round() / 10.0,
            review_count: page.summary.count,
            rating_count: page.summary.count,
            best_rating: 5,
            worst_rating: 1,
        }),
        review: page
            .reviews
            .iter()
            .map(|r| LdReview {
                kind: "Review",
                author: Person { kind: "Person", name: r.author.clone() },
                date_published: iso_date(r.created_at),
                name: (!r.title.is_empty()).then(|| r.title.clone()),
                review_body: r.body.clone(),
                review_rating: LdRating {
                    kind: "Rating",
                    rating_value: r.rating.stars(),
                    best_rating: 5,
                    worst_rating: 1,
                },
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ReviewId, Sku};
    use crate::reviews::{Rating, Review, ReviewStatus};

    fn product(title: &str, url: Option<&str>) -> Product {
        Product { url: url.map(Into::into), ..Product::new(Sku::parse("MUG").unwrap(), title) }
    }

    fn review(product: &Product, stars: u8, title: &str, body: &str, author: &str) -> Review {
        Review {
            id: ReviewId::parse("r1").unwrap(),
            product: product.sku.clone(),
            rating: Rating::new(stars).unwrap(),
            title: title.into(),
            body: body.into(),
            author: author.into(),
            verified: false,
            status: ReviewStatus::Published,
            created_at: 1_780_000_000,
            helpful: 0,
            reply: None,
            customer: None,
        }
    }

    #[test]
    fn product_with_reviews_meets_the_rich_result_requirements() {
        let product = product("Trail Mug", Some("/products/mug"));
        let review = review(&product, 4, "</script><script>alert(1)</script>", "Good", "Ada");
        let page = ProductReviews::build(&product.sku, [&review]);
        let text = product_json_ld(&product, &page);
        let ld: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(ld["@type"], "Product");
        assert_eq!(ld["aggregateRating"]["ratingValue"], 4.0);
        assert_eq!(ld["aggregateRating"]["reviewCount"], 1);
        assert_eq!(ld["review"][0]["author"]["name"], "Ada");
        assert_eq!(ld["review"][0]["reviewRating"]["ratingValue"], 4);
        assert_eq!(ld["review"][0]["datePublished"], "2026-05-28");
        assert!(ld.get("url").is_none(), "a relative URL is left out");

        let empty: serde_json::Value =
            serde_json::from_str(&product_json_ld(&product, &ProductReviews::empty(&product.sku)))
                .unwrap();
        assert!(empty.get("aggregateRating").is_none(), "no rating is claimed without reviews");
        assert!(empty.get("review").is_none());
    }

    #[test]
    fn review_text_cannot_close_the_script_element() {
        let product = product("Mug & <b>Cup</b>", None);
        let body = "</script><script>alert(1)</script> <!-- a > b && c \u{2028}\u{2029}";
        let review = review(&product, 5, "<!--", body, "</script>");
        let page = ProductReviews::build(&product.sku, [&review]);
        let text = product_json_ld(&product, &page);
        for c in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
            assert!(!text.contains(c), "{c:?} is escaped in {text}");
        }
        assert!(text.contains("\\u003c/script\\u003e"), "{text}");
        // The escapes mean the same characters: the JSON still says what the shopper wrote.
        let ld: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(ld["review"][0]["reviewBody"], body);
        assert_eq!(ld["review"][0]["author"]["name"], "</script>");
        assert_eq!(ld["name"], "Mug & <b>Cup</b>");
    }

    #[test]
    fn script_safe_escapes_exactly_the_dangerous_characters() {
        for (json, safe) in [
            (r#""plain""#, r#""plain""#),
            (r#""<""#, r#""\u003c""#),
            (r#"">""#, r#""\u003e""#),
            (r#""&""#, r#""\u0026""#),
            ("\"\u{2028}\u{2029}\"", r#""\u2028\u2029""#),
            (r#""é ✓""#, r#""é ✓""#),
            (r#"{"a":[1,2]}"#, r#"{"a":[1,2]}"#),
        ] {
            assert_eq!(script_safe(json), safe, "{json}");
        }
    }
}
