//! Importing a review export from another app. The first layout understood is Judge.me's CSV
//! (`title, body, rating, review_date, source, curated, reviewer_name, reviewer_email,
//! product_id, product_handle, reply, reply_date, picture_urls, ip_address, location`); columns
//! are found by header name, in any order, and unknown columns are ignored. E-mail and IP address
//! columns are never stored.

use core::fmt;

use super::{MerchantReply, ReviewInput, ReviewStatus};
use crate::csv::{self, CsvError};
use crate::ids::Sku;
use crate::time::parse_timestamp as parse_date;

/// A row that was not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    pub line: usize,
    pub reason: String,
}

/// The rows of an export, read as reviews. `product` is the catalog SKU the row names.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: usize,
    pub review: ReviewInput,
    pub reply: Option<MerchantReply>,
}

#[derive(Debug)]
pub enum ImportError {
    Csv(CsvError),
    MissingColumn(&'static str),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Csv(e) => write!(f, "not valid CSV: {e}"),
            ImportError::MissingColumn(c) => write!(f, "the header has no `{c}` column"),
        }
    }
}

/// Reads a Judge.me CSV export. `known` says whether a product handle or id is a catalog SKU.
/// Rows come back in file order, either taken (with a stable id, so importing the same file twice
/// changes nothing) or refused with the reason.
pub fn judge_me(
    text: &str,
    known: impl Fn(&Sku) -> bool,
    now: i64,
) -> Result<(Vec<ImportRow>, Vec<Refusal>), ImportError> {
    let records = csv::parse(text).map_err(ImportError::Csv)?;
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return Ok((Vec::new(), Vec::new()));
    };
    let column =
        |name: &'static str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let required = |name: &'static str| column(name).ok_or(ImportError::MissingColumn(name));
    let (body, rating, name) = (required("body")?, required("rating")?, required("reviewer_name")?);
    let (title, date, curated) = (column("title"), column("review_date"), column("curated"));
    let (handle, product_id) = (column("product_handle"), column("product_id"));
    let (reply, reply_date, source) = (column("reply"), column("reply_date"), column("source"));
    if handle.is_none() && product_id.is_none() {
        return Err(ImportError::MissingColumn("product_handle"));
    }

    let mut taken = Vec::new();
    let mut refused = Vec::new();
    for (line, record) in records {
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).map(|s| s.trim()).unwrap_or("");
        let refuse = |reason: String| Refusal { line, reason };
        let product = [cell(handle), cell(product_id)]
            .into_iter()
            .filter_map(|c| Sku::parse(c).ok())
            .find(|sku| known(sku));
        let Some(product) = product else {
            refused.push(refuse(format!(
                "no catalog product with handle {:?} or id {:?}",
                cell(handle),
                cell(product_id)
            )));
            continue;
        };
        let created_at = match cell(date) {
            "" => now,
            d => match parse_date(d) {
                Some(t) => t,
                None => {
                    refused.push(refuse(format!("review_date {d:?} is not a date")));
                    continue;
                }
            },
        };
        let Ok(stars) = cell(Some(rating)).parse::<i64>() else {
            refused.push(refuse(format!(
                "rating {:?} is not a number from 1 to 5",
                cell(Some(rating))
            )));
            continue;
        };
        let status = match cell(curated).to_ascii_lowercase().as_str() {
            "" | "ok" | "published" => ReviewStatus::Published,
            "spam" | "hidden" | "rejected" => ReviewStatus::Rejected,
            _ => ReviewStatus::Pending,
        };
        // A stable id from what identifies the review in the file.
        let fingerprint =
            format!("{product}|{}|{created_at}|{}", cell(Some(name)), cell(Some(body)));
        let id = format!("jm-{:016x}", fnv1a(fingerprint.as_bytes()));
        let input = ReviewInput {
            id,
            product: product.to_string(),
            rating: stars,
            title: cell(title).to_owned(),
            body: cell(Some(body)).to_owned(),
            author: cell(Some(name)).to_owned(),
            // Judge.me marks verified buyers by source; anything else is unverified here.
            verified: cell(source).eq_ignore_ascii_case("verified-buyer"),
            status,
            created_at,
        };
        if let Err(e) = input.clone().validate() {
            refused.push(refuse(e.to_string()));
            continue;
        }
        let reply = match cell(reply) {
            "" => None,
            text => {
                match MerchantReply::new(text, parse_date(cell(reply_date)).unwrap_or(created_at)) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        refused.push(refuse(format!("reply {e}")));
                        continue;
                    }
                }
            }
        };
        taken.push(ImportRow { line, review: input, reply });
    }
    Ok((taken, refused))
}

