//! The local admin socket: `skerry serve` listens on `data_dir/admin.sock`, and admin
//! commands started while it runs come through here, because redb admits one process per
//! database file (DESIGN.md, "Admin commands while serving"). May import what `admin` may.
//!
//! Protocol: the client sends one `Command` as a JSON line, the server answers one `Response`
//! as a JSON line and closes the connection.
//!
//! Invariants: the socket file is owner-only (0600) from the moment it has its name, and a
//! connection from another user is answered with an error even if the mode was changed
//! behind our back. Every read is bounded in bytes and (on the server) in time.

use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, mpsc, watch};

use super::{AdminError, Command, Response, execute};
use crate::app::App;

/// Largest request line the server reads; a command is a few hundred bytes.
pub const REQUEST_BYTES_MAX: usize = 64 * 1024;
/// Largest response line the client reads: stats and check reports, which are bounded
/// (`CHECK_PROBLEMS_LISTED_MAX`), fit with room to spare.
pub const RESPONSE_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Time a client has to send its request line, and the server to write its answer.
pub const SOCKET_IO_TIMEOUT_MS: u64 = 10_000;
/// Admin connections served at once; more wait in the kernel's backlog.
pub const CONNECTIONS_MAX: usize = 4;
/// Pause after a failed `accept` (out of file descriptors, say), so the loop does not spin.
const ACCEPT_RETRY_MS: u64 = 100;

/// A bound admin socket, ready for `serve`.
#[derive(Debug)]
pub struct AdminSocket {
    listener: UnixListener,
    path: PathBuf,
    /// The uid that owns the socket file, which is ours: only it may send commands.
    owner_uid: u32,
    /// `SOCKET_IO_TIMEOUT_MS`, shorter in tests.
    io_timeout: Duration,
}

impl AdminSocket {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Binds the admin socket at `path` with mode 0600, replacing a stale socket file left by a
/// server that did not stop cleanly. Must run inside the tokio runtime.
pub fn bind(path: &Path) -> Result<AdminSocket, AdminError> {
    let socket_error = |source| AdminError::Socket {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if !metadata.file_type().is_socket() => {
            return Err(AdminError::Invalid(format!(
                "{} exists and is not a socket; move it away",
                path.display()
            )));
        }
        Ok(_) => {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(AdminError::Invalid(format!(
                    "{} answers already: is another skerry serve running on this data directory?",
                    path.display()
                )));
            }
            std::fs::remove_file(path).map_err(socket_error)?;
        }
        Err(error) if error.kind() == ErrorKind::NotFound => {}
        Err(error) => return Err(socket_error(error)),
    }
    // Bound under a temporary name, made owner-only, then renamed: a socket's mode comes
    // from the umask at bind time, and there must be no moment in which the real name
    // accepts connections from others.
    let temporary = path.with_extension(format!("sock.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    let listener = std::os::unix::net::UnixListener::bind(&temporary).map_err(socket_error)?;
    let prepared = std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))
        .and_then(|()| std::fs::rename(&temporary, path))
        .and_then(|()| std::fs::symlink_metadata(path))
        .and_then(|metadata| listener.set_nonblocking(true).map(|()| metadata));
    let metadata = match prepared {
        Ok(metadata) => metadata,
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(socket_error(error));
        }
    };
    let listener = UnixListener::from_std(listener).map_err(socket_error)?;
    Ok(AdminSocket {
        listener,
        path: path.to_path_buf(),
        owner_uid: metadata.uid(),
        io_timeout: Duration::from_millis(SOCKET_IO_TIMEOUT_MS),
    })
}

/// Answers admin commands until `shutdown` turns true (or its sender is dropped), then
/// waits for the commands under way and removes the socket file.
pub async fn serve(app: App, socket: AdminSocket, mut shutdown: watch::Receiver<bool>) {
    // Shared by the accept loop and the connection tasks; a permit is held for the life of a
    // connection, so at most CONNECTIONS_MAX commands run at once.
    let permits = Arc::new(Semaphore::new(CONNECTIONS_MAX));
    // Each connection task holds a sender; `recv` returns `None` once all are dropped, which
    // is how shutdown knows the last command has been answered. Nothing is ever sent.
    let (running_sender, mut running) = mpsc::channel::<()>(1);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = stopped(&mut shutdown) => break,
        };
        let stream = tokio::select! {
            accepted = socket.listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "admin socket: accept failed");
                    tokio::time::sleep(Duration::from_millis(ACCEPT_RETRY_MS)).await;
                    continue;
                }
            },
            () = stopped(&mut shutdown) => break,
        };
        let app = app.clone();
        let shutdown = shutdown.clone();
        let running_sender = running_sender.clone();
        let (owner_uid, io_timeout) = (socket.owner_uid, socket.io_timeout);
        tokio::spawn(async move {
            handle_connection(app, stream, owner_uid, io_timeout, shutdown).await;
            drop(permit);
            drop(running_sender);
        });
    }
    drop(running_sender);
    let _ = running.recv().await;
    drop(socket.listener);
    match std::fs::remove_file(&socket.path) {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::NotFound => {}
        Err(error) => {
            tracing::warn!(%error, path = %socket.path.display(), "admin socket: cannot remove")
        }
    }
}

