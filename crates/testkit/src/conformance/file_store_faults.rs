//! File-store faults: what must hold when caches share tokens through a
//! [`FileStore`] whose directory is swapped after it was opened, whose fetch-lock record
//! claims to live far longer than any lock does, or whose key file lock another process
//! holds. Each row opens its own store in a fresh temporary directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest_middleware::ClientWithMiddleware;

use super::{ConformanceTarget, Creds, Outcome, ScenarioResult, scenario_cache_config};
use tollgate_auth_core::clock::{ManualClock, SharedClock};
use tollgate_auth_core::error::{AuthError, ErrorKind};
use tollgate_auth_core::store::{FileStore, OnUnavailable, SharedStore, StoredToken, TokenStore};

type Check = Result<Outcome, String>;

/// How long the blocked-lock row holds the key's file lock from another descriptor (the
/// pre-fix store waited this long).
const HOLD: Duration = Duration::from_secs(6);
/// The store's operation timeout in the blocked-lock row.
const BLOCKED_OP_TIMEOUT: Duration = Duration::from_millis(300);
/// How long a call may take while the file lock is held elsewhere.
const BLOCKED_BOUND: Duration = Duration::from_secs(3);

fn ensure(cond: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(why()) }
}

/// A directory under the system temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, String> {
        let path = std::env::temp_dir().join(format!(
            "tollgate-file-store-faults-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        make_private_dir(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn make_private_dir(path: &Path) -> Result<(), String> {
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)
        .map_err(|e| format!("creating {}: {e}", path.display()))
}

struct FileFaults<'a> {
    target: &'a dyn ConformanceTarget,
    clock: SharedClock,
    prefix: &'a str,
}

