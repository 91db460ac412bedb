//! The file token store (feature `file-store`).

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{StoredToken, TokenStore};
use crate::clock::SharedClock;
use crate::error::{AuthError, ErrorKind};

/// First line of a token file.
const TOKEN_MAGIC: &str = "tollgate-token 1";
/// First line of a fetch-lock record. (Records of format `1` held no TTL and are treated
/// as absent.)
const LOCK_MAGIC: &str = "tollgate-fetch-lock 2";
/// The longest fetch lock: a record claiming a longer TTL is treated as expired, and a
/// longer TTL asked of [`TokenStore::try_lock`] or [`TokenStore::renew`] is cut to this.
const MAX_LOCK_TTL_MS: u64 = 60 * 60 * 1000;
/// Files larger than this are not read (and so treated as absent).
const MAX_FILE: u64 = 64 * 1024;
/// How long an operation may take by default ([`FileStore::op_timeout`]).
const DEFAULT_OP_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest [`FileStore::op_timeout`].
const MAX_OP_TIMEOUT: Duration = Duration::from_secs(3600);
/// The first pause between attempts to take a key's file lock; it doubles up to
/// [`LOCK_RETRY_MAX`].
const LOCK_RETRY_FIRST: Duration = Duration::from_millis(1);
/// The longest pause between attempts to take a key's file lock.
const LOCK_RETRY_MAX: Duration = Duration::from_millis(20);
/// Symbolic links followed from the directory path given to [`FileStore::open`].
#[cfg(unix)]
const MAX_SYMLINKS: usize = 16;

/// Why a [`FileStore`] refused its directory.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileStoreError {
    /// No cache directory could be determined (no `$XDG_CACHE_HOME`, no home directory).
    NoCacheDir,
    /// The path exists and is not a directory.
    NotADirectory(PathBuf),
    /// The directory belongs to another user.
    NotOwned(PathBuf),
    /// The path is a symbolic link (or a chain of them) one of which another user owns:
    /// they could point it elsewhere at any time.
    SymlinkNotOwned(PathBuf),
    /// The directory is writable by its group or by everyone (Unix mode shown in octal).
    WritableByOthers {
        /// The directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Creating or inspecting the directory failed.
    Io {
        /// The directory.
        path: PathBuf,
        /// What failed.
        kind: io::ErrorKind,
    },
}

impl fmt::Display for FileStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileStoreError::NoCacheDir => {
                f.write_str("no cache directory: neither XDG_CACHE_HOME nor a home directory")
            }
            FileStoreError::NotADirectory(p) => {
                write!(f, "token cache {} is not a directory", p.display())
            }
            FileStoreError::NotOwned(p) => write!(
                f,
                "token cache directory {} belongs to another user; refusing to use it",
                p.display()
            ),
            FileStoreError::SymlinkNotOwned(p) => write!(
                f,
                "token cache directory {} is reached through a symbolic link that another \
                 user owns; refusing to use it",
                p.display()
            ),
            FileStoreError::WritableByOthers { path, mode } => write!(
                f,
                "token cache directory {} is writable by others (mode {mode:o}); refusing to \
                 use it (chmod 700 it)",
                path.display()
            ),
            FileStoreError::Io { path, kind } => {
                write!(f, "token cache directory {}: {kind}", path.display())
            }
        }
    }
}

impl std::error::Error for FileStoreError {}

impl From<FileStoreError> for AuthError {
    fn from(e: FileStoreError) -> Self {
        AuthError::new(ErrorKind::StoreUnavailable, e.to_string()).with_retryable(false)
    }
}

