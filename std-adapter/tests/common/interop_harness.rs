//! The harness of the interop tests (`harness = false`): each test needs a
//! program from outside this repository (nginx, Apache httpd, curl, ab,
//! python3). Where it is missing the test is reported as *ignored*, its
//! kind naming what it needs (`test [needs nginx] ... ignored`), so the
//! summary never counts a test that checked nothing as passed. CI installs
//! the programs, so there every test runs.

use std::process::ExitCode;

use libtest_mimic::{Arguments, Trial};

/// One interop test: its name, the program it needs, whether that program
/// is installed, and the test itself (it fails by panicking).
pub(crate) struct Interop {
    pub(crate) name: &'static str,
    pub(crate) needs: &'static str,
    pub(crate) installed: bool,
    pub(crate) test: fn(),
}

/// Runs the tests with libtest's command line (`--list`, filters,
/// `--ignored`, ...) and summary.
pub(crate) fn run(tests: Vec<Interop>) -> ExitCode {
    let args = Arguments::from_args();
    let trials = tests
        .into_iter()
        .map(|t| {
            let (needs, installed, test) = (t.needs, t.installed, t.test);
            let kind = if installed {
                String::new()
            } else {
                format!("needs {needs}")
            };
            Trial::test(t.name, move || {
                if !installed {
                    return Err(format!("{needs} is not installed").into());
                }
                test();
                Ok(())
            })
            .with_kind(kind)
            .with_ignored_flag(!installed)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}
