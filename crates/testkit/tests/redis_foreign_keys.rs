//! Redis keys that tollgate did not write: a token key of another type, a lock key without
//! a TTL, and an empty credential key. Each is met by a real `redis-server` on loopback.
#![cfg(feature = "redis")]

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tollgate_auth_core::store::{RedisStore, SharedStore, StoredToken, TokenStore};
use tollgate_testkit::mock::fleet_chaos::RedisServer;

async fn start_redis() -> Option<RedisServer> {
    RedisServer::start_for_test().await
}

async fn raw(url: &str, args: &[&str]) -> redis::Value {
    let client = redis::Client::open(url).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(&mut conn).await.expect("raw command")
}

fn token(value: &str) -> StoredToken {
    StoredToken {
        value: SecretString::from(value.to_string()),
        remaining: Some(Duration::from_secs(600)),
        lifetime: Some(Duration::from_secs(600)),
    }
}

#[tokio::test]
async fn a_token_key_of_another_type_is_absent_and_overwritten() {
    let Some(redis) = start_redis().await else {
        return;
    };
    let store = RedisStore::open(&redis.url(), "t1:").expect("store");
    let key = store.token_key("cred");
    raw(&redis.url(), &["HSET", &key, "field", "value"]).await;
    // Absent, not "store unavailable" forever.
    let loaded = store
        .load("cred")
        .await
        .expect("a foreign type is absent, not an error");
    assert!(loaded.is_none());
    let gone = SecretString::from("nothing".to_string());
    store
        .remove_if("cred", &gone)
        .await
        .expect("remove_if over a foreign type");
    // The next fetch overwrites it.
    assert!(
        store
            .try_lock("cred", "f1", Duration::from_secs(10))
            .await
            .expect("lock")
    );
    assert!(
        store
            .save("cred", "f1", &token("fresh"), Duration::from_secs(600))
            .await
            .expect("save")
    );
    let back = store.load("cred").await.expect("load").expect("stored");
    assert_eq!(secrecy::ExposeSecret::expose_secret(&back.value), "fresh");
}

#[tokio::test]
async fn a_lock_key_without_ttl_or_of_another_type_blocks_one_lock_ttl_at_most() {
    let Some(redis) = start_redis().await else {
        return;
    };
    let store = RedisStore::open(&redis.url(), "t2:").expect("store");
    let ttl = Duration::from_millis(300);
    for (name, setup) in [
        ("no ttl", vec!["SET", "{LOCK}", "someone"]),
        ("another type", vec!["HSET", "{LOCK}", "f", "v"]),
    ] {
        let lock = store.lock_key(name);
        let args: Vec<&str> = setup
            .iter()
            .map(|a| if *a == "{LOCK}" { lock.as_str() } else { a })
            .collect();
        raw(&redis.url(), &args).await;
        let taken = store.try_lock(name, "mine", ttl).await;
        assert!(
            !taken.expect("try_lock over a foreign lock"),
            "{name}: a foreign lock is not ours"
        );
        // The record was given the lock's TTL: after it, the lock is free.
        let pttl = raw(&redis.url(), &["PTTL", &lock]).await;
        let left = match pttl {
            redis::Value::Int(n) => n,
            other => panic!("{name}: PTTL {other:?}"),
        };
        assert!(
            left > 0 && left <= 300,
            "{name}: a lock without a TTL must be bounded by the lock TTL, PTTL = {left}"
        );
        // Renew and unlock with our fence over a foreign value are no-ops, not errors.
        assert!(
            !store.renew(name, "mine", ttl).await.expect("renew"),
            "{name}"
        );
        store.unlock(name, "mine").await.expect("unlock");
    }
}

#[test]
fn an_empty_credential_key_is_refused() {
    // An empty key would give `{}` as the hash tag: Redis Cluster then hashes the token and
    // lock keys apart, and the scripts that touch both fail.
    let store: Arc<dyn TokenStore> = Arc::new(tollgate_auth_core::store::MemoryStore::new(
        tollgate_auth_core::clock::system_clock(),
    ));
    let e = SharedStore::new(store.clone(), "").expect_err("an empty key");
    assert_eq!(e.field(), Some("key"), "{e}");
    SharedStore::new(store, "v5:app").expect("a key");
}
