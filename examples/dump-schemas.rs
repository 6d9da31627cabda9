//! Writes the telemetry project's Tinybird datafiles into `tinybird/`, or checks them.
//!
//! ```text
//! cargo run --example dump-schemas            # write tinybird/datasources/*.datasource, tinybird/endpoints/*.pipe
//! cargo run --example dump-schemas -- --check # exit 1 with a diff when the committed files differ
//! cargo run --example dump-schemas -- --out DIR
//! ```
//!
//! The project is `atel_sdk::telemetry::project()`: an `atel_sdk::project::Project`, whose `write`
//! and `check` do the work (and which any Rust team can build for its own project).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use atel_sdk::telemetry;

fn main() -> ExitCode {
    let mut check = false;
    let mut out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tinybird");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--out" => match args.next() {
                Some(dir) => out = PathBuf::from(dir),
                None => return fail("--out needs a directory"),
            },
            other => {
                return fail(&format!(
                    "unknown argument `{other}` (expected --check or --out DIR)"
                ));
            }
        }
    }
    let project = telemetry::project();
    let mut stdout = std::io::stdout().lock();
    if check {
        return match project.check(&out) {
            Ok(()) => {
                let _ = writeln!(
                    stdout,
                    "tinybird/: {} datafiles match the code",
                    project.files().count()
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                let _ = writeln!(stdout, "{error}");
                let _ = writeln!(
                    stdout,
                    "tinybird/ differs from the code; run `cargo run --example dump-schemas`"
                );
                ExitCode::FAILURE
            }
        };
    }
    match project.write(&out) {
        Ok(written) => {
            for path in &written.written {
                let _ = writeln!(stdout, "wrote {path}");
            }
            for path in &written.removed {
                let _ = writeln!(stdout, "removed {path}");
            }
            let _ = writeln!(stdout, "{} unchanged", written.unchanged);
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "dump-schemas: {message}");
    ExitCode::FAILURE
}
