//! Regenerates `ui/src/lib/bindings.ts` from the IPC commands, and the UI's Keyward
//! capabilities fixture (`ui/src/lib/capabilities/keyward.json`):
//! `cargo run -p keyward-app --example write_bindings`. The test
//! `committed_bindings_are_current` only compares, so a test run never rewrites a
//! committed file; this is the one command that does.

use keyward_app::commands;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    write(&commands::bindings_path(), commands::render_bindings()?)?;
    write(
        &commands::capabilities_fixture_path(),
        commands::render_capabilities_fixture(),
    )
}

fn write(path: &std::path::Path, generated: String) -> Result<(), Box<dyn std::error::Error>> {
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == generated {
        eprintln!("{} is current", path.display());
    } else {
        std::fs::write(path, generated)?;
        eprintln!("{} regenerated; review and commit it", path.display());
    }
    Ok(())
}
