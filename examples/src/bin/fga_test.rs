//! `fga-test <file.fga.yaml>...`: runs OpenFGA CLI store test files (`fga model test`)
//! in-process and prints `PASS`/`FAIL` per assertion, then `N passed, M failed`.
//!
//! Exit status: 0 when every assertion holds, 1 when one fails, 2 for usage errors and
//! files that cannot be read or run.

use std::path::Path;
use std::process::ExitCode;

use fga_core::storetest::run_store_file;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() || files.iter().any(|f| f == "-h" || f == "--help") {
        eprintln!("usage: fga-test <file.fga.yaml>...");
        return ExitCode::from(2);
    }
    let (mut passed, mut failed, mut unreadable) = (0usize, 0usize, false);
    for file in &files {
        match run_store_file(Path::new(file)) {
            Ok(report) => {
                println!("# {file}");
                for result in &report.results {
                    println!("{result}");
                }
                passed += report.passed();
                failed += report.failed();
            }
            Err(e) => {
                eprintln!("{file}: {e}");
                unreadable = true;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if unreadable {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
