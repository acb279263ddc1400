//! Progress of a long scan on stderr: a line redrawn in place when stderr
//! is a terminal, a "scanned N sessions" line every N sessions when asked
//! (`--progress-every`), nothing otherwise. A leaf: no other module here.

use std::{
    io::{IsTerminal as _, Write as _},
    time::{Duration, Instant},
};

/// How often a terminal's progress line is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);

#[derive(Debug)]
enum Mode {
    Off,
    Terminal { drawn: Option<Instant> },
    Every { n: u64, next: u64 },
}

/// A scan's progress, shown on stderr.
#[derive(Debug)]
pub(crate) struct Progress {
    mode: Mode,
    seen: u64,
    /// The store's own estimate of its sessions, if it has one.
    estimate: Option<u64>,
}

impl Progress {
    /// Progress for a scan: a line every `every` sessions if given, else a
    /// redrawn line if stderr is a terminal, else none; none at all when
    /// `off`.
    #[must_use]
    pub(crate) fn new(every: Option<u64>, off: bool, estimate: Option<u64>) -> Self {
        let mode = match every {
            _ if off => Mode::Off,
            Some(n) if n > 0 => Mode::Every { n, next: n },
            _ if std::io::stderr().is_terminal() => Mode::Terminal { drawn: None },
            _ => Mode::Off,
        };
        Self {
            mode,
            seen: 0,
            estimate,
        }
    }

    /// `n` more sessions were scanned.
    pub(crate) fn advance(&mut self, n: u64) {
        self.seen += n;
        let seen = self.seen;
        let mut err = std::io::stderr().lock();
        // Progress that cannot be written is not worth failing a command for.
        match &mut self.mode {
            Mode::Off => {}
            Mode::Every { n, next } => {
                while seen >= *next {
                    let _ = writeln!(err, "scanned {next} sessions");
                    *next += *n;
                }
            }
            Mode::Terminal { drawn } => {
                if drawn.is_none_or(|at| at.elapsed() >= REDRAW) {
                    *drawn = Some(Instant::now());
                    let of = match self.estimate {
                        Some(total) if total > 0 => format!(" of about {total}"),
                        _ => String::new(),
                    };
                    let _ = write!(err, "\rscanned {seen} sessions{of}\x1b[K");
                    let _ = err.flush();
                }
            }
        }
    }

    /// The scan is over: a terminal's progress line is cleared.
    pub(crate) fn finish(&mut self) {
        if let Mode::Terminal { drawn: Some(_) } = self.mode {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}
