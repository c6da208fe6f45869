//! `skerry-rss`: the resident memory of a freshly started server.
//!
//! Starts `skerry serve` on a fresh temporary data directory, listening on a free loopback
//! port, waits until `GET /health` answers 200, sends a few simple requests to warm it up,
//! lets it settle, then reads `VmRSS` (resident now) and `VmHWM` (the peak) from
//! `/proc/<pid>/status`. `--runs` repeats the whole cycle with a new server and a new
//! directory each time and reports the median. Linux only (`/proc`).
//!
//! The server runs with the default configuration: its working directory is the temporary
//! directory (so no `config/skerry.toml` is picked up) and `SKERRY_*` variables are removed
//! from its environment.
//!
//! May import only the standard library, `anyhow` and `clap`: it measures the binary from the
//! outside, over plain HTTP/1.1 on a `TcpStream`, and shares no code with the server.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;

/// Time the server has to answer `/health` with 200 after it is started.
const HEALTH_WAIT_MS_MAX: u64 = 30_000;
/// Pause between two `/health` attempts while the server starts.
const HEALTH_POLL_MS: u64 = 50;
/// Time one request may take: connect, send, and read the whole response.
const REQUEST_TIMEOUT_MS: u64 = 5_000;
/// Largest response read; more is an error rather than a growing buffer.
const RESPONSE_BYTES_MAX: u64 = 1024 * 1024;
/// Bounds on the command line, so a typo does not run for a day.
const RUNS_MAX: usize = 100;
const REQUESTS_MAX: usize = 1_000_000;
/// Lines of the server's log shown when it fails to start.
const LOG_TAIL_LINES: usize = 20;
/// The requests of the warm-up, taken in turn.
const WARM_UP_PATHS: [&str; 2] = ["/api/v1/instance", "/health"];

/// Reports the resident memory of a freshly started `skerry serve`.
#[derive(Debug, Parser)]
#[command(name = "skerry-rss", version)]
struct Options {
    /// The `skerry` executable [default: `skerry` next to this tool's executable].
    #[arg(long = "bin", value_name = "PATH")]
    bin: Option<PathBuf>,
    /// Warm-up requests sent after start (alternating /api/v1/instance and /health).
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Milliseconds to wait after the warm-up before reading the memory.
    #[arg(long = "settle-ms", default_value_t = 1000)]
    settle_ms: u64,
    /// Servers to start one after the other; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

/// What `/proc/<pid>/status` says about a process's memory, in KiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Memory {
    /// `VmRSS`: resident set size now.
    rss_kib: u64,
    /// `VmHWM`: the peak resident set size ("high water mark").
    hwm_kib: u64,
}

impl Memory {
    /// The one-line summary, in KiB and MiB.
    fn summary(&self) -> String {
        format!(
            "VmRSS {} KiB ({:.1} MiB), VmHWM {} KiB ({:.1} MiB)",
            self.rss_kib,
            mib(self.rss_kib),
            self.hwm_kib,
            mib(self.hwm_kib)
        )
    }

