//! Product reviews: the rating, a review, the summary and the first page a widget shows.
//!
//! Each product's reviews have one writer (the product's Durable Object on the edge), which
//! rebuilds the precomputed [`ProductReviews`] the widget reads in one KV get.
//! [`ProductReviews::build`] is the only way to make one, from the full set of a product's
//! reviews, so the summary always agrees with the published reviews it lists.

pub mod import;
#[cfg(feature = "server")]
mod jsonld;
mod query;
pub mod submission;

#[cfg(feature = "server")]
pub use jsonld::{product_json_ld, script_safe};
pub use query::{list, ReviewList, ReviewQuery, Sort, LIST_PAGE_SIZE};
pub use submission::{ReviewSubmission, SubmissionCheck};

use core::fmt;
use serde::{Deserialize, Serialize};

use crate::catalog::{bounded_text, FieldError, MAX_UNIX_SECONDS};
use crate::ids::{CustomerId, ReviewId, Sku};

/// Reviews on the precomputed first page.
pub const PAGE_SIZE: usize = 10;
pub const TITLE_MAX: usize = 150;
pub const BODY_MAX: usize = 5000;
pub const AUTHOR_MAX: usize = 60;

/// One to five stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rating(u8);

/// A rating outside 1..=5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingOutOfRange(pub u8);

impl fmt::Display for RatingOutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rating must be 1 to 5, not {}", self.0)
    }
}

impl Rating {
    pub fn new(stars: u8) -> Result<Self, RatingOutOfRange> {
        if (1..=5).contains(&stars) {
            Ok(Self(stars))
        } else {
            Err(RatingOutOfRange(stars))
        }
    }

    pub fn stars(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Rating {
    type Error = RatingOutOfRange;
    fn try_from(v: u8) -> Result<Self, RatingOutOfRange> {
        Rating::new(v)
    }
}

impl From<Rating> for u8 {
    fn from(r: Rating) -> u8 {
        r.0
    }
}

/// Moderation state. Only published reviews are shown and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    #[default]
    Published,
    Pending,
    Rejected,
}

/// How a shop publishes new reviews from shoppers. There is deliberately no rule by rating:
/// holding back low ratings is review suppression, which the FTC's 2024 rule on consumer reviews
/// forbids. Rules can depend only on who wrote the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModerationRule {
    /// Every review appears at once.
    #[default]
    PublishAll,
    /// Reviews from verified buyers appear at once; others wait for the merchant.
    PublishVerified,
    /// Every review waits for the merchant.
    HoldAll,
}

impl ModerationRule {
    pub fn initial_status(self, verified: bool) -> ReviewStatus {
        match (self, verified) {
            (ModerationRule::PublishAll, _) | (ModerationRule::PublishVerified, true) => {
                ReviewStatus::Published
            }
            _ => ReviewStatus::Pending,
        }
    }
}

/// The merchant's public answer to a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantReply {
    pub body: String,
    /// Unix seconds.
    pub created_at: i64,
}

pub const REPLY_MAX: usize = 2000;

impl MerchantReply {
    pub fn new(body: &str, now: i64) -> Result<Self, FieldError> {
        Ok(Self { body: bounded_text("body", body, 1, REPLY_MAX)?, created_at: now })
    }
}

/// A stored review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: ReviewId,
    pub product: Sku,
    pub rating: Rating,
    #[serde(default)]
    pub title: String,
    pub body: String,
    /// The display name the reviewer chose.
    pub author: String,
    /// Written by a customer with a paid order containing the product.
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub status: ReviewStatus,
    /// Unix seconds.
    pub created_at: i64,
    /// Shoppers who found it helpful.
    #[serde(default)]
    pub helpful: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<MerchantReply>,
    /// The signed-in shopper who wrote it. Never public; used for export and erasure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerId>,
}

/// A review as it arrives in an import: loosely typed, so that every problem can be reported
/// field by field instead of as one serde message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReviewInput {
    pub id: String,
    pub product: String,
    pub rating: i64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub status: ReviewStatus,
    pub created_at: i64,
}

