//! Calendar arithmetic on Unix seconds (UTC), without a date library: Howard Hinnant's
//! days-from-civil and civil-from-days algorithms, and the timestamp formats the platforms send.

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1-12, day 1-31, UTC) of Unix seconds.
pub fn civil_from_unix(unix_seconds: i64) -> (i64, i64, i64) {
    let days = unix_seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DD` (UTC) of Unix seconds.
pub fn iso_date(unix_seconds: i64) -> String {
    let (year, month, day) = civil_from_unix(unix_seconds);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Is `year` a Gregorian leap year?
pub fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Unix seconds of `2024-03-09`, `2024-03-09 14:05:00 UTC`, `2024-03-09T14:05:00Z`,
/// `2008-01-10T11:00:00-05:00` or `2024-03-09T14:05:00.123+01:00`. A missing offset is UTC.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = s.split_at(s.find([' ', 'T']).unwrap_or(s.len()));
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    if d.next().is_some()
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || !(1970..=9999).contains(&year)
    {
        return None;
    }
    let rest = rest.trim_start_matches([' ', 'T']).trim_end_matches(" UTC");
    // Split the clock from an offset: `Z`, `+01:00`, `-05:00`.
    let (clock, offset_seconds) = match rest.find(['Z', '+', '-']) {
        Some(i) => {
            let (clock, zone) = rest.split_at(i);
            let offset = match zone {
                "Z" => 0,
                z => {
                    let sign = if z.starts_with('-') { -1 } else { 1 };
                    let z = &z[1..];
                    let (h, m) = match z.split_once(':') {
                        Some(hm) => hm,
                        None if z.len() == 4 && z.is_char_boundary(2) => z.split_at(2),
                        None => (z, "0"),
                    };
                    let (h, m) = (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
                    // Real offsets are within ±14:00; anything else is not a timestamp.
                    if !(0..=14).contains(&h) || !(0..=59).contains(&m) {
                        return None;
                    }
                    sign * (h * 3600 + m * 60)
                }
            };
            (clock, offset)
        }
        None => (rest, 0),
    };
    let clock = clock.split('.').next().unwrap_or("");
    let mut t = clock.split(':').filter(|p| !p.is_empty()).map(|p| p.parse::<i64>().ok());
    let hours = t.next().map_or(Some(0), |h| h)?;
    let minutes = t.next().map_or(Some(0), |m| m)?;
    let seconds = t.next().map_or(Some(0), |s| s)?;
    if hours > 23 || minutes > 59 || seconds > 60 {
        return None;
    }
    Some(
        days_from_civil(year, month, day) * 86_400 + hours * 3600 + minutes * 60 + seconds
            - offset_seconds,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for (unix, want) in [
            (0, "1970-01-01"),
            (951_782_400, "2000-02-29"),
            (1_780_000_000, "2026-05-28"),
            (-86_400, "1969-12-31"),
        ] {
            assert_eq!(iso_date(unix), want, "{unix}");
        }
    }

    #[test]
    fn timestamps() {
        let table = [
            ("1970-01-01", Some(0)),
            ("2026-05-28 20:26:40 UTC", Some(1_780_000_000)),
            ("2026-05-28T20:26:40Z", Some(1_780_000_000)),
            ("2026-05-28T21:26:40+01:00", Some(1_780_000_000)),
            ("2026-05-28T15:26:40.250-05:00", Some(1_780_000_000)),
            ("2008-01-10T11:00:00-05:00", Some(1_199_980_800)),
            ("", None),
            ("yesterday", None),
            ("2026-13-01", None),
            ("2026-05", None),
            ("2026-05-28T25:00:00Z", None),
            ("2026-05-28T21:26:40+0100", Some(1_780_000_000)),
            ("2026-05-28T20:26:40+15:00", None),
            ("2026-05-28T20:26:40+99999999999999999:00", None),
            ("2026-05-28T20:26:40-9223372036854775807", None),
            ("2026-05-28T20:26:40+01:9223372036854775807", None),
            ("2026-05-28T99999999999999999999:00:00Z", None),
        ];
        for (s, want) in table {
            assert_eq!(parse_timestamp(s), want, "{s}");
        }
    }
}
