//! Cursor paging over an ordered list, as both platforms' list endpoints do it: a page
//! starts after (or ends before) the object whose id is the cursor, and says whether
//! more objects follow.

/// A cursor that names no object in the list.
#[derive(Debug)]
pub(crate) struct UnknownCursor;

/// The `limit` items following the one with id `after` (from the start without it).
pub(crate) fn page_after<'a, T>(
    items: &'a [T],
    id: impl Fn(&T) -> &str,
    after: Option<&str>,
    limit: usize,
) -> Result<(&'a [T], bool), UnknownCursor> {
    let from = match after {
        None => 0,
        Some(cursor) => {
            items
                .iter()
                .position(|i| id(i) == cursor)
                .ok_or(UnknownCursor)?
                + 1
        }
    };
    let to = (from + limit).min(items.len());
    Ok((&items[from..to], to < items.len()))
}

/// The `limit` items just before the one with id `before`; "more" means more before.
pub(crate) fn page_before<'a, T>(
    items: &'a [T],
    id: impl Fn(&T) -> &str,
    before: &str,
    limit: usize,
) -> Result<(&'a [T], bool), UnknownCursor> {
    let to = items
        .iter()
        .position(|i| id(i) == before)
        .ok_or(UnknownCursor)?;
    let from = to.saturating_sub(limit);
    Ok((&items[from..to], from > 0))
}
