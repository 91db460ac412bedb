//! The file token store: its contract operation by operation on a manual clock, what it
//! does with files it did not write, the permissions of what it creates, and caches sharing
//! a token through it. (Across real OS processes: the CLI tests and `cargo xtask
//! conformance`'s file-store fleet rows.)
#![cfg(feature = "file-store")]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tollgate_auth_core::store::{FileStore, FileStoreError, SharedStore, StoredToken, TokenStore};
use tollgate_auth_core::{
    CacheConfig, ErrorKind, ExposeSecret, ManualClock, SecretString, TokenCache,
};
use tollgate_testkit::conformance::Creds;
use tollgate_testkit::mock::{REFERENCE_TOKEN_LIFETIME, ReferenceFake, ReferenceSource};

const T0: u64 = 1_700_000_000;
const KEY: &str = "v5:app-id-4711";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn token(value: &str, lifetime: u64) -> StoredToken {
    StoredToken {
        value: SecretString::from(value.to_string()),
        remaining: Some(secs(lifetime)),
        lifetime: Some(secs(lifetime)),
    }
}

fn setup() -> (tempfile::TempDir, ManualClock, FileStore) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::at_unix(T0);
    let store = FileStore::open(tmp.path().join("cache"), clock.shared()).expect("open");
    (tmp, clock, store)
}

/// Stores `value` for `ttl` through the lock, as a cache does.
async fn put(store: &FileStore, value: &str, ttl: u64) {
    assert!(store.try_lock(KEY, "f-put", secs(10)).await.expect("lock"));
    assert!(
        store
            .save(KEY, "f-put", &token(value, ttl), secs(ttl))
            .await
            .expect("save")
    );
    store.unlock(KEY, "f-put").await.expect("unlock");
}

#[tokio::test]
async fn round_trip_with_remaining_life_from_the_stored_expiry() {
    let (_tmp, clock, store) = setup();
    assert!(store.load(KEY).await.expect("load").is_none(), "empty");
    put(&store, "tok-1", 300).await;

    let t = store.load(KEY).await.expect("load").expect("stored");
    assert_eq!(t.value.expose_secret(), "tok-1");
    assert_eq!(t.lifetime, Some(secs(300)));
    assert_eq!(t.remaining, Some(secs(300)));

    clock.advance(Duration::from_millis(100_250));
    let t = store.load(KEY).await.expect("load").expect("stored");
    assert_eq!(t.remaining, Some(Duration::from_millis(199_750)));

    // Another store on the same directory (another process) sees the same token.
    let other = FileStore::open(store.dir(), clock.shared()).expect("open");
    let t = other.load(KEY).await.expect("load").expect("shared");
    assert_eq!(t.value.expose_secret(), "tok-1");
    assert!(other.load("v5:another-app").await.expect("load").is_none());

    clock.advance(secs(200));
    assert!(
        store.load(KEY).await.expect("load").is_none(),
        "expired by the store's clock"
    );
}

#[tokio::test]
async fn the_fetch_lock_is_fenced_expires_and_renews() {
    let (_tmp, clock, store) = setup();
    let other = FileStore::open(store.dir(), clock.shared()).expect("open");

    assert!(store.try_lock(KEY, "a", secs(10)).await.expect("lock"));
    assert!(
        !other.try_lock(KEY, "b", secs(10)).await.expect("lock"),
        "held"
    );
    // Only the holder stores a token.
    assert!(
        !other
            .save(KEY, "b", &token("intruder", 60), secs(60))
            .await
            .expect("save")
    );
    assert!(store.load(KEY).await.expect("load").is_none());

    clock.advance(secs(9));
    assert!(store.renew(KEY, "a", secs(10)).await.expect("renew"));
    assert!(!other.renew(KEY, "b", secs(10)).await.expect("renew"));
    clock.advance(secs(9));
    assert!(
        !other.try_lock(KEY, "b", secs(10)).await.expect("lock"),
        "renewed: still held 18 s after it was taken"
    );
    // A wrong fence does not release it.
    other.unlock(KEY, "b").await.expect("unlock");
    assert!(!other.try_lock(KEY, "b", secs(10)).await.expect("lock"));

    clock.advance(Duration::from_millis(1_001));
    assert!(
        other.try_lock(KEY, "b", secs(10)).await.expect("lock"),
        "expired 10 s after the last renewal"
    );
    // The dead holder can neither renew, nor store, nor release its successor's lock.
    assert!(!store.renew(KEY, "a", secs(10)).await.expect("renew"));
    assert!(
        !store
            .save(KEY, "a", &token("stale", 60), secs(60))
            .await
            .expect("save")
    );
    store.unlock(KEY, "a").await.expect("unlock");
    assert!(!store.try_lock(KEY, "c", secs(10)).await.expect("lock"));

    assert!(
        other
            .save(KEY, "b", &token("fresh", 60), secs(60))
            .await
            .expect("save")
    );
    other.unlock(KEY, "b").await.expect("unlock");
    assert!(store.try_lock(KEY, "c", secs(10)).await.expect("lock"));
    assert_eq!(
        store
            .load(KEY)
            .await
            .expect("load")
            .expect("t")
            .value
            .expose_secret(),
        "fresh"
    );
}

