//! A private, throw-away PostgreSQL server for the demo command, benchmarks and tests.
//!
//! Owns the whole life of one server: finding the binaries, `initdb`, choosing a free
//! loopback port, starting `postgres` with a non-UTC `timezone` (so tests catch code
//! that shifts naive UTC timestamps), waiting until it accepts connections, and
//! stopping it again. The server never outlives us: `stop()`/`Drop` shut it down, and a
//! reaper child shuts it down when our process dies without running destructors.

mod binaries;
mod error;
mod process;
mod startup;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tempfile::TempDir;

pub use error::ClusterError;
use process::{wait_with_deadline, Reaper, ServerUser};
use startup::{free_port, initdb, launch, log_tail, scratch_dir, Launch};

/// Loopback only: the server has `trust` authentication and must never be reachable
/// from another host.
pub const HOST: &str = "127.0.0.1";
const SUPERUSER: &str = "postgres";
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
const PORT_ATTEMPTS: usize = 5;

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The server's `timezone` setting. Sources store naive UTC timestamps; a server
    /// zone other than UTC exposes any code path that converts them as local time.
    pub server_time_zone: String,
    /// `None`: a fresh temporary cluster, deleted on stop. `Some`: reuse the cluster in
    /// this directory (initdb'ed first if empty); it is kept on stop.
    pub data_dir: Option<PathBuf>,
    /// `fsync`, `synchronous_commit`, `full_page_writes` off and `wal_level=minimal`:
    /// fast and crash-unsafe, for tests, the demo and benchmarks only.
    pub fast_unsafe: bool,
    /// Serve TLS (`ssl = on`) with this certificate and key, as a production source
    /// database does (see the TLS test). None: no TLS.
    pub tls: Option<ServerTls>,
}

/// A server certificate and its private key, PEM.
#[derive(Clone)]
pub struct ServerTls {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerTls { cert_pem, key_pem: *** }")
    }
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            server_time_zone: "America/Los_Angeles".to_string(),
            data_dir: None,
            fast_unsafe: false,
            tls: None,
        }
    }
}

impl ClusterOptions {
    /// A temporary, fast, crash-unsafe cluster: what tests and benchmarks want.
    pub fn ephemeral() -> Self {
        ClusterOptions {
            fast_unsafe: true,
            ..ClusterOptions::default()
        }
    }
}

/// A running PostgreSQL server on `127.0.0.1:port()`, superuser `postgres`, trust auth.
#[derive(Debug)]
pub struct PgCluster {
    port: u16,
    data_dir: PathBuf,
    log_path: PathBuf,
    is_data_dir_temporary: bool,
    server: Option<Child>,
    reaper: Option<Reaper>,
    /// Socket dir, log and (for temporary clusters) the data dir.
    scratch: Option<TempDir>,
}