impl ReviewInput {
    pub fn validate(self) -> Result<Review, FieldError> {
        let id = ReviewId::parse(&self.id).map_err(|e| FieldError::new("id", e.to_string()))?;
        let product =
            Sku::parse(&self.product).map_err(|e| FieldError::new("product", e.to_string()))?;
        let rating = u8::try_from(self.rating)
            .ok()
            .and_then(|r| Rating::new(r).ok())
            .ok_or_else(|| FieldError::new("rating", "must be a whole number from 1 to 5"))?;
        if !(0..=MAX_UNIX_SECONDS).contains(&self.created_at) {
            return Err(FieldError::new("created_at", "must be Unix seconds from 1970 to 9999"));
        }
        Ok(Review {
            id,
            product,
            rating,
            title: bounded_text("title", &self.title, 0, TITLE_MAX)?,
            body: bounded_text("body", &self.body, 1, BODY_MAX)?,
            author: bounded_text("author", &self.author, 1, AUTHOR_MAX)?,
            verified: self.verified,
            status: self.status,
            created_at: self.created_at,
            helpful: 0,
            reply: None,
            customer: None,
        })
    }
}

/// The public face of a published review: no moderation state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicReview {
    pub id: ReviewId,
    pub rating: Rating,
    #[serde(default)]
    pub title: String,
    pub body: String,
    pub author: String,
    pub verified: bool,
    pub created_at: i64,
    #[serde(default)]
    pub helpful: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<MerchantReply>,
}

impl From<&Review> for PublicReview {
    fn from(r: &Review) -> Self {
        Self {
            id: r.id.clone(),
            rating: r.rating,
            title: r.title.clone(),
            body: r.body.clone(),
            author: r.author.clone(),
            verified: r.verified,
            created_at: r.created_at,
            helpful: r.helpful,
            reply: r.reply.clone(),
        }
    }
}

/// The answer to a shopper's review: the review as it will be shown, and whether it is shown
/// already or waits for the merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitted {
    pub review: PublicReview,
    pub status: ReviewStatus,
}

/// The answer to a helpful vote: the review's new count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpfulCount {
    pub helpful: u32,
}

/// The name shown on a review whose author asked to be forgotten.
pub const ANONYMOUS_AUTHOR: &str = "Anonymous";

impl Review {
    /// Erases who wrote the review, keeping what it says: the name shown becomes
    /// [`ANONYMOUS_AUTHOR`] and the link to the customer account is dropped. The "verified buyer"
    /// mark stays: it says something about the review, not about the person.
    pub fn anonymise(&mut self) {
        self.author = ANONYMOUS_AUTHOR.to_owned();
        self.customer = None;
    }
}

/// Count, average and histogram of a product's published reviews.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewSummary {
    pub count: u32,
    /// Mean rating rounded to two decimals; 0 when there are no reviews.
    pub average: f64,
    /// Reviews per rating: `histogram[0]` is one star, `histogram[4]` five stars.
    pub histogram: [u32; 5],
}

impl ReviewSummary {
    pub fn from_ratings(ratings: impl IntoIterator<Item = Rating>) -> Self {
        let mut histogram = [0u32; 5];
        for r in ratings {
            histogram[usize::from(r.stars() - 1)] += 1;
        }
        let count: u32 = histogram.iter().sum();
        let sum: u64 = histogram.iter().zip(1u64..).map(|(n, stars)| u64::from(*n) * stars).sum();
        let average =
            if count == 0 { 0.0 } else { (sum as f64 * 100.0 / f64::from(count)).round() / 100.0 };
        Self { count, average, histogram }
    }

    /// Reviews with `stars` stars.
    pub fn with_rating(&self, stars: u8) -> u32 {
        match stars {
            1..=5 => self.histogram[usize::from(stars - 1)],
            _ => 0,
        }
    }

    /// Share of reviews with `stars` stars, in whole percent (for a histogram bar).
    pub fn percent_with_rating(&self, stars: u8) -> u32 {
        if self.count == 0 {
            return 0;
        }
        (f64::from(self.with_rating(stars)) * 100.0 / f64::from(self.count)).round() as u32
    }
}

/// How much of a star to draw at `position` (1..=5) for an average rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StarFill {
    Full,
    Half,
    Empty,
}