#[tokio::test]
async fn remove_if_removes_only_the_rejected_value() {
    let (_tmp, _clock, store) = setup();
    put(&store, "tok-new", 300).await;
    store
        .remove_if(KEY, &SecretString::from("tok-old".to_string()))
        .await
        .expect("remove");
    assert!(store.load(KEY).await.expect("load").is_some(), "newer kept");
    store
        .remove_if(KEY, &SecretString::from("tok-new".to_string()))
        .await
        .expect("remove");
    assert!(store.load(KEY).await.expect("load").is_none());
    assert!(!store.token_path(KEY).exists());
}

#[tokio::test]
async fn damaged_or_foreign_files_are_absent_and_replaced() {
    let (_tmp, clock, store) = setup();
    let path = store.token_path(KEY);
    let too_big = "x".repeat(70_000);
    let far = (T0 + 3600) * 1000;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated", b"tollgate-token 1\n17000003".to_vec()),
        ("foreign", b"{\"access_token\":\"abc\"}".to_vec()),
        ("not utf-8", vec![0xff, 0xfe, 0x00, 0x41]),
        (
            "oversized",
            format!("tollgate-token 1\n{far}\n{too_big}").into_bytes(),
        ),
        (
            "absurd expiry",
            b"tollgate-token 1\n99999999999999999999999999\n60000:tok".to_vec(),
        ),
        (
            "bad token",
            format!("tollgate-token 1\n{far}\nsixty:tok").into_bytes(),
        ),
        (
            "two lines",
            format!("tollgate-token 1\n{far}\n60:a\n60:b").into_bytes(),
        ),
        (
            "expired",
            format!("tollgate-token 1\n{}\n60000:tok", T0 * 1000).into_bytes(),
        ),
    ];
    for (what, bytes) in cases {
        std::fs::write(&path, &bytes).expect("write");
        let loaded = store.load(KEY).await;
        assert!(
            matches!(loaded, Ok(None)),
            "{what}: {:?}",
            loaded.map(|t| t.is_some())
        );
        // The next save replaces it.
        put(&store, "tok-ok", 300).await;
        let t = store.load(KEY).await.expect("load").expect(what);
        assert_eq!(t.value.expose_secret(), "tok-ok", "{what}");
    }
    // A well-formed file is read: the format check above is not just "reject everything".
    std::fs::write(&path, format!("tollgate-token 1\n{far}\n60000:hand")).expect("write");
    let t = store.load(KEY).await.expect("load").expect("well-formed");
    assert_eq!(t.value.expose_secret(), "hand");
    assert_eq!(t.remaining, Some(secs(3600)));

    // A damaged fetch-lock record is a free lock, not a lock held forever.
    let fetch = path.with_extension("fetch");
    std::fs::write(&fetch, b"garbage").expect("write");
    assert!(store.try_lock(KEY, "f", secs(10)).await.expect("lock"));
    assert!(!store.try_lock(KEY, "g", secs(10)).await.expect("lock"));
    clock.advance(secs(11));
    assert!(store.try_lock(KEY, "g", secs(10)).await.expect("lock"));
}

