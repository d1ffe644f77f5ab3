//! The overview page: the relationship per week, as SVG charts with their figures in a table
//! beside each. One read of the shop's overview object (`shared::overview` has the arithmetic);
//! nothing is counted on a page view.

use rapport_shared::overview::{liability_minor, point_value, week_of, Overview, Row};

use super::*;
use crate::objects::{call, overview};

/// Weeks on the page, ending with the current one.
const WEEKS: usize = 12;

/// One series of a chart.
struct Series<'a> {
    name: &'a str,
    colour: &'a str,
    values: Vec<f64>,
}

/// A grouped bar chart of `series` over the weeks, labelled for assistive technology (the
/// table beside it has the same figures).
fn chart(id: &str, title: &str, weeks: &[String], series: &[Series<'_>], unit: &str) -> String {
    const W: f64 = 560.0;
    const H: f64 = 180.0;
    const LEFT: f64 = 44.0;
    const BOTTOM: f64 = 22.0;
    let max = series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0f64, f64::max);
    let top = nice_ceiling(max);
    let slot = (W - LEFT) / weeks.len().max(1) as f64;
    let bar = (slot * 0.8) / series.len().max(1) as f64;
    let y = |v: f64| (H - BOTTOM) * (1.0 - v / top);
    let mut svg = format!(
        "<svg viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" aria-labelledby=\"{id}-title\" \
         focusable=\"false\"><title id=\"{id}-title\">{}</title>\
         <line x1=\"{LEFT}\" y1=\"{b}\" x2=\"{W}\" y2=\"{b}\" stroke=\"#767676\"/>\
         <text x=\"{tx}\" y=\"12\" text-anchor=\"end\" font-size=\"11\" fill=\"#444\">{}</text>\
         <text x=\"{tx}\" y=\"{b}\" text-anchor=\"end\" font-size=\"11\" fill=\"#444\">0</text>",
        esc(title),
        esc(&format!("{}{unit}", number(top))),
        b = H - BOTTOM,
        tx = LEFT - 6.0,
    );
    for (i, week) in weeks.iter().enumerate() {
        let x0 = LEFT + slot * i as f64 + slot * 0.1;
        for (j, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0.0).max(0.0);
            let (top_y, x) = (y(v), x0 + bar * j as f64);
            svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{top_y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>",
                (bar - 1.0).max(1.0),
                (H - BOTTOM - top_y).max(0.0),
                s.colour
            ));
        }
        // Every other week's date, so the labels do not collide.
        if i % 2 == weeks.len() % 2 {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">{}</text>",
                x0 + slot * 0.4,
                H - 6.0,
                esc(&week[5..])
            ));
        }
    }
    svg.push_str("</svg>");
    let legend: String = series
        .iter()
        .map(|s| {
            format!(
                "<li><span class=\"swatch\" style=\"background:{}\"></span>{}</li>",
                s.colour,
                esc(s.name)
            )
        })
        .collect();
    format!("<figure class=\"chart\">{svg}<figcaption><ul class=\"legend\">{legend}</ul></figcaption></figure>")
}

/// The smallest of 1, 2 or 5 times a power of ten at or above `v` (at least 1).
fn nice_ceiling(v: f64) -> f64 {
    let mut step = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * step >= v {
                return m * step;
            }
        }
        step *= 10.0;
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

