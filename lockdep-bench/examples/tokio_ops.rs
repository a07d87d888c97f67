//! `N` uncontended `lock().await` + drop of one async mutex, for instruction
//! counts under callgrind (docs/performance.md, "Async locks"):
//!
//! ```text
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/tokio_ops <tokio|instrumented|thread|task> <N>
//! ```
//!
//! The difference between two `N` divided by their difference is the cost
//! of one operation, free of the runtime's start-up.

use std::hint::black_box;
use std::sync::Arc;

use lockdep::task::Instrument;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(variant), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("usage: tokio_ops <tokio|instrumented|thread|task> <N>");
        std::process::exit(2);
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    match variant.as_str() {
        "tokio" => {
            let m = tokio::sync::Mutex::new(0u64);
            rt.block_on(async {
                for _ in 0..n {
                    *black_box(&m).lock().await += 1;
                }
            });
        }
        "instrumented" => {
            let m = lockdep::tokio::Mutex::new(0u64);
            rt.block_on(
                async {
                    for _ in 0..n {
                        *black_box(&m).lock().await += 1;
                    }
                }
                .lockdep(),
            );
        }
        "thread" => {
            let m = lockdep::tokio::Mutex::new(0u64);
            rt.block_on(async {
                for _ in 0..n {
                    *black_box(&m).lock().await += 1;
                }
            });
        }
        "task" => {
            let m = Arc::new(lockdep::tokio::Mutex::new(0u64));
            rt.block_on(async move {
                tokio::spawn(async move {
                    for _ in 0..n {
                        *black_box(&m).lock().await += 1;
                    }
                })
                .await
                .expect("task");
            });
        }
        other => {
            eprintln!("unknown variant {other}");
            std::process::exit(2);
        }
    }
}
