//! Held locks per async task, with checking compiled out: the same API,
//! and an instrumented future is the future itself, polled as is.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future made by [`Instrument::lockdep`] (checking compiled out: it only
/// polls the future).
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
#[repr(transparent)]
pub struct Instrumented<F> {
    inner: F,
}

/// `fut.lockdep()`: with checking compiled out, nothing to install.
pub trait Instrument: Future + Sized {
    /// This future (checking compiled out).
    #[track_caller]
    fn lockdep(self) -> Instrumented<Self> {
        Instrumented { inner: self }
    }

    /// This future; the name is not kept (checking compiled out).
    #[track_caller]
    fn lockdep_named(self, _name: &str) -> Instrumented<Self> {
        Instrumented { inner: self }
    }
}

impl<F: Future> Instrument for F {}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is pinned structurally: never moved out of `self`.
        unsafe { self.map_unchecked_mut(|s| &mut s.inner) }.poll(cx)
    }
}

/// `tokio::spawn` (checking compiled out).
#[cfg(feature = "tokio")]
#[track_caller]
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(future)
}

/// Builds tokio tasks (checking compiled out: the name is not kept).
#[cfg(feature = "tokio")]
#[derive(Debug, Default, Clone)]
pub struct Builder {
    _private: (),
}

#[cfg(feature = "tokio")]
impl Builder {
    /// A builder of unnamed tasks.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The task's name (not kept with checking compiled out).
    pub fn name(self, _name: &str) -> Builder {
        self
    }

    /// `tokio::spawn(future)`.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(future)
    }
}
