//! A throw-away `redis-server` on loopback for the conformance fleet rows.

use std::net::TcpListener;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use auth_core::store::{RedisStore, TokenStore};
use tokio::process::{Child, Command};

/// A running `redis-server` owned by this process.
pub(crate) struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// Starts `redis-server` on a free loopback port, or says why it could not.
    pub(crate) async fn start() -> Result<Redis, String> {
        let found = std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|p| p.join("redis-server").is_file())
        });
        if !found {
            return Err("redis-server not found (apt-get install redis-server)".into());
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start redis-server: {e}"))?;
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(Redis { child, port });
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err(format!(
            "redis-server did not accept connections on port {port}"
        ))
    }

    /// Its URL.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A token store on it.
    pub(crate) fn store(&self) -> Result<Arc<dyn TokenStore>, String> {
        RedisStore::open(&self.url(), "tollgate-conformance:")
            .map(|s| Arc::new(s) as Arc<dyn TokenStore>)
            .map_err(|e| e.to_string())
    }

    /// Stops it.
    pub(crate) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
