//! `atel-hooks`: Claude Code hooks that record agent, skill and API usage into Tinybird.
//!
//! Until the hooks land, the binary only prints its version.

use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let _ = writeln!(
        std::io::stdout(),
        "atel-hooks {}",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::SUCCESS
}