/// Shares tokens between processes on one host through files in a directory.
///
/// **The token files hold bearer secrets**: anyone who can read them can call the provider
/// as you until the token expires. The store therefore creates its directory with mode
/// `0700` and every file with mode `0600`, and refuses a directory that another user owns
/// or that its group or everyone may write to.
///
/// **The directory is opened once.** [`open`](Self::open) follows the path's symbolic
/// links (refusing, with [`FileStoreError::SymlinkNotOwned`], a link that a user other
/// than you or root owns, since they could point it elsewhere), opens the directory it
/// reaches without following a link in its last step, checks that directory's owner and
/// mode on the open handle, and keeps the handle. Every later file operation is relative
/// to that handle (`openat`, `renameat`, `unlinkat`, and listing for
/// [`clear`](Self::clear)): renaming the directory, replacing it, or re-pointing a link
/// on its path after `open` does not change which directory the store uses. Files are
/// opened without following symbolic links and without blocking (`O_NOFOLLOW |
/// O_NONBLOCK`), and only regular files owned by the effective user are read: anything
/// else in a file's place — a symbolic link, a FIFO, a directory, another user's file — is
/// treated as absent (and replaced by the next save), never followed or waited on. The
/// paths [`dir`](Self::dir) and [`token_path`](Self::token_path) return name these files
/// for people; the store does not resolve them again.
///
/// On non-Unix systems there are no mode bits, owners or `openat`: the store keeps the
/// path, the directory's own access control applies, and each operation resolves the path
/// again.
///
/// Layout, per key (the file names are a SHA-256 digest of the key, so no credential
/// identifier or secret appears in a name):
/// - `<digest>.lock`: an empty file locked with the operating system's advisory file lock
///   (`flock`) around every operation, which makes each operation atomic across processes;
/// - `<digest>.token`: the token ([`StoredToken::encode`]) and its absolute expiry;
/// - `<digest>.fetch`: the fetch lock, a fenced record with an expiry and its TTL (as Redis
///   `SET NX PX`), renewable by its holder, ignored once expired. A record claiming more
///   remaining life than its TTL (one written before the clock stepped back, or a bogus
///   one) or a TTL over an hour is expired too: no record blocks fetching for longer than
///   a lock may live. (Lock TTLs are capped at one hour.)
///
/// Remaining life is the stored expiry minus the store's clock (processes on one host
/// share that clock). Every file is untrusted input: one that is truncated, corrupted,
/// oversized or written by something else is treated as absent and replaced by the next
/// save, never an error that blocks fetching. Files are replaced by writing a temporary
/// file, flushing it to disk and renaming it, so a process killed mid-write leaves the
/// previous file.
///
/// **Every operation is bounded by [`op_timeout`](Self::op_timeout)** (2 s by default) and
/// never blocks the async runtime: the key's file lock is tried without blocking
/// (`LOCK_NB`), with async sleeps between attempts, and the file-system calls made under it
/// (reads, writes, `fsync`, renames) run on tokio's blocking thread pool
/// ([`spawn_blocking`](tokio::task::spawn_blocking)), so it needs a tokio runtime. An
/// operation that cannot take the lock, or whose calls do not finish, in time fails with a
/// retryable [`ErrorKind::StoreUnavailable`] error (the cache then follows its
/// `OnUnavailable`); calls already running finish in the background and release the lock.
/// The lock is released by the kernel if the process dies.
///
/// ```no_run
/// # fn demo() -> Result<(), tollgate_auth_core::AuthError> {
/// use std::sync::Arc;
/// use tollgate_auth_core::CacheConfig;
/// use tollgate_auth_core::store::{FileStore, SharedStore};
///
/// let files = Arc::new(FileStore::open_default(tollgate_auth_core::clock::system_clock())?);
/// let cache = CacheConfig::default()
///     .with_shared_store(SharedStore::new(files, "v5:my-app-id")?);
/// # let _ = cache; Ok(()) }
/// ```
pub struct FileStore {
    /// The path given to `open`, for messages.
    dir: PathBuf,
    /// What the blocking tasks of operations share.
    files: Arc<Files>,
    op_timeout: Duration,
}

/// The directory handle and the clock: everything an operation's file-system calls need,
/// owned so that they can run on the blocking thread pool.
struct Files {
    dir: DirHandle,
    clock: SharedClock,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("dir", &self.dir)
            .field("op_timeout", &self.op_timeout)
            .finish_non_exhaustive()
    }
}

