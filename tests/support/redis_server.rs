//! A redis-server of the test's own, on a port of its own, so that nothing
//! else's traffic reaches it and the test may freeze, kill and restart it.

use std::{
    io::{self, Read as _, Write as _},
    net::TcpStream,
    process::{Child, Command, Stdio},
    thread::sleep,
    time::{Duration, Instant},
};

/// A running redis-server, killed on drop (also when the test panics).
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on 127.0.0.1:`port` and waits until it answers.
    /// A server left on that port by an earlier, killed run is shut down
    /// first: the port belongs to this test.
    ///
    /// # Errors
    /// When `redis-server` cannot be run or does not answer within 10 s.
    pub fn start(port: u16) -> io::Result<Self> {
        if ping(port) {
            eprintln!("shutting down a stale redis-server on port {port}");
            let _ = Command::new("redis-cli")
                .args(["-p", &port.to_string(), "shutdown", "nosave"])
                .output();
            wait_until(Duration::from_secs(5), || !ping(port));
        }
        let mut server = Self { port, child: None };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> io::Result<()> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        if wait_until(Duration::from_secs(10), || ping(self.port)) {
            Ok(())
        } else {
            self.kill();
            Err(io::Error::other(format!(
                "redis-server on port {} did not answer",
                self.port
            )))
        }
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Freezes the server (SIGSTOP): connections stay open, nothing answers.
    ///
    /// # Panics
    /// When the server is not running (killed) or cannot be signalled.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Lets a frozen server run again (SIGCONT).
    ///
    /// # Panics
    /// As [`freeze`](Self::freeze).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    /// Kills the server (SIGKILL) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a fresh, empty server on the same port.
    ///
    /// # Errors
    /// When `redis-server` cannot be run or does not answer within 10 s.
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill();
        self.spawn()
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("server is running").id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("kill(1)");
        assert!(status.success(), "kill {signal} {pid} failed");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL also ends a frozen (SIGSTOPped) server.
        self.kill();
    }
}

/// Whether a Redis answers PING on 127.0.0.1:`port` within 200 ms.
fn ping(port: u16) -> bool {
    let talk = || -> io::Result<bool> {
        let addr = ([127, 0, 0, 1], port).into();
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(200))?;
        s.set_read_timeout(Some(Duration::from_millis(200)))?;
        s.write_all(b"PING\r\n")?;
        let mut reply = [0; 7];
        s.read_exact(&mut reply)?;
        Ok(&reply == b"+PONG\r\n")
    };
    talk().unwrap_or(false)
}

/// Polls `done` every 50 ms until it holds (true) or `limit` passes (false).
pub(crate) fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        sleep(Duration::from_millis(50));
    }
    false
}