impl PgCluster {
    /// Starts a server and returns once it accepts connections. Blocking (typically
    /// 1–3 s, mostly initdb); from async code call it via `spawn_blocking` if the
    /// runtime must stay responsive.
    pub fn start(opts: ClusterOptions) -> Result<PgCluster, ClusterError> {
        let bins = binaries::find()?;
        let user = ServerUser::resolve()?;
        let scratch = scratch_dir(&user)?;
        let socket_dir = scratch.path().join("socket");
        fs::create_dir(&socket_dir)
            .map_err(ClusterError::io("creating socket dir", &socket_dir))?;
        user.give(&socket_dir)?;

        let is_data_dir_temporary = opts.data_dir.is_none();
        let data_dir = opts
            .data_dir
            .clone()
            .unwrap_or_else(|| scratch.path().join("data"));
        if !data_dir.join("PG_VERSION").is_file() {
            initdb(&bins.initdb, &user, &data_dir, opts.fast_unsafe)?;
        }

        let log_path = scratch.path().join("postgres.log");
        let tls_files = match &opts.tls {
            Some(tls) => Some(write_tls_files(&user, scratch.path(), tls)?),
            None => None,
        };
        let plan = Launch {
            tls_files: tls_files.as_ref(),
            bins: &bins,
            user: &user,
            opts: &opts,
            data_dir: &data_dir,
            socket_dir: &socket_dir,
            log_path: &log_path,
            scratch: scratch.path(),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port()?;
            match launch(&plan, port) {
                Ok((server, reaper)) => {
                    tracing::debug!(port, data_dir = %data_dir.display(), "private PostgreSQL started");
                    return Ok(PgCluster {
                        port,
                        data_dir,
                        log_path,
                        is_data_dir_temporary,
                        server: Some(server),
                        reaper: Some(reaper),
                        scratch: Some(scratch),
                    });
                }
                // The port was free when we probed it; someone else may have taken it since.
                Err(ClusterError::StartFailed { log_tail, .. })
                    if attempt < PORT_ATTEMPTS && log_tail.contains("already in use") =>
                {
                    tracing::debug!(port, "port taken between probe and bind, retrying");
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The server's certificate file, when it serves TLS.
    pub fn tls_cert_path(&self) -> Option<PathBuf> {
        let path = self.scratch.as_ref()?.path().join("tls").join("server.crt");
        path.is_file().then_some(path)
    }

    pub fn host(&self) -> &'static str {
        HOST
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:PORT/DATABASE` (trust auth: no password).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@{HOST}:{}/{database}", self.port)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Connects as the superuser and drives the connection on the current runtime.
    /// The connection dies with that runtime, so never share the client across runtimes.
    pub async fn connect(&self, database: &str) -> Result<tokio_postgres::Client, ClusterError> {
        let mut config = tokio_postgres::Config::new();
        config
            .host(HOST)
            .port(self.port)
            .user(SUPERUSER)
            .dbname(database);
        config.application_name("usagelake-pgcluster");
        let (client, connection) =
            config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|source| ClusterError::Connect {
                    url: self.url(database),
                    source,
                })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "pgcluster connection ended");
            }
        });
        Ok(client)
    }

    pub async fn create_database(&self, name: &str) -> Result<(), ClusterError> {
        let sql = format!("CREATE DATABASE {}", quote_ident(name));
        self.execute_sql("postgres", &sql).await
    }

    /// Runs `sql_text` (any number of statements) with the simple query protocol.
    pub async fn execute_sql(&self, database: &str, sql_text: &str) -> Result<(), ClusterError> {
        let client = self.connect(database).await?;
        client
            .batch_execute(sql_text)
            .await
            .map_err(|e| ClusterError::sql(database, e))
    }

    /// The last lines of the server log, for error messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log_path)
    }

    /// Stops the server and removes the temporary files.
    pub fn stop(mut self) -> Result<(), ClusterError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), ClusterError> {
        if let Some(mut server) = self.server.take() {
            // Temporary data is deleted anyway, so skip the checkpoint (immediate
            // shutdown); a kept data dir gets a fast shutdown so its next start needs
            // no crash recovery.
            let signal = if self.is_data_dir_temporary {
                Signal::SIGQUIT
            } else {
                Signal::SIGINT
            };
            let _ = kill(Pid::from_raw(server.id() as i32), signal);
            let exited = wait_with_deadline(&mut server, STOP_TIMEOUT).map_err(
                ClusterError::io("waiting for postgres to stop, data dir", &self.data_dir),
            )?;
            if exited.is_none() {
                tracing::warn!(data_dir = %self.data_dir.display(), "postgres ignored shutdown, killing it");
                let _ = server.kill();
                let _ = server.wait();
            }
        }
        if let Some(reaper) = self.reaper.take() {
            reaper.disarm();
        }
        if let Some(scratch) = self.scratch.take() {
            let path = scratch.path().to_path_buf();
            scratch
                .close()
                .map_err(ClusterError::io("removing", path))?;
        }
        Ok(())
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::warn!(error = %e, "stopping private PostgreSQL");
        }
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Writes the certificate and key where the server user can read them; postgres
/// refuses a key readable by others, so it is 0600.
fn write_tls_files(
    user: &ServerUser,
    scratch: &Path,
    tls: &ServerTls,
) -> Result<(PathBuf, PathBuf), ClusterError> {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch.join("tls");
    fs::create_dir(&dir).map_err(ClusterError::io("creating TLS dir", &dir))?;
    user.give(&dir)?;
    let cert = dir.join("server.crt");
    let key = dir.join("server.key");
    for (path, text, mode) in [(&cert, &tls.cert_pem, 0o644), (&key, &tls.key_pem, 0o600)] {
        fs::write(path, text).map_err(ClusterError::io("writing", path))?;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(ClusterError::io("setting permissions of", path))?;
        user.give(path)?;
    }
    Ok((cert, key))
}
