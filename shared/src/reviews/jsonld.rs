//! schema.org `Product` with `AggregateRating` and `Review`s, as JSON-LD, for search engines'
//! review rich results. Google requires `ratingValue` with `ratingCount` or `reviewCount`, and
//! for each review an `author` and a `reviewRating`; all are always present here.

use serde::Serialize;

use super::ProductReviews;
use crate::catalog::Product;
use crate::time::iso_date;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonLd {
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

/// The JSON-LD for a product page: the product, its rating, and the reviews on the first page.
pub fn product_json_ld(product: &Product, page: &ProductReviews) -> JsonLd {
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

    #[test]
    fn product_with_reviews_meets_the_rich_result_requirements() {
        let product = Product {
            sku: Sku::parse("MUG").unwrap(),
            title: "Trail Mug".into(),
            url: Some("/products/mug".into()),
            image_url: None,
            price: None,
            updated_at: None,
        };
        let review = Review {
            id: ReviewId::parse("r1").unwrap(),
            product: product.sku.clone(),
            rating: Rating::new(4).unwrap(),
            title: "</script><script>alert(1)</script>".into(),
            body: "Good".into(),
            author: "Ada".into(),
            verified: true,
            status: ReviewStatus::Published,
            created_at: 1_780_000_000,
            helpful: 0,
            reply: None,
            customer: None,
        };
        let page = ProductReviews::build(&product.sku, [&review]);
        let ld = serde_json::to_value(product_json_ld(&product, &page)).unwrap();
        assert_eq!(ld["@type"], "Product");
        assert_eq!(ld["aggregateRating"]["ratingValue"], 4.0);
        assert_eq!(ld["aggregateRating"]["reviewCount"], 1);
        assert_eq!(ld["review"][0]["author"]["name"], "Ada");
        assert_eq!(ld["review"][0]["reviewRating"]["ratingValue"], 4);
        assert_eq!(ld["review"][0]["datePublished"], "2026-05-28");
        assert!(ld.get("url").is_none(), "a relative URL is left out");

        let empty =
            serde_json::to_value(product_json_ld(&product, &ProductReviews::empty(&product.sku)))
                .unwrap();
        assert!(empty.get("aggregateRating").is_none(), "no rating is claimed without reviews");
        assert!(empty.get("review").is_none());
    }
}