#[tokio::test]
async fn a_cache_replaces_a_corrupted_file_with_one_fetch() {
    let (_tmp, clock, store) = setup();
    let fake = ReferenceFake::start(clock.clone()).await;
    std::fs::write(store.token_path(KEY), b"\x00\x01garbage").expect("write");
    let store = Arc::new(store);
    let cache = cache_on(&fake, &store, &clock);
    let t = cache
        .token()
        .await
        .expect("fetches despite the damaged file");
    assert_eq!(fake.token_requests(), 1);
    let stored = store.load(KEY).await.expect("load").expect("replaced");
    assert_eq!(stored.value.expose_secret(), t.secret().expose_secret());
}

fn cache_on(
    fake: &ReferenceFake,
    store: &Arc<FileStore>,
    clock: &ManualClock,
) -> TokenCache<ReferenceSource> {
    let cfg = CacheConfig::without_jitter().with_shared_store(
        SharedStore::new(store.clone(), KEY)
            .expect("key")
            .poll_interval(Duration::from_millis(1)),
    );
    TokenCache::with_config(fake.source(Creds::Valid), clock.shared(), cfg)
}

#[tokio::test]
async fn caches_on_separate_stores_of_one_directory_share_one_fetch() {
    let (_tmp, clock, first) = setup();
    let fake = ReferenceFake::start(clock.clone()).await;
    // One store per cache, as one per process.
    let stores: Vec<Arc<FileStore>> = std::iter::once(first)
        .chain(
            (1..6)
                .map(|_| FileStore::open(_tmp.path().join("cache"), clock.shared()).expect("open")),
        )
        .map(Arc::new)
        .collect();
    let caches: Vec<_> = stores.iter().map(|s| cache_on(&fake, s, &clock)).collect();
    let tokens: Vec<String> = futures::future::join_all(caches.iter().map(|c| c.token()))
        .await
        .into_iter()
        .map(|r| r.expect("token").secret().expose_secret().to_string())
        .collect();
    assert!(tokens.iter().all(|t| t == &tokens[0]), "one shared token");
    assert_eq!(fake.token_requests(), 1);

    // A new "process" within the lifetime fetches nothing.
    let late = cache_on(&fake, &stores[0], &clock);
    clock.advance(secs(120));
    let t = late.token().await.expect("token");
    assert_eq!(t.secret().expose_secret(), tokens[0]);
    assert_eq!(fake.token_requests(), 1);

    // After expiry, one refresh for everyone.
    clock.advance(REFERENCE_TOKEN_LIFETIME);
    let again: Vec<String> = futures::future::join_all(caches.iter().map(|c| c.token()))
        .await
        .into_iter()
        .map(|r| r.expect("token").secret().expose_secret().to_string())
        .collect();
    assert!(again.iter().all(|t| t == &again[0] && t != &tokens[0]));
    assert_eq!(fake.token_requests(), 2);

    // A rejected token leaves the files too.
    let rejected = caches[0].token().await.expect("t");
    assert!(caches[0].invalidate_token(&rejected));
    let fresh = caches[0].token().await.expect("fresh");
    assert_ne!(
        fresh.secret().expose_secret(),
        rejected.secret().expose_secret()
    );
    assert_eq!(fake.token_requests(), 3);
}

#[tokio::test]
async fn the_fleet_scenario_passes_on_a_file_store() {
    use tollgate_testkit::conformance::{Outcome, run_fleet_scenario};
    let (_tmp, clock, store) = setup();
    let fake = ReferenceFake::start(clock.clone()).await;
    let r = run_fleet_scenario(&fake, Arc::new(store), "reference:fleet").await;
    assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    assert_eq!(r.fetches, 1);
}

#[tokio::test]
async fn file_names_are_digests_of_the_key() {
    let (_tmp, _clock, store) = setup();
    let key = "snap:client-key-SECRETLOOKING";
    assert!(store.try_lock(key, "f", secs(10)).await.expect("lock"));
    assert!(
        store
            .save(key, "f", &token("tok-9", 60), secs(60))
            .await
            .expect("save")
    );
    let names = file_names(store.dir());
    assert_eq!(names.len(), 3, "{names:?}"); // .lock, .fetch, .token
    for n in &names {
        assert!(!n.contains("client"), "{n}");
        let (stem, ext) = n.split_once('.').expect("stem.ext");
        assert_eq!(stem.len(), 64, "{n}");
        assert!(stem.bytes().all(|b| b.is_ascii_hexdigit()), "{n}");
        assert!(matches!(ext, "lock" | "fetch" | "token"), "{n}");
    }
    assert!(format!("{store:?}").contains("FileStore"));
    assert!(!format!("{store:?}").contains("tok-9"));
}

