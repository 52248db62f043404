//! The `edgeopt` command line. Every subcommand prints machine-readable output on stdout with the
//! key figure on the last line, and exits non-zero with a one-line error on stderr for bad input.

mod cli;

use clap::Parser;
use clap::error::ErrorKind;

use cli::output::{Emitted, emit};

/// Exit status for bad input or a failed command.
const EXIT_ERROR: i32 = 2;
/// Exit status when the reader of stdout went away: what a shell reports for a process ended by
/// SIGPIPE (128 + 13), as `seq 1 1000000 | head -1` does.
const EXIT_BROKEN_PIPE: i32 = 141;

fn main() {
    // A bug must still end with one line on stderr, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("error: internal error (please report it): {}{at}", msg.replace('\n', " "));
    }));
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let out = cli::output::Out::from(e.to_string());
            std::process::exit(finish(&out));
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!("error: a subcommand is required (see `edgeopt --help`)");
            std::process::exit(EXIT_ERROR);
        }
        Err(e) => {
            // clap's message, without its usage block: the one-line contract holds for flags too.
            let text = e.to_string();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
            eprintln!("{}", first.trim());
            std::process::exit(EXIT_ERROR);
        }
    };
    match cli::run(args) {
        Ok(out) => std::process::exit(finish(&out)),
        Err(e) => {
            // One line: the error, then its causes (a user's objective or device error is a source).
            let mut line = format!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                // A cause that an error already words in its own message is not repeated.
                let cause = s.to_string();
                if !line.contains(&cause) {
                    line.push_str(&format!(": {cause}"));
                }
                source = s.source();
            }
            eprintln!("{}", line.replace('\n', " "));
            std::process::exit(EXIT_ERROR);
        }
    }
}

/// Write a finished command's stdout; the exit status.
fn finish(out: &cli::output::Out) -> i32 {
    match emit(out, &mut std::io::stdout().lock()) {
        Emitted::Done => 0,
        Emitted::BrokenPipe => EXIT_BROKEN_PIPE,
        Emitted::Failed(e) => {
            eprintln!("error: writing stdout: {e}");
            EXIT_ERROR
        }
    }
}
