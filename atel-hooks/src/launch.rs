//! Starts the OTLP receiver (`atel-hooks otel`) on demand, so a user never has to remember to.
//!
//! `atel-hooks install --otel` writes the hook command as `atel-hooks hook --otel ADDR`. Every hook
//! run with that flag first checks whether something accepts connections on `ADDR` (a loopback
//! connect: refused at once when nothing listens, well under a millisecond either way) and, when
//! nothing does, starts `atel-hooks otel --listen ADDR --idle-exit SECS` detached: its own process
//! group, stdin and stdout closed, stderr appended to `<state>/otel.log`. The hook does not wait for
//! it. The receiver holds a lock in the state directory, so two hooks starting one at the same moment
//! leave one running; it exits by itself after [`IDLE_EXIT`] without a request.
//!
//! Claude Code exports logs every 5 s and metrics every 60 s while a session is active, and every
//! session starts with `SessionStart` (and, with `--otel`, every prompt runs `UserPromptSubmit`), so
//! the receiver is up before the first export of a session and comes back after an idle exit before
//! the next one. Something else listening on `ADDR` (the user's own collector) counts as running.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::spool::{create_private_dir, private_options};

/// How long a receiver started by a hook stays up without a request: long enough to outlast any
/// pause between two prompts of a working session, short enough not to linger for days.
pub(crate) const IDLE_EXIT: Duration = Duration::from_hours(2);

/// How long the liveness check may wait for a connection. On loopback a listener answers in
/// microseconds and a closed port refuses at once; this only bounds an unusual network stack.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(100);

/// What [`ensure_receiver`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Launch {
    /// Something accepts connections on the address already.
    Running,
    /// Nothing did: a receiver was started (its process id).
    Started(u32),
}

/// Makes sure an OTLP receiver listens on `addr`, starting `exe otel --listen addr` when nothing
/// does. Never waits for the receiver; its stderr goes to `<state_dir>/otel.log`.
pub(crate) fn ensure_receiver(
    exe: &Path,
    addr: SocketAddr,
    state_dir: &Path,
) -> io::Result<Launch> {
    if TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).is_ok() {
        return Ok(Launch::Running);
    }
    create_private_dir(state_dir)?;
    let log = open_log(&state_dir.join("otel.log"))?;
    let mut command = Command::new(exe);
    command
        .arg("otel")
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--idle-exit")
        .arg(IDLE_EXIT.as_secs().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log));
    detach(&mut command);
    let child = command.spawn()?;
    Ok(Launch::Started(child.id()))
}

/// Appends, created mode 0600 (the log names paths of the state directory, nothing more).
fn open_log(path: &Path) -> io::Result<std::fs::File> {
    private_options().append(true).open(path)
}

/// Its own process group: the terminal's signals (Ctrl-C in Claude Code) and Claude Code killing the
/// hook's group do not reach the receiver, which must outlive the hook that started it.
fn detach(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    #[cfg(not(unix))]
    let _ = command;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_listener_on_the_address_counts_as_running() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = tempfile::tempdir().unwrap();
        // `false` would fail if it were started: nothing is.
        let launch = ensure_receiver(Path::new("/bin/false"), addr, state.path()).unwrap();
        assert_eq!(launch, Launch::Running);
        assert!(!state.path().join("otel.log").exists());
    }

    #[cfg(unix)]
    #[test]
    fn nothing_listening_starts_the_receiver_detached_with_its_arguments() {
        let state = tempfile::tempdir().unwrap();
        // A free port: bound, then released.
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        // A stand-in executable that records its arguments and process group.
        let exe = state.path().join("fake-atel-hooks");
        let out = state.path().join("args.txt");
        std::fs::write(
            &exe,
            format!(
                "#!/bin/sh\necho \"$@\" > '{}'\nps -o pgid= -p $$ >> '{}'\necho started >&2\n",
                out.display(),
                out.display()
            ),
        )
        .unwrap();
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let Launch::Started(pid) = ensure_receiver(&exe, addr, state.path()).unwrap() else {
            panic!("nothing listens, so it must start one");
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let text = loop {
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            if text.lines().count() >= 2 || std::time::Instant::now() > deadline {
                break text;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!("otel --listen {addr} --idle-exit 7200")
        );
        // Its own process group: the group id is its own pid.
        assert_eq!(lines.next().unwrap().trim(), pid.to_string());
        let log_deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(state.path().join("otel.log")).unwrap_or_default()
            != "started\n"
        {
            assert!(
                std::time::Instant::now() < log_deadline,
                "no stderr in otel.log"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