impl FileFaults<'_> {
    fn applies(&self) -> Result<Duration, Outcome> {
        match self.target.token_lifetime() {
            Some(life) if self.target.has_token_endpoint() => Ok(life),
            _ => Err(Outcome::NotApplicable(
                "no token endpoint whose token a store could share",
            )),
        }
    }

    fn open(&self, dir: &Path) -> Result<FileStore, String> {
        FileStore::open(dir, self.clock.clone()).map_err(|e| format!("opening the file store: {e}"))
    }

    fn shared(&self, store: FileStore, row: &str) -> SharedStore {
        SharedStore::new(Arc::new(store), format!("{}:{row}", self.prefix))
            .unwrap_or_else(|e| unreachable!("a non-empty key is accepted: {e}"))
            .on_unavailable(OnUnavailable::Fail)
            .poll_interval(Duration::from_millis(5))
    }

    fn member(&self, shared: SharedStore) -> Result<ClientWithMiddleware, String> {
        self.target
            .client(
                Creds::Valid,
                scenario_cache_config().with_shared_store(shared),
            )
            .map_err(|e| format!("building the client failed: {e}"))
    }

    async fn ok(&self, c: &ClientWithMiddleware) -> Result<(), String> {
        match self.target.call(c).await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("expected success, got HTTP {}", r.status())),
            Err(e) => Err(format!("expected success, got error: {e}")),
        }
    }

    /// After the store is opened its directory is renamed away and replaced by another
    /// holding a planted, well-formed token for the key. The store keeps using the
    /// directory it opened: the planted token is never sent, one real fetch serves the
    /// call.
    async fn swapped_directory(&self) -> Check {
        let life = match self.applies() {
            Ok(l) => l,
            Err(na) => return Ok(na),
        };
        let tmp = TempDir::new()?;
        let dir = tmp.0.join("cache");
        let store = self.open(&dir)?;
        let key = format!("{}:swapped", self.prefix);

        std::fs::rename(&dir, tmp.0.join("moved"))
            .map_err(|e| format!("moving the directory away: {e}"))?;
        make_private_dir(&dir)?;
        let planted = format!("planted{:032x}", rand::random::<u128>());
        let attacker = self.open(&dir)?;
        let token = StoredToken {
            value: planted.clone().into(),
            remaining: Some(life),
            lifetime: Some(life),
        };
        let saved = async {
            if !attacker
                .try_lock(&key, "planter", Duration::from_secs(5))
                .await?
            {
                return Ok::<_, AuthError>(false);
            }
            let saved = attacker.save(&key, "planter", &token, life).await?;
            attacker.unlock(&key, "planter").await?;
            Ok(saved)
        }
        .await
        .map_err(|e| format!("cannot plant the token: {e}"))?;
        ensure(saved, || "cannot plant the token".to_string())?;

        let (fetches, calls) = (self.target.token_fetches(), self.target.api_calls());
        let c = self.member(self.shared(store, "swapped"))?;
        self.ok(&c).await?;
        let sent_planted = self.target.recent_api_headers().iter().any(|h| {
            h.values()
                .any(|v| String::from_utf8_lossy(v.as_bytes()).contains(&planted))
        });
        ensure(!sent_planted, || {
            "the token planted in the swapped-in directory was sent".to_string()
        })?;
        if self.target.fake_core().is_some() {
            let calls = self.target.api_calls() - calls;
            ensure(calls == 1, || {
                format!("one call reached the fake {calls} times: a planted token was tried first")
            })?;
        }
        let fetched = self.target.token_fetches() - fetches;
        ensure(fetched == 1, || {
            format!("expected one real fetch, saw {fetched}")
        })?;
        Ok(Outcome::Pass)
    }

    /// Fetch-lock records that claim more life than any lock has: one in the pre-`2`
    /// format with the largest expiry (`u64::MAX` ms), and one written by a process whose
    /// clock was a day ahead (as after the clock stepped back a day). A cold member must
    /// fetch at once instead of waiting for the other member's token until it times out.
    async fn lock_past_ttl(&self) -> Check {
        if let Err(na) = self.applies() {
            return Ok(na);
        }
        let tmp = TempDir::new()?;
        let dir = tmp.0.join("cache");
        let wait = Duration::from_secs(3);

        // A bogus record with the largest expiry, in the format before TTLs were recorded.
        let store = self.open(&dir)?;
        let key = format!("{}:lock-ttl-max", self.prefix);
        let bogus = format!("tollgate-fetch-lock 1\n{}\nbogus-fence", u64::MAX);
        std::fs::write(store.fetch_lock_path(&key), bogus)
            .map_err(|e| format!("planting the lock record: {e}"))?;
        self.cold_member_fetches(store, "lock-ttl-max", wait)
            .await
            .map_err(|e| format!("with a record expiring at u64::MAX ms: {e}"))?;

        // A 10 s lock taken by a process whose clock ran a day ahead.
        let ahead = ManualClock::new(
            self.clock
                .now()
                .checked_add(Duration::from_secs(86_400))
                .ok_or("the clock cannot move a day ahead")?,
        );
        let writer = FileStore::open(&dir, ahead.shared())
            .map_err(|e| format!("opening the file store: {e}"))?;
        let key = format!("{}:lock-ttl-ahead", self.prefix);
        let taken = writer
            .try_lock(&key, "ahead", Duration::from_secs(10))
            .await
            .map_err(|e| format!("taking the lock a day ahead: {e}"))?;
        ensure(taken, || "cannot take the lock a day ahead".to_string())?;
        self.cold_member_fetches(self.open(&dir)?, "lock-ttl-ahead", wait)
            .await
            .map_err(|e| format!("with a 10 s lock taken a day ahead: {e}"))?;
        Ok(Outcome::Pass)
    }

    async fn cold_member_fetches(
        &self,
        store: FileStore,
        row: &str,
        wait: Duration,
    ) -> Result<(), String> {
        let before = self.target.token_fetches();
        let c = self.member(self.shared(store, row).wait_timeout(wait))?;
        self.ok(&c).await?;
        let fetched = self.target.token_fetches() - before;
        ensure(fetched == 1, || {
            format!("expected one fetch, saw {fetched}")
        })
    }

    /// Another descriptor holds the key's file lock for 6 s. Calls return within 3 s:
    /// with `OnUnavailable::FetchLocally` a success (fetched in this process), with
    /// `OnUnavailable::Fail` a retryable `StoreUnavailable` error.
    async fn blocked_lock(&self) -> Check {
        if let Err(na) = self.applies() {
            return Ok(na);
        }
        let tmp = TempDir::new()?;
        let store = self.open(&tmp.0.join("cache"))?;
        let key = format!("{}:blocked", self.prefix);
        let held = store
            .hold_key_lock(&key)
            .map_err(|e| format!("taking the file lock: {e}"))?;
        let (release, released) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let _ = released.recv_timeout(HOLD);
            drop(held);
        });
        let r = self.blocked_calls(&tmp.0.join("cache")).await;
        let _ = release.send(());
        let _ = tokio::task::spawn_blocking(move || holder.join()).await;
        r?;
        Ok(Outcome::Pass)
    }

    async fn blocked_calls(&self, dir: &Path) -> Result<(), String> {
        let store = || self.open(dir).map(|s| s.op_timeout(BLOCKED_OP_TIMEOUT));
        let started = Instant::now();
        let c = self.member(
            self.shared(store()?, "blocked")
                .on_unavailable(OnUnavailable::FetchLocally),
        )?;
        let r = self.ok(&c).await;
        let took = started.elapsed();
        ensure(took < BLOCKED_BOUND, || {
            format!("with the file lock held elsewhere a call took {took:?}")
        })?;
        r.map_err(|e| format!("fetching locally: {e}"))?;

        let started = Instant::now();
        let c = self.member(self.shared(store()?, "blocked"))?;
        let r = self.target.call(&c).await;
        let took = started.elapsed();
        ensure(took < BLOCKED_BOUND, || {
            format!("with the file lock held elsewhere a call took {took:?}")
        })?;
        match r {
            Ok(r) => Err(format!(
                "OnUnavailable::Fail: expected StoreUnavailable, got HTTP {}",
                r.status()
            )),
            Err(e) => match AuthError::from_middleware(&e) {
                Some(a) if a.kind() == ErrorKind::StoreUnavailable && a.is_retryable() => Ok(()),
                _ => Err(format!(
                    "OnUnavailable::Fail: expected a retryable StoreUnavailable, got {e}"
                )),
            },
        }
    }
}

/// Runs the file-store fault rows against `target`: each through a [`FileStore`] opened
/// in a fresh temporary directory, on `clock` (the fake's clock), with keys starting with
/// `prefix`.
pub async fn run_file_store_faults(
    target: &dyn ConformanceTarget,
    clock: SharedClock,
    prefix: &str,
) -> Vec<ScenarioResult> {
    let f = FileFaults {
        target,
        clock,
        prefix,
    };
    let mut results = Vec::new();
    record_row!(
        results,
        f.target,
        "fleet: file store swapped directory",
        f.swapped_directory().await
    );
    record_row!(
        results,
        f.target,
        "fleet: file store lock past its TTL",
        f.lock_past_ttl().await
    );
    record_row!(
        results,
        f.target,
        "fleet: file store blocked lock times out",
        f.blocked_lock().await
    );
    results
}