impl FileStore {
    /// A store in `dir`, created (mode `0700`, parents included) if missing. Refuses a
    /// directory owned by another user or writable by its group or everyone, and (Unix) a
    /// path whose symbolic links another user owns. The directory is opened here, once;
    /// see the type's documentation.
    pub fn open(dir: impl Into<PathBuf>, clock: SharedClock) -> Result<Self, FileStoreError> {
        let dir = dir.into();
        let handle = DirHandle::open(&dir)?;
        Ok(FileStore {
            dir,
            files: Arc::new(Files { dir: handle, clock }),
            op_timeout: DEFAULT_OP_TIMEOUT,
        })
    }

    /// Bounds every operation (default 2 s, at most an hour): an operation that cannot take
    /// its key's file lock, or whose file-system calls do not finish, within this time fails
    /// with a retryable [`ErrorKind::StoreUnavailable`] error. (As `RedisStore::op_timeout`.)
    #[must_use]
    pub fn op_timeout(mut self, t: Duration) -> Self {
        self.op_timeout = t.min(MAX_OP_TIMEOUT);
        self
    }

    /// A store in [`default_dir`](Self::default_dir).
    pub fn open_default(clock: SharedClock) -> Result<Self, FileStoreError> {
        Self::open(
            Self::default_dir().ok_or(FileStoreError::NoCacheDir)?,
            clock,
        )
    }

    /// `tollgate` under the platform's cache directory: `$XDG_CACHE_HOME/tollgate` (or
    /// `~/.cache/tollgate`) on Linux, `~/Library/Caches/tollgate` on macOS,
    /// `%LOCALAPPDATA%\tollgate` on Windows. `None` without a home directory.
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("tollgate"))
    }

    /// The directory, as the path given to [`open`](Self::open) (the store itself uses the
    /// directory it opened there, wherever it is now).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding the token of `key` (its name is a digest of the key), under the
    /// path given to [`open`](Self::open).
    pub fn token_path(&self, key: &str) -> PathBuf {
        self.dir.join(file_name(&digest(key), "token"))
    }

    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    /// The file holding the fetch-lock record of `key`, for tests that plant records.
    pub fn fetch_lock_path(&self, key: &str) -> PathBuf {
        self.dir.join(file_name(&digest(key), "fetch"))
    }

    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    /// Takes the operating-system file lock of `key` on a file descriptor of its own, as
    /// another process would (waiting for it if need be), and returns the open file: the
    /// lock is held until it is dropped. For tests of what the store does while another
    /// process holds the lock.
    pub fn hold_key_lock(&self, key: &str) -> io::Result<File> {
        let file = self.files.dir.open_lock(&file_name(&digest(key), "lock"))?;
        lock_file_waiting(&file)?;
        Ok(file)
    }

    /// Removes every stored token and fetch lock in the directory (each under its key's
    /// file lock, waited for at most [`op_timeout`](Self::op_timeout)), and temporary files
    /// left by interrupted writes. Returns how many tokens were removed. This call blocks
    /// its thread.
    pub fn clear(&self) -> Result<usize, AuthError> {
        let names = self.files.dir.names().map_err(|e| io_error("list", &e))?;
        let mut removed = 0;
        for name in names {
            let Some((stem, ext)) = name.split_once('.') else {
                continue;
            };
            // Tokens, fetch locks, and temporary files left by a process killed mid-write.
            if !is_digest(stem) || !(matches!(ext, "token" | "fetch") || ext.starts_with("tmp")) {
                continue;
            }
            let _guard = self.lock_blocking(stem)?;
            match self.files.dir.remove(&name) {
                Ok(()) if ext == "token" => removed += 1,
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("remove", &e)),
            }
        }
        Ok(removed)
    }

    fn timed_out(&self, waiting_for: &str) -> AuthError {
        AuthError::new(
            ErrorKind::StoreUnavailable,
            format!(
                "file token store: {waiting_for} took longer than {} ms",
                self.op_timeout.as_millis()
            ),
        )
        .with_retryable(true)
    }

    /// The file lock of the key whose digest is `stem`, tried without blocking and with
    /// async pauses until `deadline`.
    async fn lock(
        &self,
        stem: &str,
        deadline: tokio::time::Instant,
    ) -> Result<FileLock, AuthError> {
        let file = self
            .files
            .dir
            .open_lock(&file_name(stem, "lock"))
            .map_err(|e| io_error("open lock file", &e))?;
        let mut pause = LOCK_RETRY_FIRST;
        loop {
            if try_lock_file(&file).map_err(|e| io_error("lock", &e))? {
                return Ok(FileLock(file));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(self.timed_out("taking the key's file lock"));
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = pause.saturating_mul(2).min(LOCK_RETRY_MAX);
        }
    }

    /// As [`lock`](Self::lock), pausing the thread instead (for [`clear`](Self::clear)).
    fn lock_blocking(&self, stem: &str) -> Result<FileLock, AuthError> {
        let deadline = Instant::now().checked_add(self.op_timeout);
        let file = self
            .files
            .dir
            .open_lock(&file_name(stem, "lock"))
            .map_err(|e| io_error("open lock file", &e))?;
        let mut pause = LOCK_RETRY_FIRST;
        loop {
            if try_lock_file(&file).map_err(|e| io_error("lock", &e))? {
                return Ok(FileLock(file));
            }
            let now = Instant::now();
            let Some(left) = deadline.and_then(|d| d.checked_duration_since(now)) else {
                return Err(self.timed_out("taking the key's file lock"));
            };
            std::thread::sleep(pause.min(left));
            pause = pause.saturating_mul(2).min(LOCK_RETRY_MAX);
        }
    }

    /// Runs `op` on the blocking thread pool holding the file lock of `key`, all within
    /// [`op_timeout`](Self::op_timeout). `op` gets the files and the key's digest.
    async fn run<T, F>(&self, key: &str, op: F) -> Result<T, AuthError>
    where
        T: Send + 'static,
        F: FnOnce(&Files, &str) -> Result<T, AuthError> + Send + 'static,
    {
        let now = tokio::time::Instant::now();
        let deadline = now.checked_add(self.op_timeout).unwrap_or(now);
        let stem = digest(key);
        let lock = self.lock(&stem, deadline).await?;
        let files = Arc::clone(&self.files);
        let task = tokio::task::spawn_blocking(move || {
            let _lock = lock;
            op(&files, &stem)
        });
        match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(AuthError::new(
                ErrorKind::StoreUnavailable,
                "file token store: the file-system task did not finish",
            )),
            Err(_) => Err(self.timed_out("reading or writing the key's files")),
        }
    }
}

