//! Sorting, filtering and paging a product's published reviews.

use core::cmp::Ordering;
use serde::{Deserialize, Serialize};

use super::{PublicReview, Rating, Review, ReviewStatus};
use crate::catalog::FieldError;

/// Reviews per page of a list.
pub const LIST_PAGE_SIZE: usize = 10;
/// Pages beyond this are refused: nobody reads them, and they would let a client make the
/// edge sort and skip without end.
pub const MAX_PAGE: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    Highest,
    Lowest,
    MostHelpful,
}

impl Sort {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s {
            "newest" => Ok(Sort::Newest),
            "highest" => Ok(Sort::Highest),
            "lowest" => Ok(Sort::Lowest),
            "most_helpful" => Ok(Sort::MostHelpful),
            _ => Err(FieldError::new("sort", "must be newest, highest, lowest or most_helpful")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Highest => "highest",
            Sort::Lowest => "lowest",
            Sort::MostHelpful => "most_helpful",
        }
    }

    /// The order of two reviews; ties fall back to newest first, then to the id, so every
    /// page boundary is stable.
    pub fn compare(self, a: &Review, b: &Review) -> Ordering {
        let newest = || b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id));
        match self {
            Sort::Newest => newest(),
            Sort::Highest => b.rating.cmp(&a.rating).then_with(newest),
            Sort::Lowest => a.rating.cmp(&b.rating).then_with(newest),
            Sort::MostHelpful => b.helpful.cmp(&a.helpful).then_with(newest),
        }
    }
}

/// What a shopper asked to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReviewQuery {
    pub sort: Sort,
    /// Only reviews with this many stars.
    pub rating: Option<Rating>,
    /// 1-based.
    pub page: u32,
}

impl ReviewQuery {
    /// Parses the query string's `sort`, `rating` and `page`, each optional.
    pub fn parse(
        sort: Option<&str>,
        rating: Option<&str>,
        page: Option<&str>,
    ) -> Result<Self, FieldError> {
        let sort = sort.map(Sort::parse).transpose()?.unwrap_or_default();
        let rating = rating
            .map(|r| {
                r.parse::<u8>()
                    .ok()
                    .and_then(|n| Rating::new(n).ok())
                    .ok_or_else(|| FieldError::new("rating", "must be a whole number from 1 to 5"))
            })
            .transpose()?;
        let page = match page {
            None => 1,
            Some(p) => {
                p.parse::<u32>().ok().filter(|p| (1..=MAX_PAGE).contains(p)).ok_or_else(|| {
                    FieldError::new("page", format!("must be a whole number from 1 to {MAX_PAGE}"))
                })?
            }
        };
        Ok(Self { sort, rating, page })
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewList {
    pub reviews: Vec<PublicReview>,
    /// Published reviews matching the filter, on all pages.
    pub total: u32,
    pub page: u32,
    pub pages: u32,
}

/// The published reviews of `all` that match `query`, sorted, one page of them.
pub fn list(all: &[Review], query: &ReviewQuery) -> ReviewList {
    let mut matching: Vec<&Review> = all
        .iter()
        .filter(|r| r.status == ReviewStatus::Published)
        .filter(|r| query.rating.is_none_or(|want| r.rating == want))
        .collect();
    matching.sort_by(|a, b| query.sort.compare(a, b));
    let total = matching.len();
    let skip = (query.page as usize - 1).saturating_mul(LIST_PAGE_SIZE);
    ReviewList {
        reviews: matching
            .into_iter()
            .skip(skip)
            .take(LIST_PAGE_SIZE)
            .map(PublicReview::from)
            .collect(),
        total: total as u32,
        page: query.page,
        pages: total.div_ceil(LIST_PAGE_SIZE) as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ReviewId, Sku};

    fn review(id: &str, stars: u8, created_at: i64, helpful: u32) -> Review {
        Review {
            id: ReviewId::parse(id).unwrap(),
            product: Sku::parse("MUG").unwrap(),
            rating: Rating::new(stars).unwrap(),
            title: String::new(),
            body: "b".into(),
            author: "a".into(),
            verified: false,
            status: ReviewStatus::Published,
            created_at,
            helpful,
            reply: None,
            customer: None,
        }
    }

    fn ids(l: &ReviewList) -> Vec<&str> {
        l.reviews.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn sorts() {
        let all = vec![
            review("a", 3, 100, 0),
            review("b", 5, 200, 2),
            review("c", 1, 300, 9),
            review("d", 5, 50, 2),
        ];
        let table = [
            (Sort::Newest, vec!["c", "b", "a", "d"]),
            (Sort::Highest, vec!["b", "d", "a", "c"]),
            (Sort::Lowest, vec!["c", "a", "b", "d"]),
            (Sort::MostHelpful, vec!["c", "b", "d", "a"]),
        ];
        for (sort, want) in table {
            let got = list(&all, &ReviewQuery { sort, rating: None, page: 1 });
            assert_eq!(ids(&got), want, "{sort:?}");
        }
    }

    #[test]
    fn filters_and_pages_count_only_published_matches() {
        let mut all: Vec<Review> = (0..25)
            .map(|i| review(&format!("r{i:02}"), if i % 2 == 0 { 5 } else { 4 }, i, 0))
            .collect();
        all[24].status = ReviewStatus::Pending; // r24, a five
        let fives = ReviewQuery { rating: Some(Rating::new(5).unwrap()), ..Default::default() };
        let page1 = list(&all, &ReviewQuery { page: 1, ..fives });
        assert_eq!((page1.total, page1.pages, page1.reviews.len()), (12, 2, 10));
        assert_eq!(page1.reviews[0].id.as_str(), "r22");
        let page2 = list(&all, &ReviewQuery { page: 2, ..fives });
        assert_eq!(ids(&page2), ["r02", "r00"]);
        let page9 = list(&all, &ReviewQuery { page: 9, ..fives });
        assert!(page9.reviews.is_empty());
        assert_eq!(page9.total, 12);
    }

    #[test]
    fn queries_parse_strictly() {
        let default = ReviewQuery::parse(None, None, None).unwrap();
        assert_eq!(default, ReviewQuery { sort: Sort::Newest, rating: None, page: 1 });
        let q = ReviewQuery::parse(Some("most_helpful"), Some("4"), Some("3")).unwrap();
        assert_eq!((q.sort, q.rating.map(Rating::stars), q.page), (Sort::MostHelpful, Some(4), 3));
        let bad = [
            (Some("best"), None, None, "sort"),
            (None, Some("0"), None, "rating"),
            (None, Some("6"), None, "rating"),
            (None, Some("four"), None, "rating"),
            (None, None, Some("0"), "page"),
            (None, None, Some("-1"), "page"),
            (None, None, Some("1001"), "page"),
        ];
        for (sort, rating, page, field) in bad {
            assert_eq!(ReviewQuery::parse(sort, rating, page).unwrap_err().field, field);
        }
    }
}