/// Resolves once shutdown is asked for, or once nobody can ask any more (sender dropped).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn handle_connection(
    app: App,
    stream: UnixStream,
    owner_uid: u32,
    io_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let credentials = stream.peer_cred();
    let (reader, mut writer) = stream.into_split();
    let response = match credentials {
        Ok(credentials) if credentials.uid() == owner_uid => {
            let mut reader = BufReader::new(reader);
            let line = tokio::select! {
                read = tokio::time::timeout(io_timeout, read_line(&mut reader, REQUEST_BYTES_MAX)) => match read {
                    Ok(line) => line,
                    Err(_) => Err(AdminError::Protocol(format!("no request within {} ms", io_timeout.as_millis()))),
                },
                // A connection that has not sent its command yet is dropped at shutdown.
                () = stopped(&mut shutdown) => return,
            };
            match line.and_then(|line| parse_command(&line)) {
                Ok(command) => run_command(&app, command).await,
                Err(error) => Response::from_result(Err(error)),
            }
        }
        Ok(credentials) => {
            tracing::warn!(
                uid = credentials.uid(),
                "admin socket: refused a connection from another user"
            );
            Response::failed(
                "permission denied: run admin commands as the user that runs skerry serve",
            )
        }
        Err(error) => Response::failed(format!("cannot identify the caller: {error}")),
    };
    let mut line = serde_json::to_vec(&response).expect("a Response always serializes");
    line.push(b'\n');
    let write = async {
        writer.write_all(&line).await?;
        writer.shutdown().await
    };
    match tokio::time::timeout(io_timeout, write).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%error, "admin socket: cannot send the response"),
        Err(_) => tracing::debug!("admin socket: the client does not read its response"),
    }
}

fn parse_command(line: &[u8]) -> Result<Command, AdminError> {
    serde_json::from_slice(line)
        .map_err(|error| AdminError::Protocol(format!("not a command: {error}")))
}

async fn run_command(app: &App, command: Command) -> Response {
    let name = command.name();
    // Store work waits on disk and fsync, so it runs on a blocking thread.
    let result = app.run(move |app| Ok(execute(app, command))).await;
    let response = match result {
        Ok(result) => Response::from_result(result),
        Err(error) => Response::failed(error),
    };
    tracing::info!(command = name, ok = response.ok, "admin command");
    response
}

/// Reads one line of at most `bytes_max` bytes, without its newline.
async fn read_line(
    reader: &mut (impl AsyncBufReadExt + AsyncRead + Unpin),
    bytes_max: usize,
) -> Result<Vec<u8>, AdminError> {
    let mut line = Vec::new();
    // One byte more than allowed (and the newline), so an overlong line is seen as such.
    let limit = u64::try_from(bytes_max).expect("usize fits in u64") + 2;
    reader
        .take(limit)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|error| AdminError::Protocol(format!("read failed: {error}")))?;
    if line.pop() != Some(b'\n') {
        return Err(AdminError::Protocol(if line.is_empty() {
            "the connection closed before a complete line".into()
        } else if line.len() > bytes_max {
            format!("line longer than {bytes_max} bytes")
        } else {
            "the connection closed before the end of the line".into()
        }));
    }
    if line.len() > bytes_max {
        return Err(AdminError::Protocol(format!(
            "line longer than {bytes_max} bytes"
        )));
    }
    Ok(line)
}