impl Files {
    fn now_ms(&self) -> u64 {
        millis_since_epoch(self.clock.now())
    }

    /// The contents of file `name` if it is a regular file of ours of at most
    /// [`MAX_FILE`] bytes in UTF-8; `None` otherwise. Only failures to open or read a file
    /// that is there are errors.
    fn read_small(&self, name: &str) -> Result<Option<String>, AuthError> {
        let Some(file) = self.dir.open_read(name).map_err(|e| io_error("open", &e))? else {
            return Ok(None);
        };
        let mut buf = Vec::new();
        file.take(MAX_FILE.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| io_error("read", &e))?;
        if u64::try_from(buf.len()).map_or(true, |n| n > MAX_FILE) {
            zeroize_vec(&mut buf);
            return Ok(None);
        }
        match String::from_utf8(buf) {
            Ok(s) => Ok(Some(s)),
            Err(e) => {
                zeroize_vec(&mut e.into_bytes());
                Ok(None)
            }
        }
    }

    /// The live token record of the key whose digest is `stem`: its encoded token and
    /// remaining life. Anything unreadable, malformed or expired is `None`.
    fn live_token(&self, stem: &str) -> Result<Option<(SecretString, Duration)>, AuthError> {
        let Some(raw) = self.read_small(&file_name(stem, "token"))? else {
            return Ok(None);
        };
        let raw = SecretString::from(raw);
        let Some(([expires], body)) = parse_record(raw.expose_secret(), TOKEN_MAGIC) else {
            return Ok(None);
        };
        let Some(left) = expires.checked_sub(self.now_ms()).filter(|ms| *ms > 0) else {
            return Ok(None);
        };
        Ok(Some((
            SecretString::from(body.to_string()),
            Duration::from_millis(left),
        )))
    }

