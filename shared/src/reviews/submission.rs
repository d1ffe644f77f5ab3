//! A review written by a shopper in the widget. The same check runs in the widget (inline
//! messages as the shopper types) and on the edge (the authority), so they never disagree.

use serde::{Deserialize, Serialize};

use super::{ModerationRule, Rating, Review, AUTHOR_MAX, BODY_MAX, TITLE_MAX};
use crate::catalog::{bounded_text, FieldError};
use crate::ids::{CustomerId, ReviewId, Sku};

/// The form as sent. Every field may be missing, so that each problem can be named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSubmission {
    #[serde(default)]
    pub rating: Option<i64>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub author: String,
}

const RATING_MISSING: &str = "Choose a rating from 1 to 5 stars.";
const BODY_MISSING: &str = "Write a few words about the product.";
const AUTHOR_MISSING: &str = "Add the name to show with your review.";
const TOO_LONG: &str = "Keep it to ";

/// The catalogue key (`i18n`) that says one of this form's problems in the shopper's language,
/// with its `{max}` when it has one. The problems are worded in English here, where the Worker
/// answers with them too; one this does not know is shown as it is.
pub fn problem_key(problem: &str) -> Option<(&'static str, Option<String>)> {
    Some(match problem {
        RATING_MISSING => ("reviews.form.rating_missing", None),
        BODY_MISSING => ("reviews.form.body_missing", None),
        AUTHOR_MISSING => ("reviews.form.author_missing", None),
        p if p.starts_with(TOO_LONG) => {
            let max: String =
                p[TOO_LONG.len()..].chars().take_while(char::is_ascii_digit).collect();
            ("reviews.form.too_long", Some(max))
        }
        p if p.contains("control characters") => ("reviews.form.control", None),
        _ => return None,
    })
}

/// A submission whose every field passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionCheck {
    pub rating: Rating,
    pub title: String,
    pub body: String,
    pub author: String,
}

fn text(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    missing: &str,
) -> Result<String, FieldError> {
    bounded_text(field, value, min, max).map_err(|e| {
        let problem = if value.trim().is_empty() {
            missing.to_owned()
        } else if value.trim().chars().count() > max {
            format!("{TOO_LONG}{max} characters or fewer.")
        } else {
            e.problem
        };
        FieldError::new(field, problem)
    })
}

impl ReviewSubmission {
    /// Checks every field and reports every problem, in form order.
    pub fn check(&self) -> Result<SubmissionCheck, Vec<FieldError>> {
        let rating = self
            .rating
            .and_then(|r| u8::try_from(r).ok())
            .and_then(|r| Rating::new(r).ok())
            .ok_or_else(|| FieldError::new("rating", RATING_MISSING));
        let title = text("title", &self.title, 0, TITLE_MAX, "");
        let body = text("body", &self.body, 1, BODY_MAX, BODY_MISSING);
        let author = text("author", &self.author, 1, AUTHOR_MAX, AUTHOR_MISSING);
        match (rating, title, body, author) {
            (Ok(rating), Ok(title), Ok(body), Ok(author)) => {
                Ok(SubmissionCheck { rating, title, body, author })
            }
            (rating, title, body, author) => {
                Err([rating.err(), title.err(), body.err(), author.err()]
                    .into_iter()
                    .flatten()
                    .collect())
            }
        }
    }
}

impl SubmissionCheck {
    /// The stored review, published or held according to the shop's rule.
    pub fn into_review(
        self,
        id: ReviewId,
        product: Sku,
        customer: Option<CustomerId>,
        verified: bool,
        rule: ModerationRule,
        now: i64,
    ) -> Review {
        Review {
            id,
            product,
            rating: self.rating,
            title: self.title,
            body: self.body,
            author: self.author,
            verified,
            status: rule.initial_status(verified),
            created_at: now,
            helpful: 0,
            reply: None,
            customer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reviews::ReviewStatus;

    fn good() -> ReviewSubmission {
        ReviewSubmission {
            rating: Some(4),
            title: "Nice".into(),
            body: "Keeps tea hot.".into(),
            author: "Ada".into(),
        }
    }

    #[test]
    fn a_good_submission_becomes_a_review_per_the_shop_rule() {
        let checked = good().check().unwrap();
        let review = checked.clone().into_review(
            ReviewId::parse("r1").unwrap(),
            Sku::parse("MUG").unwrap(),
            None,
            false,
            ModerationRule::PublishVerified,
            99,
        );
        assert_eq!(
            (review.rating.stars(), review.status, review.created_at),
            (4, ReviewStatus::Pending, 99)
        );
        let verified = checked.into_review(
            ReviewId::parse("r2").unwrap(),
            Sku::parse("MUG").unwrap(),
            Some(CustomerId::parse("c1").unwrap()),
            true,
            ModerationRule::PublishVerified,
            99,
        );
        assert_eq!(verified.status, ReviewStatus::Published);
    }

    #[test]
    fn every_problem_is_reported_by_field() {
        let empty = ReviewSubmission::default().check().unwrap_err();
        let fields: Vec<_> = empty.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["rating", "body", "author"]);
        assert_eq!(empty[0].problem, "Choose a rating from 1 to 5 stars.");

        let table: &[(ReviewSubmission, &str)] = &[
            (ReviewSubmission { rating: Some(0), ..good() }, "rating"),
            (ReviewSubmission { rating: Some(6), ..good() }, "rating"),
            (ReviewSubmission { rating: Some(-3), ..good() }, "rating"),
            (ReviewSubmission { rating: Some(300), ..good() }, "rating"),
            (ReviewSubmission { title: "t".repeat(TITLE_MAX + 1), ..good() }, "title"),
            (ReviewSubmission { body: " \n ".into(), ..good() }, "body"),
            (ReviewSubmission { body: "b".repeat(BODY_MAX + 1), ..good() }, "body"),
            (ReviewSubmission { author: "a".repeat(AUTHOR_MAX + 1), ..good() }, "author"),
            (ReviewSubmission { author: "Ada\u{7}".into(), ..good() }, "author"),
        ];
        for (submission, field) in table {
            let errors = submission.check().unwrap_err();
            assert_eq!(errors.len(), 1, "{submission:?}");
            assert_eq!(errors[0].field, *field);
        }
        let long =
            ReviewSubmission { body: "b".repeat(BODY_MAX + 1), ..good() }.check().unwrap_err();
        assert_eq!(long[0].problem, format!("Keep it to {BODY_MAX} characters or fewer."));
    }

    #[test]
    fn markup_is_accepted_as_text() {
        let s = ReviewSubmission { body: "<script>alert(1)</script>".into(), ..good() };
        assert_eq!(s.check().unwrap().body, "<script>alert(1)</script>");
    }
}