#[tokio::test]
async fn clear_removes_the_tokens() {
    let (_tmp, _clock, store) = setup();
    put(&store, "tok-1", 300).await;
    assert!(store.try_lock("other", "f", secs(10)).await.expect("lock"));
    assert!(
        store
            .save("other", "f", &token("tok-2", 60), secs(60))
            .await
            .expect("save")
    );
    assert_eq!(store.clear().expect("clear"), 2);
    assert!(store.load(KEY).await.expect("load").is_none());
    assert!(store.load("other").await.expect("load").is_none());
    assert!(
        store.try_lock("other", "g", secs(10)).await.expect("lock"),
        "fetch locks are cleared too"
    );
    assert_eq!(store.clear().expect("clear"), 0);
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[cfg(unix)]
#[tokio::test]
async fn directory_is_0700_and_files_are_0600() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, _clock, store) = setup();
    put(&store, "tok-1", 300).await;
    assert!(store.try_lock(KEY, "held", secs(10)).await.expect("lock"));
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(store.dir()), 0o700);
    let names = file_names(store.dir());
    assert_eq!(names.len(), 3, "{names:?}");
    for n in names {
        assert_eq!(mode(&store.dir().join(&n)), 0o600, "{n}");
    }
}

#[cfg(unix)]
#[test]
fn unsafe_directories_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::at_unix(T0);
    let dir = tmp.path().join("shared");
    std::fs::create_dir(&dir).expect("mkdir");

    for mode in [0o777, 0o770, 0o722] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).expect("chmod");
        match FileStore::open(&dir, clock.shared()) {
            Err(FileStoreError::WritableByOthers { mode: m, .. }) => assert_eq!(m, mode),
            other => panic!("mode {mode:o}: {other:?}"),
        }
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    FileStore::open(&dir, clock.shared()).expect("0755 owned by us is accepted");

    let file = tmp.path().join("plain-file");
    std::fs::write(&file, b"x").expect("write");
    assert!(matches!(
        FileStore::open(&file, clock.shared()),
        Err(FileStoreError::NotADirectory(_))
    ));

    let err: tollgate_auth_core::AuthError = FileStoreError::NotOwned(dir.clone()).into();
    assert_eq!(err.kind(), ErrorKind::StoreUnavailable);
    assert!(!err.is_retryable());
}

/// Run as root (CI is), hand the directory to another user and expect a refusal.
#[cfg(unix)]
#[test]
fn a_directory_of_another_user_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("theirs");
    std::fs::create_dir(&dir).expect("mkdir");
    if std::os::unix::fs::chown(&dir, Some(65_534), None).is_err() {
        eprintln!("not root: cannot hand a directory to another user; skipped");
        return;
    }
    let clock = ManualClock::at_unix(T0);
    assert!(matches!(
        FileStore::open(&dir, clock.shared()),
        Err(FileStoreError::NotOwned(_))
    ));
}

// ---- Fetch-lock records are bounded by their TTL ----

/// Writes a raw fetch-lock record for `KEY`, as a crashed, buggy or hostile writer might.
fn plant_fetch_record(store: &FileStore, record: &str) {
    std::fs::write(store.fetch_lock_path(KEY), record).expect("write the lock record");
}