    /// The fence of the live fetch lock on the key whose digest is `stem`, if any. A record
    /// is live while its expiry is ahead of the store's clock by at most its TTL, and that
    /// TTL is at most [`MAX_LOCK_TTL_MS`]: a record claiming more life than its TTL
    /// (written before the clock stepped back, or bogus) is expired, so no record blocks
    /// fetching for longer than a lock may live.
    fn live_fence(&self, stem: &str) -> Result<Option<String>, AuthError> {
        let Some(raw) = self.read_small(&file_name(stem, "fetch"))? else {
            return Ok(None);
        };
        let Some(([expires, ttl], fence)) = parse_record(&raw, LOCK_MAGIC) else {
            return Ok(None);
        };
        let live = (1..=MAX_LOCK_TTL_MS).contains(&ttl)
            && expires
                .checked_sub(self.now_ms())
                .is_some_and(|left| left > 0 && left <= ttl);
        Ok(live.then(|| fence.to_string()))
    }

    fn holds(&self, stem: &str, fence: &str) -> Result<bool, AuthError> {
        Ok(self
            .live_fence(stem)?
            .is_some_and(|f| bool::from(f.as_bytes().ct_eq(fence.as_bytes()))))
    }

    fn write_fetch_lock(&self, stem: &str, fence: &str, ttl: Duration) -> Result<(), AuthError> {
        let ttl = duration_ms(ttl).clamp(1, MAX_LOCK_TTL_MS);
        let until = self.now_ms().saturating_add(ttl);
        let record = format!("{LOCK_MAGIC}\n{until}\n{ttl}\n{fence}");
        self.write_atomic(stem, "fetch", record.as_bytes())
    }

    /// Writes `bytes` to a new private temporary file beside `<stem>.<ext>`, flushes it to
    /// disk, then renames it over `<stem>.<ext>`: readers see the old file or the new one,
    /// never half of one.
    fn write_atomic(&self, stem: &str, ext: &str, bytes: &[u8]) -> Result<(), AuthError> {
        let tmp = file_name(
            stem,
            &format!("tmp{}-{:016x}", std::process::id(), rand::random::<u64>()),
        );
        let written = self.dir.create_new(&tmp).and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        });
        if let Err(e) = written {
            let _ = self.dir.remove(&tmp);
            return Err(io_error("write", &e));
        }
        self.dir.rename(&tmp, &file_name(stem, ext)).map_err(|e| {
            let _ = self.dir.remove(&tmp);
            io_error("rename", &e)
        })
    }

    fn remove_if_present(&self, name: &str) -> Result<(), AuthError> {
        match self.dir.remove(name) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", &e)),
        }
    }
}