    /// The machine-readable line.
    fn key_values(&self) -> String {
        format!("rss_kib={} hwm_kib={}", self.rss_kib, self.hwm_kib)
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() -> Result<()> {
    let options = Options::parse();
    ensure!(
        (1..=RUNS_MAX).contains(&options.runs),
        "--runs must be 1 to {RUNS_MAX}"
    );
    ensure!(
        options.requests <= REQUESTS_MAX,
        "--requests must be at most {REQUESTS_MAX}"
    );
    ensure!(
        Path::new("/proc/self/status").exists(),
        "skerry-rss reads /proc/<pid>/status, which only Linux has"
    );
    let bin = match options.bin.clone() {
        Some(bin) => bin,
        None => std::env::current_exe()
            .context("finding this tool's own executable")?
            .with_file_name("skerry"),
    };
    ensure!(
        bin.is_file(),
        "no skerry executable at {}; build it (cargo build --release) or pass --bin PATH",
        bin.display()
    );

    let mut measured = Vec::with_capacity(options.runs);
    for run in 1..=options.runs {
        let memory = measure_once(&bin, &options)
            .with_context(|| format!("run {run} of {}", options.runs))?;
        println!("run {run}/{}: {}", options.runs, memory.summary());
        measured.push(memory);
    }
    let median = Memory {
        rss_kib: median(measured.iter().map(|memory| memory.rss_kib).collect())
            .expect("at least one run"),
        hwm_kib: median(measured.iter().map(|memory| memory.hwm_kib).collect())
            .expect("at least one run"),
    };
    println!(
        "skerry after start, {} warm-up requests, median of {} runs: {}",
        options.requests,
        options.runs,
        median.summary()
    );
    println!("{}", median.key_values());
    Ok(())
}

/// One cycle: start a server, wait for health, warm up, settle, read memory, stop it.
fn measure_once(bin: &Path, options: &Options) -> Result<Memory> {
    let mut server = Server::start(bin)?;
    let started = Instant::now();
    let deadline = started + Duration::from_millis(HEALTH_WAIT_MS_MAX);
    loop {
        server.fail_if_exited()?;
        match http_get(server.address, "/health") {
            Ok(200) => break,
            Ok(_) | Err(_) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(HEALTH_POLL_MS))
            }
            Ok(http_status) => bail!(
                "GET /health answered {http_status}, not 200, for {HEALTH_WAIT_MS_MAX} ms{}",
                server.log_tail()
            ),
            Err(error) => {
                return Err(error.context(format!(
                    "GET /health did not answer in {HEALTH_WAIT_MS_MAX} ms{}",
                    server.log_tail()
                )));
            }
        }
    }
    for index in 0..options.requests {
        let path = WARM_UP_PATHS[index % WARM_UP_PATHS.len()];
        let http_status =
            http_get(server.address, path).with_context(|| format!("warm-up GET {path}"))?;
        ensure!(
            http_status == 200,
            "warm-up GET {path} answered {http_status}, not 200"
        );
    }
    std::thread::sleep(Duration::from_millis(options.settle_ms));
    server.fail_if_exited()?;
    let status_path = format!("/proc/{}/status", server.child.id());
    let text =
        std::fs::read_to_string(&status_path).with_context(|| format!("reading {status_path}"))?;
    parse_proc_status(&text).with_context(|| format!("parsing {status_path}"))
}

/// A running `skerry serve` on its own temporary directory. Dropping it kills the process,
/// reaps it and removes the directory, on success and on every error path alike.
struct Server {
    child: Child,
    address: SocketAddr,
    /// Holds `data/` (the server's data directory) and `server.log` (its stdout and stderr).
    root: PathBuf,
}

impl Server {
    fn start(bin: &Path) -> Result<Server> {
        let address = free_loopback_port()?;
        let root = fresh_directory()?;
        match Server::spawn(bin, address, &root) {
            Ok(child) => Ok(Server {
                child,
                address,
                root,
            }),
            Err(error) => {
                let _ = std::fs::remove_dir_all(&root);
                Err(error)
            }
        }
    }

    fn spawn(bin: &Path, address: SocketAddr, root: &Path) -> Result<Child> {
        let log_path = root.join("server.log");
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let mut command = Command::new(bin);
        command
            .arg("serve")
            .arg("--data")
            .arg(root.join("data"))
            .arg("--listen")
            .arg(address.to_string())
            .arg("--host")
            .arg(address.to_string())
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("duplicating the log file handle")?)
            .stderr(log);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SKERRY_") {
                command.env_remove(name);
            }
        }
        command
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))
    }

    /// An error, with the end of the server's log, if the server has already exited.
    fn fail_if_exited(&mut self) -> Result<()> {
        if let Some(exit) = self.child.try_wait().context("checking on the server")? {
            bail!("the server exited ({exit}){}", self.log_tail());
        }
        Ok(())
    }

    /// The last lines of the server's output, for error messages.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
        if tail.is_empty() {
            String::from(" (it printed nothing)")
        } else {
            format!("; its output ends with:\n{}", tail.join("\n"))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGKILL: the data directory is thrown away, so a graceful shutdown buys nothing.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A new, empty directory under the system's temporary directory.
fn fresh_directory() -> Result<PathBuf> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let path = std::env::temp_dir().join(format!("skerry-rss-{}-{nanos}", std::process::id()));
    // `create_dir`, not `create_dir_all`: an existing directory of that name is an error.
    std::fs::create_dir(&path).with_context(|| format!("creating {}", path.display()))?;
    Ok(path)
}

