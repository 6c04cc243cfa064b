//! Usage & Spend commands: load a period (several rollup queries in keyward-core),
//! render its charts for the screen, export a chart's table as CSV, the chart as PNG
//! or SVG, or the monthly statement, each through a save dialog; and the price table.
//! The last view stays in Rust (`UsageSession`), so exports are exactly what is shown.

use keyward_core::charts::Theme;
use keyward_core::platform::model::ProjectRef;
use keyward_core::prices::{ModelPrice, PriceTable};
use keyward_core::usage::{self, UsageRequest, UsageScreen, UsageSession};
use keyward_core::workloads::FieldProblem;
use keyward_core::ErrorCode;
use keyward_core::{Console, Error};
use serde::{Deserialize, Serialize};
use tauri::State;

fn prices(console: &Console) -> PriceTable {
    PriceTable::new(console.store().pool().clone())
}

fn check_width(width: u32) -> Result<(), Error> {
    if (200..=4000).contains(&width) {
        Ok(())
    } else {
        Err(Error::field("width", "width must be 200–4000 pixels."))
    }
}

#[tauri::command]
#[specta::specta]
pub async fn usage_view(
    request: UsageRequest,
    theme: Theme,
    width: u32,
    console: State<'_, Console>,
    session: State<'_, UsageSession>,
) -> Result<UsageScreen, Error> {
    check_width(width)?;
    let (profile, platform) = console.active_platform().await?;
    let table = prices(&console).prices().await?;
    let view = usage::load_view(
        platform.as_ref(),
        &profile,
        &request,
        &table,
        chrono::Utc::now(),
    )
    .await?;
    let screen = usage::screen(&view, theme, width)?;
    session.remember(view);
    Ok(screen)
}

/// Re-renders the last view (theme switch, window resize) without asking the platform.
#[tauri::command]
#[specta::specta]
pub async fn rerender_usage(
    theme: Theme,
    width: u32,
    session: State<'_, UsageSession>,
) -> Result<UsageScreen, Error> {
    check_width(width)?;
    session.with_view(|view| usage::screen(view, theme, width))?
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum ChartFormat {
    Png,
    Svg,
}

fn check_chart_id(id: &str) -> Result<(), Error> {
    if !id.is_empty() && id.len() <= 40 && id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        Ok(())
    } else {
        Err(Error::field(
            "chart_id",
            "chart_id names a chart on the screen, e.g. tokens.",
        ))
    }
}

/// Exports the table behind a chart as CSV. `None` when the user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn export_usage_csv(
    chart_id: String,
    session: State<'_, UsageSession>,
    app: tauri::AppHandle,
) -> Result<Option<String>, Error> {
    check_chart_id(&chart_id)?;
    let (csv, name) = session.with_chart(&chart_id, |c| {
        (usage::to_csv(&c.table), format!("keyward-{}.csv", c.id))
    })?;
    save(&app, &name, "CSV", "csv", csv.into_bytes()).await
}

impl From<ChartFormat> for usage::ImageFormat {
    fn from(format: ChartFormat) -> Self {
        match format {
            ChartFormat::Png => Self::Png,
            ChartFormat::Svg => Self::Svg,
        }
    }
}

/// Exports a chart as PNG or SVG in the given theme, its period, zone and filters
/// written under its title. `None` when the user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn export_usage_chart(
    chart_id: String,
    format: ChartFormat,
    theme: Theme,
    width: u32,
    session: State<'_, UsageSession>,
    app: tauri::AppHandle,
) -> Result<Option<String>, Error> {
    check_chart_id(&chart_id)?;
    check_width(width)?;
    let bytes = session
        .with_view(|view| usage::export_chart(view, &chart_id, format.into(), theme, width))??;
    let (label, ext) = match format {
        ChartFormat::Png => ("PNG image", "png"),
        ChartFormat::Svg => ("SVG image", "svg"),
    };
    save(
        &app,
        &format!("keyward-{chart_id}.{ext}"),
        label,
        ext,
        bytes,
    )
    .await
}