impl TokenStore for FileStore {
    fn name(&self) -> &'static str {
        "file"
    }

    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, AuthError>> {
        Box::pin(self.run(key, |files, stem| {
            Ok(files
                .live_token(stem)?
                .and_then(|(body, left)| StoredToken::decode(body.expose_secret(), Some(left))))
        }))
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        token: &'a StoredToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        let fence = fence.to_string();
        let encoded = SecretString::from(token.encode());
        Box::pin(self.run(key, move |files, stem| {
            if !files.holds(stem, &fence)? {
                return Ok(false);
            }
            let until = files.now_ms().saturating_add(duration_ms(ttl).max(1));
            let record = SecretString::from(format!(
                "{TOKEN_MAGIC}\n{until}\n{}",
                encoded.expose_secret()
            ));
            files.write_atomic(stem, "token", record.expose_secret().as_bytes())?;
            Ok(true)
        }))
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        let fence = fence.to_string();
        Box::pin(self.run(key, move |files, stem| {
            if files.live_fence(stem)?.is_some() {
                return Ok(false);
            }
            files.write_fetch_lock(stem, &fence, ttl)?;
            Ok(true)
        }))
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        let fence = fence.to_string();
        Box::pin(self.run(key, move |files, stem| {
            if !files.holds(stem, &fence)? {
                return Ok(false);
            }
            files.write_fetch_lock(stem, &fence, ttl)?;
            Ok(true)
        }))
    }

    fn unlock<'a>(&'a self, key: &'a str, fence: &'a str) -> BoxFuture<'a, Result<(), AuthError>> {
        let fence = fence.to_string();
        Box::pin(self.run(key, move |files, stem| {
            // An expired record with our fence is ours to remove too: nobody else holds it.
            let name = file_name(stem, "fetch");
            let ours = files
                .read_small(&name)?
                .and_then(|raw| {
                    parse_record::<2>(&raw, LOCK_MAGIC)
                        .map(|(_, f)| bool::from(f.as_bytes().ct_eq(fence.as_bytes())))
                })
                .unwrap_or(false);
            if ours {
                files.remove_if_present(&name)?;
            }
            Ok(())
        }))
    }

    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        value: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), AuthError>> {
        let value = value.clone();
        Box::pin(self.run(key, move |files, stem| {
            let same = files
                .live_token(stem)?
                .and_then(|(body, _)| StoredToken::decode(body.expose_secret(), None))
                .is_some_and(|t| {
                    bool::from(
                        t.value
                            .expose_secret()
                            .as_bytes()
                            .ct_eq(value.expose_secret().as_bytes()),
                    )
                });
            if same {
                files.remove_if_present(&file_name(stem, "token"))?;
            }
            Ok(())
        }))
    }
}

/// Hex SHA-256 of `key`.
fn digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn file_name(stem: &str, ext: &str) -> String {
    format!("{stem}.{ext}")
}

fn is_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn millis_since_epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(duration_ms).unwrap_or(0)
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `<magic>\n<N decimal numbers, one a line>\n<body>` → (numbers, body): a token record
/// has one number (its expiry in ms since the epoch), a fetch-lock record two (its expiry
/// and its TTL in ms). Strict: any other shape, or a number beyond `u64`, is `None`.
fn parse_record<'s, const N: usize>(raw: &'s str, magic: &str) -> Option<([u64; N], &'s str)> {
    let mut rest = raw.strip_prefix(magic)?.strip_prefix('\n')?;
    let mut numbers = [0u64; N];
    for n in &mut numbers {
        let (field, tail) = rest.split_once('\n')?;
        if field.is_empty() || field.len() > 20 || !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *n = field.parse().ok()?;
        rest = tail;
    }
    if rest.is_empty() || rest.contains('\n') {
        return None;
    }
    Some((numbers, rest))
}

fn io_error(what: &str, e: &io::Error) -> AuthError {
    AuthError::new(
        ErrorKind::StoreUnavailable,
        format!("file token store: {what}: {}", e.kind()),
    )
}