/// A loopback address with a port that was free a moment ago. Another process could take it
/// before the server binds it; then the server fails to start and the error says so.
fn free_loopback_port() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free loopback port")?;
    Ok(listener.local_addr()?)
}

/// Sends `GET path` over HTTP/1.1 with `Connection: close` and returns the response's
/// status code. The body is read (up to `RESPONSE_BYTES_MAX`) and dropped.
fn http_get(address: SocketAddr, path: &str) -> Result<u16> {
    let timeout = Duration::from_millis(REQUEST_TIMEOUT_MS);
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("connecting to {address}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .context("sending the request")?;
    let mut response = Vec::new();
    stream
        .take(RESPONSE_BYTES_MAX + 1)
        .read_to_end(&mut response)
        .context("reading the response")?;
    ensure!(
        response.len() as u64 <= RESPONSE_BYTES_MAX,
        "the response is over {RESPONSE_BYTES_MAX} bytes"
    );
    parse_status_line(&response)
}

/// The status code of an HTTP/1.x response: `HTTP/1.1 200 OK` gives 200.
fn parse_status_line(response: &[u8]) -> Result<u16> {
    let line_end = response
        .iter()
        .position(|&byte| byte == b'\n')
        .unwrap_or(response.len());
    let line = std::str::from_utf8(&response[..line_end])
        .context("the status line is not UTF-8")?
        .trim_end();
    let mut parts = line.split(' ');
    let version = parts.next().unwrap_or_default();
    ensure!(
        version.starts_with("HTTP/1."),
        "not an HTTP/1.x response: {line:?}"
    );
    let code = parts.next().unwrap_or_default();
    ensure!(code.len() == 3, "no status code in {line:?}");
    code.parse()
        .with_context(|| format!("no status code in {line:?}"))
}

/// Reads `VmRSS` and `VmHWM` (`VmRSS:\t   12345 kB`) from the text of `/proc/<pid>/status`.
fn parse_proc_status(text: &str) -> Result<Memory> {
    let field = |name: &str| -> Result<u64> {
        let line = text
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .with_context(|| format!("no {name} line"))?;
        let value = line
            .trim()
            .strip_suffix("kB")
            .with_context(|| format!("{name} is not in kB: {line:?}"))?;
        value
            .trim()
            .parse()
            .with_context(|| format!("{name} is not a number: {line:?}"))
    };
    Ok(Memory {
        rss_kib: field("VmRSS")?,
        hwm_kib: field("VmHWM")?,
    })
}

/// The median; for an even count, the mean of the two middle values (rounded down).
fn median(mut values: Vec<u64>) -> Option<u64> {
    values.sort_unstable();
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        length if length % 2 == 1 => Some(values[middle]),
        // Sorted, so the difference cannot underflow, and halving it cannot overflow.
        _ => Some(values[middle - 1] + (values[middle] - values[middle - 1]) / 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An excerpt of a real `/proc/<pid>/status` (Linux 6.x).
    const PROC_STATUS: &str = "Name:\tskerry\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\n\
        VmPeak:\t  612344 kB\nVmSize:\t  547832 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n\
        VmHWM:\t   14612 kB\nVmRSS:\t   13208 kB\nRssAnon:\t    5120 kB\nRssFile:\t    8088 kB\n\
        Threads:\t3\n";

    #[test]
    fn proc_status_gives_rss_and_peak() {
        assert_eq!(
            parse_proc_status(PROC_STATUS).unwrap(),
            Memory {
                rss_kib: 13_208,
                hwm_kib: 14_612
            }
        );
        // `VmRSS` must not be confused with a longer name that starts the same way.
        let without_rss = PROC_STATUS.replace("VmRSS:", "VmRSSX:");
        assert!(parse_proc_status(&without_rss).is_err());
        assert!(parse_proc_status("VmRSS:\t12 MB\nVmHWM:\t12 kB\n").is_err());
        assert!(parse_proc_status("VmRSS:\tlots kB\nVmHWM:\t12 kB\n").is_err());
    }

    #[test]
    fn this_process_has_a_resident_size() {
        let memory =
            parse_proc_status(&std::fs::read_to_string("/proc/self/status").unwrap()).unwrap();
        assert!(
            memory.rss_kib > 0 && memory.hwm_kib >= memory.rss_kib,
            "{memory:?}"
        );
    }

    #[test]
    fn summary_shows_kib_and_mib_and_a_machine_line() {
        let memory = Memory {
            rss_kib: 13_208,
            hwm_kib: 14_612,
        };
        assert_eq!(
            memory.summary(),
            "VmRSS 13208 KiB (12.9 MiB), VmHWM 14612 KiB (14.3 MiB)"
        );
        assert_eq!(memory.key_values(), "rss_kib=13208 hwm_kib=14612");
    }

    #[test]
    fn median_of_odd_even_and_empty_lists() {
        for (values, expected) in [
            (vec![], None),
            (vec![7], Some(7)),
            (vec![5, 1, 3], Some(3)),
            (vec![4, 1, 3, 2], Some(2)),
            (vec![1, 2], Some(1)),
            (vec![3, 5], Some(4)),
            (vec![u64::MAX, u64::MAX], Some(u64::MAX)),
        ] {
            assert_eq!(median(values.clone()), expected, "{values:?}");
        }
    }

    #[test]
    fn status_lines_give_their_code() {
        for (response, expected) in [
            (
                &b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"[..],
                Some(200),
            ),
            (b"HTTP/1.0 503 Service Unavailable\r\n\r\n", Some(503)),
            (b"HTTP/1.1 404\r\n\r\n", Some(404)),
            (b"SSH-2.0-OpenSSH_9.6\r\n", None),
            (b"HTTP/1.1 20 OK\r\n", None),
            (b"", None),
        ] {
            assert_eq!(
                parse_status_line(response).ok(),
                expected,
                "{:?}",
                String::from_utf8_lossy(response)
            );
        }
    }

    /// `http_get` against a one-shot loopback server that answers like hyper does.
    #[test]
    fn http_get_reads_the_status_of_a_loopback_server() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let read = stream.read(&mut buffer).unwrap();
                assert!(read > 0, "the client closed before the end of its request");
                request.extend_from_slice(&buffer[..read]);
            }
            stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 15\r\nconnection: close\r\n\r\n{\"status\":\"ok\"}").unwrap();
            String::from_utf8(request).unwrap()
        });
        assert_eq!(http_get(address, "/health").unwrap(), 200);
        let request = server.join().unwrap();
        assert!(request.starts_with("GET /health HTTP/1.1\r\n"), "{request}");
        assert!(
            request.contains(&format!("Host: {address}\r\n")),
            "{request}"
        );
    }

    /// A "server" that exits at once: the error says so and shows what it printed.
    #[test]
    fn a_server_that_exits_is_reported_with_its_output() {
        let options = Options {
            bin: None,
            requests: 0,
            settle_ms: 0,
            runs: 1,
        };
        // `sh serve --data ...` tries to run a script named `serve`, fails and exits.
        let error = measure_once(Path::new("/bin/sh"), &options).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("the server exited"), "{message}");
        assert!(message.contains("serve"), "{message}");
    }

    #[test]
    fn options_have_the_documented_defaults() {
        let options = Options::try_parse_from(["skerry-rss"]).unwrap();
        assert_eq!(
            (
                options.bin,
                options.requests,
                options.settle_ms,
                options.runs
            ),
            (None, 200, 1000, 5)
        );
        let options = Options::try_parse_from([
            "skerry-rss",
            "--bin",
            "/x/skerry",
            "--runs",
            "1",
            "--settle-ms",
            "0",
        ])
        .unwrap();
        assert_eq!(
            (options.bin, options.runs, options.settle_ms),
            (Some(PathBuf::from("/x/skerry")), 1, 0)
        );
    }
}
