//! The exit status: what each code means, in one place (the README's table lists the same).

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything was processed; also when the reader of the output went away (`| head`).
    Success,
    /// An input (or the output) failed; the other inputs were still processed.
    InputFailed,
    /// `--check`: something would change.
    WouldChange,
    /// Bad usage, or an error before any input was read.
    Usage,
    /// `--check`: an input failed (1 already means "something would change").
    CheckFailed,
    /// Ended by signal `n` (SIGHUP, SIGINT, SIGTERM) after removing temporary files.
    Signal(i32),
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> i32 {
        match self {
            Exit::Success => 0,
            Exit::InputFailed | Exit::WouldChange => 1,
            Exit::Usage | Exit::CheckFailed => 2,
            Exit::Signal(n) => 128 + n,
        }
    }

    /// The status of a run that failed (`failed`), else found changes (`changed`), else neither;
    /// `check` says whether it was a `--check` run.
    pub fn of_run(check: bool, failed: bool, changed: bool) -> Exit {
        match (check, failed, changed) {
            (true, true, _) => Exit::CheckFailed,
            (false, true, _) => Exit::InputFailed,
            (true, false, true) => Exit::WouldChange,
            _ => Exit::Success,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    /// The codes the README's table documents.
    #[test]
    fn codes_are_the_documented_ones() {
        let table = [
            (Exit::of_run(false, false, false), 0),
            (Exit::of_run(false, false, true), 0),
            (Exit::of_run(false, true, false), 1),
            (Exit::of_run(true, false, true), 1),
            (Exit::of_run(true, false, false), 0),
            (Exit::of_run(true, true, true), 2),
            (Exit::Usage, 2),
            (Exit::Signal(2), 130),
            (Exit::Signal(15), 143),
            (Exit::Signal(1), 129),
        ];
        for (exit, code) in table {
            assert_eq!(exit.code(), code, "{exit:?}");
        }
    }
}