fn zeroize_vec(buf: &mut Vec<u8>) {
    buf.iter_mut().for_each(|b| *b = 0);
    buf.clear();
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// An exclusive OS file lock, released when dropped (and by the kernel if the process
/// dies).
struct FileLock(File);

impl Drop for FileLock {
    fn drop(&mut self) {
        unlock_file(&self.0);
    }
}

/// The store's directory: an open handle (Unix).
#[cfg(unix)]
struct DirHandle(File);

#[cfg(unix)]
impl DirHandle {
    /// Opens `path` once: follows the symbolic links of its last component one by one,
    /// refusing a link that another user (other than root) owns, creates the directory if
    /// missing, opens it without following a link (`O_DIRECTORY | O_NOFOLLOW`), and checks
    /// the owner and mode of what it opened.
    fn open(path: &Path) -> Result<Self, FileStoreError> {
        use rustix::fs::{Mode, OFlags};
        use rustix::io::Errno;
        use std::os::unix::fs::MetadataExt;

        let io = |e: io::Error| FileStoreError::Io {
            path: path.to_path_buf(),
            kind: e.kind(),
        };
        let euid = rustix::process::geteuid().as_raw();
        // Without a trailing `/` (which would make the kernel follow a final link itself).
        let mut current: PathBuf = path.components().collect();
        let mut links = 0;
        let mut created = false;
        loop {
            match fs::symlink_metadata(&current) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    if meta.uid() != euid && meta.uid() != 0 {
                        return Err(FileStoreError::SymlinkNotOwned(path.to_path_buf()));
                    }
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(io(Errno::LOOP.into()));
                    }
                    let target = fs::read_link(&current).map_err(io)?;
                    current = match current.parent() {
                        Some(parent) => parent.join(target),
                        None => target,
                    };
                }
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::NotFound && !created => {
                    create_private_dir(&current).map_err(io)?;
                    created = true;
                }
                Err(e) => return Err(io(e)),
            }
        }
        let fd = rustix::fs::open(
            &current,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            Errno::NOTDIR => FileStoreError::NotADirectory(path.to_path_buf()),
            e => io(e.into()),
        })?;
        let dir = File::from(fd);
        let meta = dir.metadata().map_err(io)?;
        if !meta.is_dir() {
            return Err(FileStoreError::NotADirectory(path.to_path_buf()));
        }
        if meta.uid() != euid {
            return Err(FileStoreError::NotOwned(path.to_path_buf()));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(FileStoreError::WritableByOthers {
                path: path.to_path_buf(),
                mode,
            });
        }
        Ok(DirHandle(dir))
    }

    fn flags() -> rustix::fs::OFlags {
        use rustix::fs::OFlags;
        OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC
    }

    fn private_mode() -> rustix::fs::Mode {
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR
    }

    /// Opens (creating it if missing) the lock file `name`, which must be a regular file of
    /// ours.
    fn open_lock(&self, name: &str) -> io::Result<File> {
        use rustix::fs::OFlags;
        let fd = rustix::fs::openat(
            &self.0,
            name,
            OFlags::RDWR | OFlags::CREATE | Self::flags(),
            Self::private_mode(),
        )?;
        let file = File::from(fd);
        if is_own_regular_file(&file)? {
            Ok(file)
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a regular file of this user",
            ))
        }
    }

    /// Opens file `name` for reading; `None` when there is no such file or it is not a
    /// regular file of ours (a symbolic link, a FIFO, a socket, a directory, another
    /// user's file).
    fn open_read(&self, name: &str) -> io::Result<Option<File>> {
        use rustix::fs::{Mode, OFlags};
        use rustix::io::Errno;
        match rustix::fs::openat(&self.0, name, OFlags::RDONLY | Self::flags(), Mode::empty()) {
            Ok(fd) => {
                let file = File::from(fd);
                Ok(is_own_regular_file(&file)?.then_some(file))
            }
            // Missing; a symbolic link (ELOOP, or EMLINK on the BSDs); a socket (ENXIO).
            Err(e) if [Errno::NOENT, Errno::LOOP, Errno::MLINK, Errno::NXIO].contains(&e) => {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Creates the new private file `name` for writing.
    fn create_new(&self, name: &str) -> io::Result<File> {
        use rustix::fs::OFlags;
        let fd = rustix::fs::openat(
            &self.0,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | Self::flags(),
            Self::private_mode(),
        )?;
        Ok(File::from(fd))
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        Ok(rustix::fs::renameat(&self.0, from, &self.0, to)?)
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(
            &self.0,
            name,
            rustix::fs::AtFlags::empty(),
        )?)
    }

    /// The names in the directory (UTF-8 ones only), read through the handle.
    fn names(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.0)? {
            if let Ok(name) = entry?.file_name().to_str() {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }
}

#[cfg(unix)]
fn is_own_regular_file(file: &File) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata()?;
    Ok(meta.file_type().is_file() && meta.uid() == rustix::process::geteuid().as_raw())
}

#[cfg(unix)]
fn try_lock_file(file: &File) -> io::Result<bool> {
    use rustix::fs::FlockOperation;
    use rustix::io::Errno;
    match rustix::fs::flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(Errno::WOULDBLOCK | Errno::INTR) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(all(unix, feature = "test-util"))]
fn lock_file_waiting(file: &File) -> io::Result<()> {
    Ok(rustix::fs::flock(
        file,
        rustix::fs::FlockOperation::LockExclusive,
    )?)
}

#[cfg(unix)]
fn unlock_file(file: &File) {
    let _ = rustix::fs::flock(file, rustix::fs::FlockOperation::Unlock);
}

/// The store's directory (non-Unix): its path, resolved again by every operation.
#[cfg(not(unix))]
struct DirHandle(PathBuf);

#[cfg(not(unix))]
impl DirHandle {
    fn open(path: &Path) -> Result<Self, FileStoreError> {
        let io = |e: io::Error| FileStoreError::Io {
            path: path.to_path_buf(),
            kind: e.kind(),
        };
        match fs::metadata(path) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                create_private_dir(path).map_err(io)?
            }
            Err(e) => return Err(io(e)),
        }
        if !fs::metadata(path).map_err(io)?.is_dir() {
            return Err(FileStoreError::NotADirectory(path.to_path_buf()));
        }
        Ok(DirHandle(path.to_path_buf()))
    }

    fn open_lock(&self, name: &str) -> io::Result<File> {
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.0.join(name))
    }

    fn open_read(&self, name: &str) -> io::Result<Option<File>> {
        match File::open(self.0.join(name)) {
            Ok(file) => Ok(file.metadata()?.is_file().then_some(file)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn create_new(&self, name: &str) -> io::Result<File> {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.0.join(name))
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        fs::rename(self.0.join(from), self.0.join(to))
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        fs::remove_file(self.0.join(name))
    }

    fn names(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.0)? {
            if let Ok(name) = entry?.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }
}

#[cfg(not(unix))]
fn try_lock_file(file: &File) -> io::Result<bool> {
    match fs4::FileExt::try_lock(file) {
        Ok(()) => Ok(true),
        Err(fs4::TryLockError::WouldBlock) => Ok(false),
        Err(fs4::TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(all(not(unix), feature = "test-util"))]
fn lock_file_waiting(file: &File) -> io::Result<()> {
    fs4::FileExt::lock(file)
}

#[cfg(not(unix))]
fn unlock_file(file: &File) {
    let _ = fs4::FileExt::unlock(file);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse_strictly() {
        assert_eq!(
            parse_record("tollgate-token 1\n42\n5:tok", TOKEN_MAGIC),
            Some(([42], "5:tok"))
        );
        assert_eq!(
            parse_record("tollgate-fetch-lock 2\n42\n7\nfence", LOCK_MAGIC),
            Some(([42, 7], "fence"))
        );
        for bad in [
            "tollgate-fetch-lock 1\n42\nfence",
            "tollgate-fetch-lock 2\n42\nfence",
            "tollgate-fetch-lock 2\n42\n\nfence",
            "tollgate-fetch-lock 2\n42\n18446744073709551616\nfence",
            "tollgate-fetch-lock 2\n42\n7\n",
        ] {
            assert_eq!(parse_record::<2>(bad, LOCK_MAGIC), None, "{bad:?}");
        }
        for bad in [
            "",
            "tollgate-token 1",
            "tollgate-token 1\n",
            "tollgate-token 1\n42",
            "tollgate-token 1\n42\n",
            "tollgate-token 1\n\n5:tok",
            "tollgate-token 1\n-1\n5:tok",
            "tollgate-token 1\n+4\n5:tok",
            "tollgate-token 1\n99999999999999999999999\n5:tok",
            "tollgate-token 1\n42\n5:tok\nmore",
            "tollgate-token 2\n42\n5:tok",
            "tollgate-fetch-lock 1\n42\nfence",
        ] {
            assert_eq!(parse_record::<1>(bad, TOKEN_MAGIC), None, "{bad:?}");
        }
    }

    #[test]
    fn digests_are_hex_sha256() {
        let d = digest("snap:client");
        assert!(is_digest(&d));
        assert_ne!(d, digest("snap:client2"));
        assert!(!is_digest("abc"));
    }
}
