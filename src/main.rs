//! The `edgeopt` command line. Every subcommand prints machine-readable output on stdout with the
//! key figure on the last line, and exits non-zero with a one-line error on stderr for bad input.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