/// The monthly statement (per key × model: requests, tokens, spend) as CSV.
#[tauri::command]
#[specta::specta]
pub async fn export_statement(
    month: String,
    time_zone: String,
    project_id: Option<String>,
    console: State<'_, Console>,
    app: tauri::AppHandle,
) -> Result<Option<String>, Error> {
    let (profile, platform) = console.active_platform().await?;
    let table = prices(&console).prices().await?;
    let statement = usage::statement(
        platform.as_ref(),
        &profile,
        project_id.as_deref(),
        &month,
        &time_zone,
        &table,
    )
    .await?;
    save(
        &app,
        &format!("keyward-statement-{month}.csv"),
        "CSV",
        "csv",
        usage::to_csv(&statement).into_bytes(),
    )
    .await
}

/// Debug builds only: write exports into this directory instead of asking (the e2e
/// tests cannot drive a native save dialog).
#[cfg(debug_assertions)]
const EXPORT_DIR_ENV: &str = "KEYWARD_E2E_EXPORT_DIR";

/// Asks where to save (native dialog, Rust side: the webview never names a path) and
/// writes the file. Returns the file name, or `None` when cancelled.
async fn save(
    app: &tauri::AppHandle,
    name: &str,
    label: &str,
    ext: &str,
    bytes: Vec<u8>,
) -> Result<Option<String>, Error> {
    use tauri_plugin_dialog::DialogExt;
    #[cfg(debug_assertions)]
    if let Some(dir) = std::env::var_os(EXPORT_DIR_ENV) {
        return write(&std::path::Path::new(&dir).join(name), &bytes).map(Some);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title(format!("Save {label}"))
        .set_file_name(name)
        .add_filter(label, &[ext])
        .save_file(move |picked| {
            let _ = tx.send(picked);
        });
    let Some(picked) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let path = picked.into_path().map_err(|_| {
        Error::new(
            ErrorCode::InvalidInput,
            "Keyward can only save to a local file.",
        )
    })?;
    write(&path, &bytes).map(Some)
}

/// Writes `bytes` to `path` atomically: into a temporary file beside it, then renamed
/// over it. An export interrupted half-way (disk full, crash) never leaves a truncated
/// statement that looks complete, and whoever watches the folder sees the file only
/// once it is whole.
fn write(path: &std::path::Path, bytes: &[u8]) -> Result<String, Error> {
    use std::io::Write;
    let failed = |e: std::io::Error| {
        Error::new(
            ErrorCode::Internal,
            format!("Keyward could not write {}: {e}.", path.display()),
        )
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.as_file().sync_all().map_err(failed)?;
    file.persist(path).map_err(|e| failed(e.error))?;
    Ok(path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default())
}

/// The projects the active profile's token may read, for the project filter.
#[tauri::command]
#[specta::specta]
pub async fn usage_projects(console: State<'_, Console>) -> Result<Vec<ProjectRef>, Error> {
    let (profile, platform) = console.active_platform().await?;
    platform.list_projects(&profile).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_prices(console: State<'_, Console>) -> Result<Vec<ModelPrice>, Error> {
    prices(&console).list().await
}

/// Every bad field of the price form by the table's own rules, without saving: the
/// dialog shows them under their inputs.
#[tauri::command]
#[specta::specta]
pub fn check_price_form(price: ModelPrice) -> Vec<FieldProblem> {
    keyward_core::prices::problems(&price)
}

#[tauri::command]
#[specta::specta]
pub async fn set_price(
    price: ModelPrice,
    console: State<'_, Console>,
) -> Result<ModelPrice, Error> {
    prices(&console).set(&price, chrono::Utc::now()).await
}

#[tauri::command]
#[specta::specta]
pub async fn remove_price(model: String, console: State<'_, Console>) -> Result<(), Error> {
    if model.is_empty() || model.len() > 800 {
        return Err(Error::field("model", "model must name a priced model."));
    }
    prices(&console).remove(&model).await
}

#[cfg(test)]
mod tests {
    use super::write;

    #[test]
    fn an_export_replaces_the_file_whole_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyward-tokens.csv");
        std::fs::write(&path, "old,longer,content\n1,2,3\n").unwrap();
        assert_eq!(
            write(&path, b"requests\n10\n").unwrap(),
            "keyward-tokens.csv"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "requests\n10\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            vec!["keyward-tokens.csv"],
            "no temporary file is left"
        );
    }

    #[test]
    fn a_folder_that_cannot_be_written_is_named_in_the_error() {
        let path = std::path::Path::new("/nonexistent-keyward-dir/statement.csv");
        let err = write(path, b"x").unwrap_err();
        assert!(
            err.message.contains("/nonexistent-keyward-dir"),
            "{}",
            err.message
        );
    }
}