fn decimal(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

/// A table of the weeks: `columns` names each figure, `cell` gives row `r`'s figures.
fn table(
    caption: &str,
    columns: &[&str],
    rows: &[Row],
    cell: impl Fn(&Row) -> Vec<String>,
) -> String {
    let head: String = columns.iter().map(|c| format!("<th scope=\"col\">{c}</th>")).collect();
    let body: String = rows
        .iter()
        .rev()
        .map(|r| {
            let cells: String = cell(r).iter().map(|c| format!("<td>{c}</td>")).collect();
            format!("<tr><th scope=\"row\">{}</th>{cells}</tr>", r.starts)
        })
        .collect();
    format!(
        "<table class=\"figures\"><caption>{caption}</caption><thead><tr><th scope=\"col\">Week of</th>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
}

fn overview_page(me: &SignedIn, rows: &[Row], currency: &str, value: Option<(i64, i64)>) -> String {
    let weeks: Vec<String> = rows.iter().map(|r| r.starts.clone()).collect();
    let last = rows.last();
    let f = |pick: fn(&Row) -> f64| rows.iter().map(pick).collect::<Vec<f64>>();
    let received: i64 = rows.iter().map(|r| r.reviews).sum();
    let outstanding = last.map_or(0, |r| r.points_outstanding);
    let liability = value.map(|v| money(liability_minor(outstanding, v), currency));
    let mut body = String::from("<h1>Overview</h1>");
    let _ = write!(
        body,
        "<p class=\"muted\">The last {WEEKS} weeks, Monday to Sunday (UTC). Figures arrive as reviews, \
         points and orders do.</p><dl class=\"totals\">\
         <div><dt>Reviews in {WEEKS} weeks</dt><dd id=\"total-reviews\">{received}</dd></div>\
         <div><dt>Loyalty members</dt><dd id=\"total-members\">{}</dd></div>\
         <div><dt>Points outstanding</dt><dd id=\"total-outstanding\">{outstanding}{}</dd></div>\
         <div><dt>Repeat-purchase rate</dt><dd id=\"total-repeat\">{}</dd></div>\
         <div><dt>Orders per customer</dt><dd id=\"total-orders\">{}</dd></div></dl>",
        last.map_or(0, |r| r.members),
        liability.as_ref().map(|l| format!(" <span class=\"muted\">(worth {l})</span>")).unwrap_or_default(),
        percent(last.and_then(|r| r.repeat_rate)),
        decimal(last.and_then(|r| r.orders_per_customer), 2),
    );
    let section = |heading: &str, chart: String, table: String| {
        // A table of many columns goes under its chart.
        let layout = if table.matches("scope=\"col\"").count() > 4 { "stack" } else { "pair" };
        format!("<section class=\"panel\"><h2>{heading}</h2><div class=\"{layout}\">{chart}{table}</div></section>")
    };
    body.push_str(&section(
        "Reviews",
        chart(
            "reviews-chart",
            "Reviews received per week",
            &weeks,
            &[Series {
                name: "Reviews received",
                colour: "#0b57d0",
                values: f(|r| r.reviews as f64),
            }],
            "",
        ),
        table("Reviews per week", &["Received", "Average rating", "Verified"], rows, |r| {
            vec![r.reviews.to_string(), decimal(r.average_rating, 1), percent(r.verified_share)]
        }),
    ));
    body.push_str(&section(
        "Loyalty",
        chart(
            "points-chart",
            "Points issued, redeemed and expired per week",
            &weeks,
            &[
                Series { name: "Issued", colour: "#0b57d0", values: f(|r| r.points_issued as f64) },
                Series {
                    name: "Redeemed",
                    colour: "#1e7a34",
                    values: f(|r| r.points_redeemed as f64),
                },
                Series {
                    name: "Expired",
                    colour: "#b3261e",
                    values: f(|r| r.points_expired as f64),
                },
            ],
            "",
        ),
        table(
            "Points per week, and the standing at each week's end",
            &["Members", "Issued", "Redeemed", "Expired", "Outstanding", "Worth", "Reminders sent"],
            rows,
            |r| {
                vec![
                    r.members.to_string(),
                    r.points_issued.to_string(),
                    r.points_redeemed.to_string(),
                    r.points_expired.to_string(),
                    r.points_outstanding.to_string(),
                    value.map_or_else(
                        || "–".to_owned(),
                        |v| money(liability_minor(r.points_outstanding, v), currency),
                    ),
                    r.reminders.to_string(),
                ]
            },
        ),
    ));
    body.push_str(&section(
        "Repeat customers",
        chart(
            "repeat-chart",
            "Repeat-purchase rate at each week's end",
            &weeks,
            &[Series {
                name: "Customers with two or more paid orders",
                colour: "#7a4d00",
                values: f(|r| r.repeat_rate.unwrap_or(0.0) * 100.0),
            }],
            "%",
        ),
        table(
            "Repeat purchases, among customers with a paid order by each week's end",
            &["Repeat-purchase rate", "Orders per customer"],
            rows,
            |r| vec![percent(r.repeat_rate), decimal(r.orders_per_customer, 2)],
        ),
    ));
    let _ = write!(
        body,
        "<p class=\"muted\">Points are worth what the best reward gives for them. Repeat purchases count \
         customers with an account; guest orders cannot be told apart.</p>"
    );
    document("Overview", Some((me, Section::Overview)), &body)
}

/// The shop's currency, the last `weeks` rows and what a point is worth.
async fn figures(
    env: &Env,
    shop: &ShopId,
    weeks: usize,
) -> Result<(ShopSettings, Vec<Row>, Option<(i64, i64)>), ApiError> {
    let settings = Store::open(env)?.existing_shop(shop).await?;
    let figures: Overview =
        call(env, overview::BINDING, &overview::name(shop), &overview::Command::Read).await?;
    let rows = figures.rows(week_of(now()), weeks);
    let value = settings.loyalty.as_ref().and_then(point_value);
    Ok((settings, rows, value))
}

/// `GET /v1/admin/shops/{shop}/overview[?weeks=N]` (1 to 520, 12 by default).
pub async fn overview_json(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let weeks = match query(req)?.get("weeks") {
        None => WEEKS,
        Some(n) => n
            .parse()
            .ok()
            .filter(|n| (1..=520).contains(n))
            .ok_or_else(|| ApiError::bad_request("invalid_field", "`weeks` is 1 to 520"))?,
    };
    let (settings, rows, value) = figures(env, shop, weeks).await?;
    let worth = |points: i64| value.map(|v| liability_minor(points, v));
    let weeks: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let mut row = serde_json::to_value(r).unwrap_or_default();
            row["outstanding_worth_minor"] = serde_json::json!(worth(r.points_outstanding));
            row
        })
        .collect();
    let body = serde_json::json!({ "currency": settings.currency, "weeks": weeks });
    Ok(crate::http::json(&body, 200)?)
}

/// `GET /admin/{shop}/overview`
pub async fn overview(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (me, cookie) = match page_session(req, env, shop).await? {
        Ok(s) => s,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let (settings, rows, value) = figures(env, shop, WEEKS).await?;
    let html = overview_page(&me, &rows, settings.currency.as_str(), value);
    with_cookie(page(200, html)?, cookie)
}
