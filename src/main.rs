//! The `edgeopt` command line. Every subcommand prints machine-readable output on stdout with the
//! key figure on the last line, and exits non-zero with a one-line error on stderr for bad input.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        // One line: the error, then its causes (a user's objective or device error is a source).
        let mut line = format!("error: {e}");
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            line.push_str(&format!(": {s}"));
            source = s.source();
        }
        eprintln!("{line}");
        std::process::exit(2);
    }
}
