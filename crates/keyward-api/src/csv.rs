//! CSV as Keyward writes it everywhere: the gateway's usage routes (`Accept: text/csv`)
//! and the console's exports. One writer, so a spreadsheet gets the same quoting and the
//! same formula guard from both: key names and labels come from users, and a cell such
//! as `=HYPERLINK(…)` must stay text when finance opens the file.

/// A CSV document (RFC 4180 quoting, `\n` line ends) of a header row and data rows.
/// A cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
/// CR, and not a number) is prefixed with `'`.
pub fn document<H, R, C>(header: H, rows: R) -> String
where
    H: IntoIterator,
    H::Item: AsRef<str>,
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    record(&mut writer, header);
    for row in rows {
        record(&mut writer, row);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn record<T: AsRef<str>>(writer: &mut ::csv::Writer<Vec<u8>>, cells: impl IntoIterator<Item = T>) {
    let cells: Vec<T> = cells.into_iter().collect();
    let guarded: Vec<_> = cells.iter().map(|c| guard(c.as_ref())).collect();
    // Writing into a Vec cannot fail.
    let _ = writer.write_record(guarded.iter().map(|c| c.as_bytes()));
}

fn guard(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if cell.parse::<f64>().is_err() => {
            format!("'{cell}").into()
        }
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::document;

    #[test]
    fn cells_are_quoted_and_formulas_stay_text() {
        let csv = document(
            ["name", "tokens"],
            [
                vec!["=cmd|' /C calc'!A0", "-12"],
                vec!["a, \"quoted\" name", "+3"],
                vec!["@SUM(A1)", "7"],
                vec!["-rf", "0"],
            ],
        );
        assert_eq!(
            csv,
            "name,tokens\n'=cmd|' /C calc'!A0,-12\n\"a, \"\"quoted\"\" name\",+3\n'@SUM(A1),7\n'-rf,0\n"
        );
    }

    #[test]
    fn an_empty_table_is_its_header() {
        assert_eq!(document(["a", "b"], Vec::<Vec<String>>::new()), "a,b\n");
    }
}
