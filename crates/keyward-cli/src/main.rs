//! The `kw` binary; everything is in the library (`keyward_cli`), so its parts can be
//! tested and, later, shared.

fn main() -> std::process::ExitCode {
    keyward_cli::main()
}