#[tokio::test]
async fn a_fetch_lock_claiming_more_life_than_its_ttl_is_expired() {
    let (_tmp, clock, store) = setup();
    let now = T0 * 1000;
    let max = u64::MAX;
    let cases = [
        (
            "old format, largest expiry",
            format!("tollgate-fetch-lock 1\n{max}\nbogus"),
        ),
        (
            "old format, plausible expiry",
            format!("tollgate-fetch-lock 1\n{}\nbogus", now + 5_000),
        ),
        (
            "largest expiry",
            format!("tollgate-fetch-lock 2\n{max}\n10000\nbogus"),
        ),
        (
            "more life left than its ttl",
            format!("tollgate-fetch-lock 2\n{}\n10000\nbogus", now + 10_001),
        ),
        (
            "ttl beyond the cap",
            format!("tollgate-fetch-lock 2\n{}\n{max}\nbogus", now + 5_000),
        ),
        (
            "largest expiry and ttl",
            format!("tollgate-fetch-lock 2\n{max}\n{max}\nbogus"),
        ),
        (
            "zero ttl",
            format!("tollgate-fetch-lock 2\n{}\n0\nbogus", now + 5_000),
        ),
    ];
    for (what, record) in cases {
        plant_fetch_record(&store, &record);
        assert!(
            store.try_lock(KEY, "mine", secs(10)).await.expect("lock"),
            "{what}: treated as held"
        );
        store.unlock(KEY, "mine").await.expect("unlock");
    }
    // A live record within its TTL is honoured until it expires: not "every record is
    // expired".
    plant_fetch_record(
        &store,
        &format!("tollgate-fetch-lock 2\n{}\n10000\nother", now + 10_000),
    );
    assert!(!store.try_lock(KEY, "mine", secs(10)).await.expect("lock"));
    clock.advance(secs(10));
    assert!(store.try_lock(KEY, "mine", secs(10)).await.expect("lock"));
}

#[tokio::test]
async fn a_clock_stepped_back_does_not_stretch_a_fetch_lock() {
    let (_tmp, clock, store) = setup();
    let other = FileStore::open(store.dir(), clock.shared()).expect("open");
    assert!(store.try_lock(KEY, "a", secs(10)).await.expect("lock"));
    assert!(!other.try_lock(KEY, "b", secs(10)).await.expect("lock"));
    // The clock steps back an hour: the 10 s lock now claims an hour and 10 s of life.
    clock.set(std::time::UNIX_EPOCH + secs(T0 - 3600));
    assert!(
        other.try_lock(KEY, "b", secs(10)).await.expect("lock"),
        "a 10 s lock claiming an hour of life is expired"
    );
    assert!(!store.renew(KEY, "a", secs(10)).await.expect("renew"));
    assert!(other.renew(KEY, "b", secs(10)).await.expect("renew"));
}

#[tokio::test]
async fn a_cold_cache_fetches_past_a_bogus_fetch_lock() {
    let (_tmp, clock, store) = setup();
    let fake = ReferenceFake::start(clock.clone()).await;
    plant_fetch_record(
        &store,
        &format!("tollgate-fetch-lock 1\n{}\nbogus", u64::MAX),
    );
    let store = Arc::new(store);
    let cfg = CacheConfig::without_jitter().with_shared_store(
        SharedStore::new(store.clone(), KEY)
            .expect("key")
            .poll_interval(Duration::from_millis(1))
            .wait_timeout(secs(2))
            .on_unavailable(tollgate_auth_core::store::OnUnavailable::Fail),
    );
    let cache = TokenCache::with_config(fake.source(Creds::Valid), clock.shared(), cfg);
    cache
        .token()
        .await
        .expect("fetches instead of waiting for a lock nobody holds");
    assert_eq!(fake.token_requests(), 1);
}

// ---- Operations are bounded and do not block the runtime ----

#[tokio::test(flavor = "current_thread")]
async fn a_held_file_lock_bounds_every_operation_without_blocking_the_runtime() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let (_tmp, _clock, store) = setup();
    let store = store.op_timeout(Duration::from_millis(250));
    put(&store, "tok-1", 300).await;

    // Another process holds the key's file lock for 5 s.
    let held = store.hold_key_lock(KEY).expect("take the file lock");
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let _ = released.recv_timeout(secs(5));
        drop(held);
    });
    let ticks = Arc::new(AtomicU32::new(0));
    let ticker = tokio::spawn({
        let ticks = ticks.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        }
    });

    let started = std::time::Instant::now();
    let loaded = store.load(KEY).await;
    let took = started.elapsed();
    assert!(
        took < secs(2),
        "load waited {took:?} for a file lock held elsewhere"
    );
    let err = loaded.expect_err("a store error, not a result");
    assert_eq!(err.kind(), ErrorKind::StoreUnavailable, "{err}");
    assert!(err.is_retryable(), "{err}");
    assert!(
        ticks.load(Ordering::SeqCst) >= 5,
        "the runtime's only thread was blocked while load waited ({} ticks)",
        ticks.load(Ordering::SeqCst)
    );

    // Every other operation is bounded the same way.
    let value = SecretString::from("tok-1".to_string());
    let stored = token("tok-2", 60);
    let results = [
        store.try_lock(KEY, "f", secs(10)).await.map(|_| ()),
        store.save(KEY, "f", &stored, secs(60)).await.map(|_| ()),
        store.renew(KEY, "f", secs(10)).await.map(|_| ()),
        store.unlock(KEY, "f").await,
        store.remove_if(KEY, &value).await,
    ];
    for r in results {
        let e = r.expect_err("a store error");
        assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{e}");
    }
    assert!(started.elapsed() < secs(4), "{:?}", started.elapsed());
    ticker.abort();

    // Released, the store works again and nothing was lost.
    let _ = release.send(());
    holder.join().expect("holder");
    let t = store.load(KEY).await.expect("load").expect("stored");
    assert_eq!(t.value.expose_secret(), "tok-1");
}