/// 64-bit FNV-1a: a stable, dependency-free fingerprint (not a security boundary).
fn fnv1a(data: &[u8]) -> u64 {
    data.iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "title,body,rating,review_date,source,curated,reviewer_name,reviewer_email,product_id,product_handle,reply,reply_date,picture_urls,ip_address,location\n";

    fn known(sku: &Sku) -> bool {
        ["trail-mug", "TENT-2P"].contains(&sku.as_str())
    }

    #[test]
    fn takes_good_rows_and_says_why_it_refuses_the_others() {
        let csv = format!(
            "{HEADER}\
Great,\"Warm, light.\",5,2024-03-09 10:00:00 UTC,verified-buyer,ok,Ada L.,ada@example.com,111,trail-mug,Thanks Ada!,2024-03-10,,1.2.3.4,UK\n\
Meh,Too small,2,2024-03-10,web,not-yet,Bo,bo@example.com,222,TENT-2P,,,,,\n\
,No product,4,2024-03-10,web,ok,Cy,,999,ghost,,,,,\n\
Zero,Bad rating,0,2024-03-10,web,ok,Di,,111,trail-mug,,,,,\n\
Spam,Buy now,5,2024-03-11,web,spam,Ed,,111,trail-mug,,,,,\n\
Date,Bad date,4,last tuesday,web,ok,Fi,,111,trail-mug,,,,,\n\
Empty,,4,2024-03-10,web,ok,Gu,,111,trail-mug,,,,,\n"
        );
        let (taken, refused) = judge_me(&csv, known, 0).unwrap();
        let summary: Vec<_> =
            taken.iter().map(|r| (r.line, r.review.product.as_str(), r.review.status)).collect();
        assert_eq!(
            summary,
            [
                (2, "trail-mug", ReviewStatus::Published),
                (3, "TENT-2P", ReviewStatus::Pending),
                (6, "trail-mug", ReviewStatus::Rejected)
            ]
        );
        assert!(taken[0].review.verified);
        assert_eq!(taken[0].review.body, "Warm, light.");
        assert_eq!(taken[0].reply.as_ref().map(|r| r.body.as_str()), Some("Thanks Ada!"));
        let reasons: Vec<_> = refused.iter().map(|r| r.line).collect();
        assert_eq!(reasons, [4, 5, 7, 8]);
        assert!(refused[0].reason.contains("no catalog product"));
        assert!(refused[1].reason.contains("rating"));
        assert!(refused[2].reason.contains("not a date"));
        assert!(refused[3].reason.contains("body"));

        // The same file imports to the same ids.
        let (again, _) = judge_me(&csv, known, 0).unwrap();
        assert_eq!(
            taken.iter().map(|r| &r.review.id).collect::<Vec<_>>(),
            again.iter().map(|r| &r.review.id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_file_without_the_needed_columns_is_refused_whole() {
        assert!(matches!(
            judge_me("title,stars\nx,5\n", known, 0),
            Err(ImportError::MissingColumn("body"))
        ));
        assert!(matches!(judge_me("\"broken\n", known, 0), Err(ImportError::Csv(_))));
        let (taken, refused) = judge_me("", known, 0).unwrap();
        assert!(taken.is_empty() && refused.is_empty());
    }
}
