//! A throwaway PostgreSQL server for fault tests: its own data directory
//! and port, frozen, killed and restarted at will, stopped on drop (also
//! when a test panics).
//!
//! PostgreSQL refuses to run as root, so as root the binaries run as the
//! `postgres` user through `setpriv`, which execs (unlike `runuser` or
//! `su`, which stay in between as a parent and stop along with a stopped
//! child), with a data directory that user owns.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A PostgreSQL server this process started.
#[derive(Debug)]
pub struct PgServer {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
    /// The postmaster, while it runs.
    running: Option<Child>,
}

impl PgServer {
    /// Creates a database cluster in a fresh temporary directory and
    /// starts it on 127.0.0.1:`port`, waiting until it accepts connections.
    ///
    /// # Errors
    /// Why not, when the binaries are missing or the server does not start.
    pub fn start(port: u16) -> Result<Self, String> {
        let bin = server_binaries()?;
        let as_postgres = run("id", &["-u"])?.trim() == "0";
        let key = sesh_core::SessionId::generate().key().to_hex();
        let dir = std::env::temp_dir().join(format!("sesh-faults-{port}-{}", &key[..8]));
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut server = Self {
            bin,
            dir,
            port,
            as_postgres,
            running: None,
        };
        if as_postgres {
            run("chown", &["postgres:postgres", &server.dir.to_string_lossy()])?;
        }
        let initdb = server.bin.join("initdb");
        let data = server.data();
        let mut command = server.command(&initdb);
        command.args([
            "-D",
            &data,
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "-N",
        ]);
        check(command.stdout(Stdio::null()).stderr(Stdio::null()), "initdb")?;
        server.spawn()?;
        server.wait_ready(Duration::from_secs(30))?;
        Ok(server)
    }

    /// The URL of the server's default database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server on the same port and data directory without
    /// waiting for it (see [`is_ready`](Self::is_ready)).
    ///
    /// # Errors
    /// If the process cannot be started.
    pub fn spawn(&mut self) -> Result<(), String> {
        let log = fs::File::create(self.dir.join("postgres.log")).map_err(|e| e.to_string())?;
        let err_log = log.try_clone().map_err(|e| e.to_string())?;
        let postgres = self.bin.join("postgres");
        let (data, port, dir) = (
            self.data(),
            self.port.to_string(),
            self.dir.to_string_lossy().into_owned(),
        );
        let mut command = self.command(&postgres);
        command
            .args(["-D", &data, "-p", &port, "-k", &dir])
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .stdout(log)
            .stderr(err_log);
        self.running = Some(command.spawn().map_err(|e| format!("postgres: {e}"))?);
        Ok(())
    }

    /// Whether the server accepts connections now.
    pub fn is_ready(&self) -> bool {
        let port = self.port.to_string();
        Command::new(self.bin.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port, "-t", "1"])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let started = Instant::now();
        while !self.is_ready() {
            if let Some(Ok(Some(status))) = self.running.as_mut().map(Child::try_wait) {
                return Err(format!("postgres exited with {status}; its log:\n{}", self.log()));
            }
            if started.elapsed() > limit {
                return Err(format!(
                    "postgres on port {} not ready after {limit:?}; its log:\n{}",
                    self.port,
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Stops every server process (SIGSTOP): connections stay open and
    /// new ones are accepted by the kernel, but nothing answers.
    pub fn freeze(&self) {
        self.signal_all("STOP");
    }

    /// Resumes a frozen server (SIGCONT).
    pub fn thaw(&self) {
        self.signal_all("CONT");
    }

    /// Kills every server process (SIGKILL), as a crash would, and waits
    /// until they are gone.
    pub fn kill(&mut self) {
        // Stopped first, so that its children are still its children
        // (not orphans adopted by init) when they are listed.
        if let Some(postmaster) = self.postmaster() {
            signal_pids("STOP", &[postmaster]);
            let mut all = children_of(postmaster);
            all.push(postmaster);
            signal_pids("KILL", &all);
        }
        if let Some(mut running) = self.running.take() {
            // Reaped here, so that no zombie keeps its PID alive for the
            // restarted server's stale-lock-file check.
            let _ = running.wait();
        }
    }

    /// The server's log so far, to explain a failure.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default()
    }

    /// The postmaster first, so that it forks no new backend while its
    /// children are listed; then the children (backends, background
    /// workers), each of which PostgreSQL puts in a process group of its own.
    fn signal_all(&self, signal: &str) {
        let Some(postmaster) = self.postmaster() else {
            return;
        };
        signal_pids(signal, &[postmaster]);
        signal_pids(signal, &children_of(postmaster));
    }

    /// The process this test started, never the PID in `postmaster.pid`,
    /// which a killed server leaves behind for another process to reuse.
    fn postmaster(&self) -> Option<u32> {
        Some(self.running.as_ref()?.id())
    }

    fn data(&self) -> String {
        self.dir.join("data").to_string_lossy().into_owned()
    }

    fn command(&self, program: &Path) -> Command {
        if self.as_postgres {
            let mut command = Command::new("setpriv");
            command
                .args(["--reuid=postgres", "--regid=postgres", "--init-groups", "--"])
                .arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.thaw();
        self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` (Debian's layout).
fn server_binaries() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir(root)
        .map_err(|e| format!("{}: {e}", root.display()))?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| format!("no initdb under {}", root.display()))
}

fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| parent_of(*pid) == Some(parent))
        .collect()
}

/// The parent from `/proc/<pid>/stat`: the field after the state, which
/// follows the command name in parentheses (which may hold spaces).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

fn signal_pids(signal: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn check(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} exited with {status}"))
    }
}