// ---- The directory is opened once; files are only regular files of ours ----

/// Runs `fut` on a runtime of its own on another thread, and fails the test if it has not
/// finished within `limit` (the thread is left behind: the old store blocked in `open`).
fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    fut: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let _ = tx.send(rt.block_on(fut));
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{what} did not return within {limit:?}"))
}

/// Plants a well-formed token `value` for `KEY` in `dir` through a store of its own.
async fn plant_token(dir: &Path, clock: &ManualClock, value: &str) {
    let planter = FileStore::open(dir, clock.shared()).expect("open the planted directory");
    put(&planter, value, 300).await;
}

#[tokio::test]
async fn a_directory_swapped_after_open_is_not_used() {
    let (tmp, clock, store) = setup();
    put(&store, "tok-mine", 300).await;
    let dir = store.dir().to_path_buf();
    let moved = tmp.path().join("moved");
    std::fs::rename(&dir, &moved).expect("move the directory away");
    std::fs::create_dir(&dir).expect("mkdir");
    plant_token(&dir, &clock, "tok-planted").await;

    let t = store.load(KEY).await.expect("load").expect("still stored");
    assert_eq!(
        t.value.expose_secret(),
        "tok-mine",
        "the store reads the directory it opened"
    );
    // Writes and removals go there too.
    store
        .remove_if(KEY, &SecretString::from("tok-mine".to_string()))
        .await
        .expect("remove");
    assert!(store.load(KEY).await.expect("load").is_none());
    put(&store, "tok-next", 300).await;
    let planter = FileStore::open(&dir, clock.shared()).expect("open");
    assert_eq!(
        planter
            .load(KEY)
            .await
            .expect("load")
            .expect("planted")
            .value
            .expose_secret(),
        "tok-planted",
        "the swapped-in directory was not written"
    );
    assert_eq!(store.clear().expect("clear"), 1);
    assert!(
        planter.load(KEY).await.expect("load").is_some(),
        "clear lists the directory it opened"
    );
    let moved_store = FileStore::open(&moved, clock.shared()).expect("open");
    assert!(moved_store.load(KEY).await.expect("load").is_none());
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlinked_directory_repointed_after_open_is_not_followed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::at_unix(T0);
    let (a, b, link) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("link"),
    );
    std::os::unix::fs::symlink(&a, &link).expect("symlink");
    std::fs::create_dir(&a).expect("mkdir");
    let store = FileStore::open(&link, clock.shared()).expect("our own symlink is followed");
    put(&store, "tok-mine", 300).await;

    std::fs::create_dir(&b).expect("mkdir");
    plant_token(&b, &clock, "tok-planted").await;
    std::fs::remove_file(&link).expect("unlink");
    std::os::unix::fs::symlink(&b, &link).expect("re-point");
    let t = store.load(KEY).await.expect("load").expect("stored");
    assert_eq!(t.value.expose_secret(), "tok-mine");
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlinked_token_file_is_absent_and_never_followed() {
    let (tmp, clock, store) = setup();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    plant_token(&elsewhere, &clock, "tok-planted").await;
    let planted = std::fs::read_dir(&elsewhere)
        .expect("ls")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "token"))
        .expect("planted token file");
    std::os::unix::fs::symlink(&planted, store.token_path(KEY)).expect("symlink");
    assert!(
        store.load(KEY).await.expect("load").is_none(),
        "a token file that is a symlink is absent"
    );
    // The next save replaces the link, not the file it points to.
    put(&store, "tok-mine", 300).await;
    let t = store.load(KEY).await.expect("load").expect("stored");
    assert_eq!(t.value.expose_secret(), "tok-mine");
    assert!(
        std::fs::read_to_string(&planted)
            .expect("read")
            .ends_with("tok-planted")
    );
}

