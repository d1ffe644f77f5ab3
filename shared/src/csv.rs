//! RFC 4180 CSV, both ways: quoted fields with `""` escapes and line breaks inside quotes, CRLF
//! or LF rows. Small enough to own; the review import and export are its only users.

use core::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line where the problem was found.
    pub line: usize,
    pub problem: &'static str,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

/// Parses `text` into records, each with the line it starts on. Blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    let mut field_started_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !field_started_quoted => {
                quoted = true;
                field_started_quoted = true;
            }
            '"' => return Err(CsvError { line, problem: "a quote inside an unquoted field" }),
            ',' => {
                record.push(std::mem::take(&mut field));
                field_started_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                field_started_quoted = false;
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push((start, std::mem::take(&mut record)));
                }
                record.clear();
                line += 1;
                start = line;
            }
            _ if field_started_quoted => {
                return Err(CsvError { line, problem: "text after a closing quote" })
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(CsvError { line, problem: "a quoted field is never closed" });
    }
    if !field.is_empty() || field_started_quoted || !record.is_empty() {
        record.push(field);
        records.push((start, record));
    }
    Ok(records)
}

/// One CSV row, quoting the fields that need it. Fields starting with `=`, `+`, `-` or `@` get a
/// leading `'`, so a spreadsheet opening an export does not run a review as a formula.
pub fn row<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = f.as_ref();
        let f = if f.starts_with(['=', '+', '-', '@']) { format!("'{f}") } else { f.to_owned() };
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|(_, r)| r).collect()
    }

    #[test]
    fn parses_quoting_escapes_and_line_breaks() {
        assert_eq!(fields("a,b\r\n1,2\n"), vec![vec!["a", "b"], vec!["1", "2"]]);
        assert_eq!(fields("\"x, y\",\"say \"\"hi\"\"\"\n"), vec![vec!["x, y", "say \"hi\""]]);
        assert_eq!(fields("\"two\nlines\",z"), vec![vec!["two\nlines", "z"]]);
        assert_eq!(fields("a,,\n\n\nb"), vec![vec!["a", "", ""], vec!["b"]]);
        assert_eq!(fields("\u{feff}h\n"), vec![vec!["h"]]);
        assert_eq!(fields("\"\",x"), vec![vec!["", "x"]]);
        let with_lines = parse("h\n\"a\nb\"\nc").unwrap();
        assert_eq!(with_lines.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [1, 2, 4]);
    }

    #[test]
    fn refuses_broken_quoting() {
        assert_eq!(parse("\"open").unwrap_err().problem, "a quoted field is never closed");
        assert_eq!(parse("a\"b").unwrap_err().problem, "a quote inside an unquoted field");
        assert_eq!(parse("\"a\"b").unwrap_err().problem, "text after a closing quote");
    }

    #[test]
    fn rows_round_trip_and_defuse_formulas() {
        let r = row(&["plain", "with, comma", "quote \"q\"", "line\nbreak", "=HYPERLINK(1)"]);
        assert_eq!(
            fields(&r),
            vec![vec!["plain", "with, comma", "quote \"q\"", "line\nbreak", "'=HYPERLINK(1)"]]
        );
    }
}
