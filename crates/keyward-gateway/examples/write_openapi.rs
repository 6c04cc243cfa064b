//! Regenerates `docs/openapi.json` from the gateway's routes and wire types:
//! `cargo run -p keyward-gateway --example write_openapi`. The test
//! `openapi::the_served_document_is_current_and_committed` only compares, so a test
//! run never rewrites a committed file; this is the one command that does.

fn main() -> std::io::Result<()> {
    let path = keyward_gateway::openapi::committed_path();
    let generated = keyward_gateway::openapi::committed_text();
    if std::fs::read_to_string(&path).unwrap_or_default() == generated {
        eprintln!("{} is current", path.display());
    } else {
        std::fs::write(&path, generated)?;
        eprintln!("{} regenerated; review and commit it", path.display());
    }
    Ok(())
}