#[cfg(unix)]
#[tokio::test]
async fn planted_links_create_nothing_elsewhere() {
    let (tmp, _clock, store) = setup();
    let target = tmp.path().join("created-through-a-link");
    let lock = store.token_path(KEY).with_extension("lock");
    std::os::unix::fs::symlink(&target, &lock).expect("symlink");
    let loaded = store.load(KEY).await;
    assert!(
        !target.exists(),
        "a file was created through the planted link ({:?})",
        loaded.map(|t| t.is_some())
    );
    let locked = store.try_lock(KEY, "f", secs(10)).await;
    assert!(!target.exists(), "{:?}", locked);
}

#[cfg(unix)]
#[test]
fn a_fifo_as_token_file_does_not_hang_load() {
    let (_tmp, _clock, store) = setup();
    let status = std::process::Command::new("mkfifo")
        .arg(store.token_path(KEY))
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let store = Arc::new(store);
    let s = store.clone();
    let loaded = within(secs(5), "load of a FIFO", async move {
        s.load(KEY).await.map(|t| t.is_some())
    });
    assert!(matches!(loaded, Ok(false)), "{loaded:?}");
    // The next save replaces it.
    let s = store.clone();
    let value = within(secs(5), "save over a FIFO", async move {
        put(&s, "tok-ok", 300).await;
        s.load(KEY).await.map(|t| t.map(|t| t.value))
    });
    let value = value.expect("load").expect("stored");
    assert_eq!(value.expose_secret(), "tok-ok");
}

#[tokio::test]
async fn a_directory_as_token_file_is_absent() {
    let (_tmp, _clock, store) = setup();
    std::fs::create_dir(store.token_path(KEY)).expect("mkdir");
    let loaded = store.load(KEY).await;
    assert!(
        matches!(loaded, Ok(None)),
        "{:?}",
        loaded.map(|t| t.is_some())
    );
    assert!(store.try_lock(KEY, "f", secs(10)).await.expect("lock"));
}

/// Run as root (CI is): files another user owns are not ours to trust.
#[cfg(unix)]
#[tokio::test]
async fn a_token_file_of_another_user_is_absent() {
    let (_tmp, _clock, store) = setup();
    put(&store, "tok-theirs", 300).await;
    if std::os::unix::fs::chown(store.token_path(KEY), Some(65_534), None).is_err() {
        eprintln!("not root: cannot hand a file to another user; skipped");
        return;
    }
    assert!(store.load(KEY).await.expect("load").is_none());
    put(&store, "tok-mine", 300).await;
    let t = store.load(KEY).await.expect("load").expect("stored");
    assert_eq!(t.value.expose_secret(), "tok-mine");
}

/// Run as root (CI is): a symlink another user owns could be re-pointed by them.
#[cfg(unix)]
#[test]
fn a_directory_behind_another_users_symlink_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let real = tmp.path().join("real");
    std::fs::create_dir(&real).expect("mkdir");
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let clock = ManualClock::at_unix(T0);
    if std::os::unix::fs::lchown(&link, Some(65_534), None).is_err() {
        eprintln!("not root: cannot hand a symlink to another user; skipped");
        return;
    }
    match FileStore::open(&link, clock.shared()) {
        Err(e @ FileStoreError::SymlinkNotOwned(_)) => {
            assert!(e.to_string().contains(&link.display().to_string()), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // Also named with a trailing slash (which makes the kernel follow the link itself).
    let slashed = format!("{}/", link.display());
    assert!(matches!(
        FileStore::open(&slashed, clock.shared()),
        Err(FileStoreError::SymlinkNotOwned(_))
    ));
    // Also as a link in a chain that starts with one of ours.
    let ours = tmp.path().join("ours");
    std::os::unix::fs::symlink(&link, &ours).expect("symlink");
    assert!(matches!(
        FileStore::open(&ours, clock.shared()),
        Err(FileStoreError::SymlinkNotOwned(_))
    ));
}
