//! Turns an existing Tinybird project folder into Rust source with the derives
//! (`atel_sdk::codegen`): one `#[derive(Datasource)]` struct per `.datasource`, one `#[pipe]` params
//! struct per `.pipe`.
//!
//! ```text
//! cargo run -p atel-examples --example codegen -- DIR           # the source on stdout
//! cargo run -p atel-examples --example codegen -- DIR -o out.rs # written to out.rs
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut dir = None;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-o" | "--out" => match args.next() {
                Some(path) => out = Some(PathBuf::from(path)),
                None => return fail("-o needs a file"),
            },
            other if other.starts_with('-') => {
                return fail(&format!(
                    "unknown option `{other}` (usage: codegen DIR [-o out.rs])"
                ));
            }
            other if dir.is_none() => dir = Some(PathBuf::from(other)),
            other => return fail(&format!("unexpected argument `{other}`: one DIR only")),
        }
    }
    let Some(dir) = dir else {
        return fail("usage: codegen DIR [-o out.rs]");
    };
    let source = match atel_sdk::codegen::generate(&dir) {
        Ok(source) => source,
        Err(err) => return fail(&err.to_string()),
    };
    let written = match &out {
        Some(path) => std::fs::write(path, &source).map_err(|e| format!("{}: {e}", path.display())),
        None => std::io::stdout()
            .write_all(source.as_bytes())
            .map_err(|e| format!("stdout: {e}")),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "codegen: {message}");
    ExitCode::FAILURE
}
