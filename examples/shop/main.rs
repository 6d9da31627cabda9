//! Writes the storefront project's datafiles into `examples/shop/tinybird/`, or checks them.
//!
//! ```text
//! cargo run -p atel-examples --example shop              # write them
//! cargo run -p atel-examples --example shop -- --check   # exit 1 naming every file that differs
//! ```

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use atel_examples::shop;

fn main() -> ExitCode {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shop/tinybird");
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => return fail(&format!("unknown argument `{other}` (expected --check)")),
    };
    let project = shop::project();
    if check {
        return match project.check(&dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => fail(&error.to_string()),
        };
    }
    match project.write(&dir) {
        Ok(written) => {
            let mut out = std::io::stdout().lock();
            for path in &written.written {
                let _ = writeln!(out, "wrote {path}");
            }
            for path in &written.removed {
                let _ = writeln!(out, "removed {path}");
            }
            let _ = writeln!(out, "{} unchanged", written.unchanged);
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "shop: {message}");
    ExitCode::FAILURE
}