/// Stars are drawn to the nearest half: 4.3 shows four and a half, 4.2 shows four.
pub fn star_fill(average: f64, position: u8) -> StarFill {
    let halves = (average * 2.0).round() as i64;
    let full_at = i64::from(position) * 2;
    if halves >= full_at {
        StarFill::Full
    } else if halves == full_at - 1 {
        StarFill::Half
    } else {
        StarFill::Empty
    }
}

/// What the reviews widget reads for a product: summary plus the newest published reviews.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductReviews {
    pub product: Sku,
    pub summary: ReviewSummary,
    /// Newest first, at most [`PAGE_SIZE`].
    pub reviews: Vec<PublicReview>,
    /// The product's schema.org JSON-LD, ready to put in a `<script type="application/ld+json">`
    /// (see [`product_json_ld`]); filled in by the edge, which knows the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_ld: Option<String>,
}

impl ProductReviews {
    /// Builds the page from every stored review of `product`; others are ignored.
    pub fn build<'a>(product: &Sku, all: impl IntoIterator<Item = &'a Review>) -> Self {
        let mut published: Vec<&Review> = all
            .into_iter()
            .filter(|r| r.product == *product && r.status == ReviewStatus::Published)
            .collect();
        published.sort_by(|a, b| Sort::Newest.compare(a, b));
        Self {
            product: product.clone(),
            summary: ReviewSummary::from_ratings(published.iter().map(|r| r.rating)),
            reviews: published.iter().take(PAGE_SIZE).map(|r| PublicReview::from(*r)).collect(),
            json_ld: None,
        }
    }

    /// The page of a product that has no published review yet.
    pub fn empty(product: &Sku) -> Self {
        Self::build(product, [])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(id: &str, stars: u8, created_at: i64, status: ReviewStatus) -> Review {
        Review {
            id: ReviewId::parse(id).unwrap(),
            product: Sku::parse("MUG").unwrap(),
            rating: Rating::new(stars).unwrap(),
            title: String::new(),
            body: "Nice".into(),
            author: "Ada".into(),
            verified: false,
            status,
            created_at,
            helpful: 0,
            reply: None,
            customer: None,
        }
    }

    #[test]
    fn moderation_rules_depend_only_on_who_wrote_the_review() {
        use ModerationRule::*;
        use ReviewStatus::*;
        let table = [
            (PublishAll, false, Published),
            (PublishAll, true, Published),
            (PublishVerified, true, Published),
            (PublishVerified, false, Pending),
            (HoldAll, true, Pending),
            (HoldAll, false, Pending),
        ];
        for (rule, verified, want) in table {
            assert_eq!(rule.initial_status(verified), want, "{rule:?} verified={verified}");
        }
        let rule: ModerationRule = serde_json::from_str("\"publish_verified\"").unwrap();
        assert_eq!(rule, PublishVerified);
        // There is no way to ask for rating-based publication.
        assert!(serde_json::from_str::<ModerationRule>("\"publish_four_stars_and_up\"").is_err());
    }

    #[test]
    fn replies_are_bounded_text() {
        assert_eq!(MerchantReply::new("  Thanks! ", 5).unwrap().body, "Thanks!");
        assert!(MerchantReply::new("", 5).is_err());
        assert!(MerchantReply::new(&"x".repeat(REPLY_MAX + 1), 5).is_err());
    }

    #[test]
    fn rating_is_one_to_five() {
        for (stars, ok) in [(0, false), (1, true), (5, true), (6, false), (255, false)] {
            assert_eq!(Rating::new(stars).is_ok(), ok, "{stars}");
        }
        assert!(serde_json::from_str::<Rating>("0").is_err());
        assert!(serde_json::from_str::<Rating>("6").is_err());
    }

    #[test]
    fn summary_counts_averages_and_histograms() {
        let table: &[(&[u8], u32, f64, [u32; 5])] = &[
            (&[], 0, 0.0, [0, 0, 0, 0, 0]),
            (&[5], 1, 5.0, [0, 0, 0, 0, 1]),
            (&[5, 4], 2, 4.5, [0, 0, 0, 1, 1]),
            (&[5, 5, 4], 3, 4.67, [0, 0, 0, 1, 2]),
            (&[1, 2, 3, 4, 5], 5, 3.0, [1, 1, 1, 1, 1]),
        ];
        for (ratings, count, average, histogram) in table {
            let s = ReviewSummary::from_ratings(ratings.iter().map(|r| Rating::new(*r).unwrap()));
            assert_eq!((s.count, s.average, s.histogram), (*count, *average, *histogram));
        }
        let s = ReviewSummary::from_ratings([5, 5, 4].map(|r| Rating::new(r).unwrap()));
        assert_eq!(s.percent_with_rating(5), 67);
        assert_eq!(s.percent_with_rating(4), 33);
        assert_eq!(s.percent_with_rating(1), 0);
        assert_eq!(ReviewSummary::default().percent_with_rating(5), 0);
    }

    #[test]
    fn stars_round_to_the_nearest_half() {
        use StarFill::*;
        let table: &[(f64, [StarFill; 5])] = &[
            (0.0, [Empty, Empty, Empty, Empty, Empty]),
            (4.2, [Full, Full, Full, Full, Empty]),
            (4.3, [Full, Full, Full, Full, Half]),
            (4.8, [Full, Full, Full, Full, Full]),
            (1.0, [Full, Empty, Empty, Empty, Empty]),
        ];
        for (average, want) in table {
            let got: Vec<_> = (1..=5).map(|p| star_fill(*average, p)).collect();
            assert_eq!(got, want.to_vec(), "{average}");
        }
    }

    #[test]
    fn the_page_lists_newest_published_reviews_and_counts_only_them() {
        let mut all = vec![
            review("a", 5, 100, ReviewStatus::Published),
            review("b", 1, 300, ReviewStatus::Pending),
            review("c", 2, 200, ReviewStatus::Published),
            review("d", 1, 400, ReviewStatus::Rejected),
        ];
        let mut other = review("e", 3, 500, ReviewStatus::Published);
        other.product = Sku::parse("TENT").unwrap();
        all.push(other);
        let page = ProductReviews::build(&Sku::parse("MUG").unwrap(), &all);
        let ids: Vec<_> = page.reviews.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["c", "a"]);
        assert_eq!(page.summary.count, 2);
        assert_eq!(page.summary.average, 3.5);
    }

    #[test]
    fn the_page_holds_at_most_a_page_but_counts_all() {
        let all: Vec<_> =
            (0..25).map(|i| review(&format!("r{i:02}"), 4, i, ReviewStatus::Published)).collect();
        let page = ProductReviews::build(&Sku::parse("MUG").unwrap(), &all);
        assert_eq!(page.reviews.len(), PAGE_SIZE);
        assert_eq!(page.summary.count, 25);
        assert_eq!(page.reviews[0].id.as_str(), "r24");
    }

    #[test]
    fn imported_reviews_are_checked_field_by_field() {
        let base = serde_json::json!({
            "id": "r1", "product": "MUG", "rating": 5, "title": "Great",
            "body": "Keeps coffee hot.", "author": "Ada", "created_at": 1_700_000_000
        });
        let with = |k: &str, v: serde_json::Value| {
            let mut x = base.clone();
            x[k] = v;
            serde_json::from_value::<ReviewInput>(x).unwrap().validate()
        };
        assert!(with("title", "".into()).is_ok());
        let bad = [
            ("rating", serde_json::json!(0), "rating"),
            ("rating", serde_json::json!(6), "rating"),
            ("rating", serde_json::json!(-1), "rating"),
            ("body", serde_json::json!(""), "body"),
            ("author", serde_json::json!("  "), "author"),
            ("title", serde_json::json!("x".repeat(TITLE_MAX + 1)), "title"),
            ("product", serde_json::json!("MUG/../x"), "product"),
            ("id", serde_json::json!(""), "id"),
            ("created_at", serde_json::json!(-5), "created_at"),
            ("created_at", serde_json::json!(i64::MAX), "created_at"),
            ("rating", serde_json::json!(i64::MIN), "rating"),
        ];
        for (field, value, want) in bad {
            assert_eq!(with(field, value.clone()).unwrap_err().field, want, "{field}={value}");
        }
        let script = with("body", "<script>alert(1)</script>".into()).unwrap();
        assert_eq!(script.body, "<script>alert(1)</script>");
    }
}
