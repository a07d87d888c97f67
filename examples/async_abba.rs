//! Two tasks on a multi-thread tokio runtime take two async locks in
//! opposite orders, one after the other, never at the same time: nothing
//! hangs, and lockdep reports the inversion that could.
//!
//! `cargo run --features tokio --example async_abba`

use std::sync::Arc;

use lockdep::tokio::Mutex;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a tokio runtime");
    let accounts = Arc::new(Mutex::new(100u64));
    let audit_log = Arc::new(Mutex::new(Vec::<String>::new()));
    runtime.block_on(async {
        let (a, l) = (accounts.clone(), audit_log.clone());
        lockdep::task::Builder::new()
            .name("transfer")
            .spawn(async move {
                let mut balance = a.lock().await;
                *balance -= 10;
                tokio::task::yield_now().await;
                l.lock().await.push(format!("balance now {balance}"));
            })
            .await
            .expect("transfer");
        let (a, l) = (accounts.clone(), audit_log.clone());
        lockdep::task::Builder::new()
            .name("audit")
            .spawn(async move {
                let log = l.lock().await;
                tokio::task::yield_now().await;
                let balance = a.lock().await; // opposite order: reported
                println!("{} entries, balance {balance}", log.len());
            })
            .await
            .expect("audit");
    });
    let found = lockdep::reports();
    println!("lockdep found {} problem(s)", found.len());
}
