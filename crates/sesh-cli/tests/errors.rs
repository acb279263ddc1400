//! The `sesh` binary when it cannot do its work: a bad command line exits
//! 2, a store that is not there or does not answer exits 1 within a few
//! seconds; every message says how to fix it. No server needed: the
//! stores "not there" are loopback ports nothing listens on, or a listener
//! of the test's own that never answers.

mod support;

use std::{
    net::TcpListener,
    time::{Duration, Instant},
};

use support::sesh;

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[test]
fn a_bad_command_line_exits_2_naming_the_fix() {
    let cases: [(&[&str], &str); 5] = [
        (&["stats"], "pass --url"),
        (&["--url", "http://127.0.0.1:1", "stats"], "use redis://"),
        (
            &["--url", "redis://127.0.0.1:notaport", "stats"],
            "not a valid Redis URL",
        ),
        (
            &[
                "--url",
                "postgres://u@127.0.0.1:1/db,redis://127.0.0.1:1",
                "stats",
            ],
            "Redis Cluster",
        ),
        (
            &["--url", "redis://127.0.0.1:1", "inspect", "--key", "nothex"],
            "64 hex digits",
        ),
    ];
    for (args, says) in cases {
        let run = sesh(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains(says),
            "{args:?} should say {says:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{run:?}");
    }
}

#[test]
fn passwords_in_urls_are_never_printed() {
    let url = format!("redis://:hunter2@127.0.0.1:{}", closed_port());
    let run = sesh(&["--url", &url, "stats"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(run.stderr.contains(":***@"), "{}", run.stderr);
}

#[test]
fn a_store_that_is_not_there_fails_fast() {
    let port = closed_port();
    for url in [
        format!("redis://127.0.0.1:{port}"),
        format!("postgres://postgres@127.0.0.1:{port}/test"),
        format!("mysql://root@127.0.0.1:{port}/test"),
    ] {
        let run = sesh(&["--url", &url, "stats"]);
        assert_eq!(run.code, 1, "{url}: {run:?}");
        assert!(
            run.stderr.contains("cannot connect") && run.stderr.contains("fix:"),
            "{url}: {}",
            run.stderr
        );
        assert!(run.took < Duration::from_secs(5), "{url} took {:?}", run.took);
    }
}

#[test]
fn a_store_that_never_answers_fails_within_the_connect_timeout() {
    // Accepts connections (the kernel does, into the backlog) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("address").port();
    for url in [
        format!("redis://127.0.0.1:{port}"),
        format!("postgres://postgres@127.0.0.1:{port}/test"),
    ] {
        let started = Instant::now();
        let run = sesh(&["--url", &url, "--connect-timeout", "1", "stats"]);
        let took = started.elapsed();
        println!("{url}: failed after {took:?}");
        assert_eq!(run.code, 1, "{url}: {run:?}");
        assert!(
            run.stderr.contains("within") || run.stderr.contains("timed out"),
            "{url}: {}",
            run.stderr
        );
        assert!(took < Duration::from_secs(4), "{url} took {took:?}");
    }
    drop(silent);
}

#[test]
fn a_missing_sqlite_file_is_not_created() {
    let path = std::env::temp_dir().join(format!("{}.db", support::fresh("sesh-cli-missing-")));
    let run = sesh(&["--url", &format!("sqlite:{}", path.display()), "stats"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("check the path"), "{}", run.stderr);
    assert!(!path.exists(), "the command created {}", path.display());
}