/// Sends `command` to the server listening at `path`. `Ok(None)` when none listens (no
/// socket file, or a stale one), so the caller may open the database itself.
///
/// No timeout on the answer: a backup of a large database takes as long as it takes, and
/// Ctrl-C stops the wait.
pub async fn send(path: &Path, command: &Command) -> Result<Option<Response>, AdminError> {
    let socket_error = |source| AdminError::Socket {
        path: path.to_path_buf(),
        source,
    };
    let stream = match UnixStream::connect(path).await {
        Ok(stream) => stream,
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::NotFound | ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(error) => return Err(socket_error(error)),
    };
    let (reader, mut writer) = stream.into_split();
    let mut line = serde_json::to_vec(command)
        .map_err(|error| AdminError::Invalid(format!("cannot send command: {error}")))?;
    line.push(b'\n');
    writer.write_all(&line).await.map_err(socket_error)?;
    let line = read_line(&mut BufReader::new(reader), RESPONSE_BYTES_MAX)
        .await
        .map_err(|error| match error {
            AdminError::Protocol(reason) => {
                AdminError::Protocol(format!("no answer from the server: {reason}"))
            }
            other => other,
        })?;
    let response = serde_json::from_slice(&line)
        .map_err(|error| AdminError::Protocol(format!("not a response: {error}")))?;
    Ok(Some(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_are_answered_through_the_socket_and_the_socket_is_owner_only() {
        let (directory, app) = super::super::tests::temp_app();
        let path = app.config.admin_socket_path();
        assert_eq!(
            send(&path, &Command::DbCheck).await.unwrap(),
            None,
            "nothing listens yet"
        );

        // A stale socket file from a server that died is replaced.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert_eq!(
            send(&path, &Command::DbCheck).await.unwrap(),
            None,
            "a stale socket counts as nobody"
        );
        let socket = bind(&path).unwrap();
        let mode = std::fs::symlink_metadata(&path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(
            matches!(bind(&path), Err(AdminError::Invalid(_))),
            "a live socket is not replaced"
        );

        let (stop, shutdown) = watch::channel(false);
        let server = tokio::spawn(serve(app.clone(), socket, shutdown));

        let command = Command::AccountCreate {
            username: "alice".into(),
            email: "alice@example.com".into(),
            role: "admin".into(),
        };
        let response = send(&path, &command).await.unwrap().unwrap();
        assert!(response.ok, "{response:?}");
        assert!(response.output.unwrap().contains("password: "));
        let response = send(&path, &command).await.unwrap().unwrap();
        assert_eq!((response.ok, response.output), (false, None));
        assert!(response.error.unwrap().contains("taken"));
        let response = send(&path, &Command::DbCheck).await.unwrap().unwrap();
        assert!(response.ok && response.output.unwrap().contains("no problems"));

        // The same command gives the same answer with or without the server.
        let local = Response::from_result(execute(&app, Command::DbStats { json: false }));
        let remote = send(&path, &Command::DbStats { json: false })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(local, remote);

        // Garbage and overlong lines are answered with an error, not a hang.
        let mut stream = UnixStream::connect(&path).await.unwrap();
        stream
            .write_all(b"{\"command\":\"format_disk\"}\n")
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        let response: Response = serde_json::from_str(answer.trim_end()).unwrap();
        assert!(!response.ok && response.error.unwrap().contains("not a command"));
        let mut stream = UnixStream::connect(&path).await.unwrap();
        stream
            .write_all(&vec![b'x'; REQUEST_BYTES_MAX + 10])
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.contains("longer than"), "{answer}");

        stop.send(true).unwrap();
        server.await.unwrap();
        assert!(!path.exists(), "the socket file is removed at shutdown");
        assert_eq!(send(&path, &Command::DbCheck).await.unwrap(), None);
        drop(directory);
    }

    #[tokio::test]
    async fn dropping_the_shutdown_sender_stops_the_server() {
        let (_directory, app) = super::super::tests::temp_app();
        let path = app.config.admin_socket_path();
        let socket = bind(&path).unwrap();
        let (stop, shutdown) = watch::channel(false);
        let server = tokio::spawn(serve(app, socket, shutdown));
        drop(stop);
        server.await.unwrap();
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn a_silent_client_is_timed_out() {
        let (_directory, app) = super::super::tests::temp_app();
        let path = app.config.admin_socket_path();
        let mut socket = bind(&path).unwrap();
        // FIXME: a paused clock (STYLE.md) needs tokio's test-util feature; a short real
        // timeout keeps the test fast until that feature is worth its build time.
        socket.io_timeout = Duration::from_millis(200);
        let (stop, shutdown) = watch::channel(false);
        let server = tokio::spawn(serve(app, socket, shutdown));
        let mut stream = UnixStream::connect(&path).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.contains("no request within"), "{answer}");
        stop.send(true).unwrap();
        server.await.unwrap();
    }

    #[test]
    fn a_file_that_is_not_a_socket_is_left_alone() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("admin.sock");
        std::fs::write(&path, "precious").unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let error = runtime.block_on(async { bind(&path).unwrap_err() });
        assert!(matches!(error, AdminError::Invalid(_)), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
    }
}
