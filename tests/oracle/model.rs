//! The oracle: the simplest implementation of FORMAT.md section 2, the `U(L)`
//! re-acquire rule of its op table, and the two departures of
//! docs/semantics.md, written from those texts alone. It shares no code with
//! `src/`: no chain cache, no shortcuts, the complete typed dependency graph,
//! and an exhaustive search over (class node, arrival state) for cycles.
//!
//! The rules, in the order they are applied to one acquisition of `next`
//! (object, mode, subclass, nest lock) by a thread with held stack `H`:
//!
//! 1. A trylock (`T`, `TR`) is pushed on `H` and nothing else happens.
//! 2. A nest lock named but not on `H` is a `nest-lock-not-held` report.
//! 3. Same-class check: scan `H` bottom-up; remember whether the nest
//!    object has been seen (the entry itself included, as `check_deadlock`
//!    tests `prev->instance == next->nest_lock` before the class); skip
//!    entries of another node (class, subclass); skip an entry if `next` is
//!    `RR` and the entry is any read; the first remaining entry is either
//!    nest-exempt (nest seen: push, **no edges**) or a `recursive` report.
//! 4. Edges: walk `H` from the top down; for each entry `p` whose node is not
//!    `next`'s, check then add the edge `p -> next` with type
//!    (E if `p` is `W`/`T` else S, R if `next` is `RR` else N); stop after the
//!    first entry that is neither a trylock nor an `RR` (departure (a)).
//!    Checking `p -> next` = searching a strong path `next -> ... -> p` in the
//!    graph as it is; one found is a `deadlock` report.
//! 5. Push `next` on `H`.
//!
//! Release of `L`: the topmost entry of `L` on `H`, if none `unlock-imbalance`;
//! else `H` is truncated there and every entry that was above it is acquired
//! again, in order, through rules 1-5 (reports fire at the `U` op).
//! `INIT(L)`: `reinit-held` if `L` is on `H`, else `L` becomes a new object.
//! One-shot: the first report ends the program. Each line starts with an
//! empty held stack (locks a line leaves held are dropped quietly).
//!
//! [`judge_without_reacquire`] applies the same rules except that a release
//! only removes its entry; it is used to *classify* disagreements (is the
//! missing re-acquire the whole explanation?), never to judge.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::program::{Obj, OpKind, Pos, Program};

/// The report kinds the oracle can give (the `.lds` verdicts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `deadlock`.
    Deadlock,
    /// `recursive`.
    Recursive,
    /// `unlock-imbalance`.
    UnlockImbalance,
    /// `reinit-held`.
    ReinitHeld,
    /// `nest-lock-not-held`.
    NestLockNotHeld,
}

impl Kind {
    /// The `.lds` verdict word.
    pub fn verdict(self) -> &'static str {
        match self {
            Kind::Deadlock => "deadlock",
            Kind::Recursive => "recursive",
            Kind::UnlockImbalance => "unlock-imbalance",
            Kind::ReinitHeld => "reinit-held",
            Kind::NestLockNotHeld => "nest-lock-not-held",
        }
    }
}

/// A graph node: class and subclass.
pub type Node = (u8, u8);

/// The first report of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// What was reported.
    pub kind: Kind,
    /// At which op.
    pub at: Pos,
    /// The nodes the report names: for a deadlock, the node set of the
    /// shortest strong cycle if every shortest one has the same node set
    /// (`None` if they differ); for the other kinds, the node of the lock
    /// acted on (subclass 0 for `U` and `INIT` of a lock not held).
    pub nodes: Option<BTreeSet<Node>>,
}

/// How `next` blocks and is blocked (the kernel's `read` 0, 1, 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Exclusive,
    Read,
    RecursiveRead,
}

/// One dependency type: is the source held shared (S, else E), is the
/// target a recursive reader (R, else N).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Dep {
    shared_source: bool,
    recursive_target: bool,
}

/// An object's identity: the object and how many times it was `INIT`ed.
type Ident = (Obj, u32);

/// One held-stack entry (everything needed to acquire it again).
#[derive(Clone, Copy, Debug)]
struct Held {
    ident: Ident,
    node: Node,
    mode: Mode,
    trylock: bool,
    nest: Option<Ident>,
}

/// A report before its position is known.
struct Found {
    kind: Kind,
    nodes: Option<BTreeSet<Node>>,
}

/// The checker state of one program: the typed graph and the object
/// generations (held stacks are per line).
#[derive(Default)]
struct State {
    /// Rule variant: `false` = a release only removes its entry, nothing is
    /// re-acquired (what docs/semantics.md says the engine does today). Used
    /// only to *classify* disagreements, never to judge.
    no_reacquire: bool,
    /// Every edge ever added, with every type seen on it.
    edges: BTreeMap<(Node, Node), BTreeSet<Dep>>,
    /// `INIT` count per object.
    generation: BTreeMap<Obj, u32>,
}

impl State {
    fn ident(&self, o: Obj) -> Ident {
        (o, self.generation.get(&o).copied().unwrap_or(0))
    }

    /// Rules 1-5 for `next` on `held`.
    fn acquire(&mut self, held: &mut Vec<Held>, next: Held) -> Result<(), Found> {
        if next.trylock {
            held.push(next);
            return Ok(());
        }
        if let Some(n) = next.nest
            && !held.iter().any(|h| h.ident == n)
        {
            return Err(Found {
                kind: Kind::NestLockNotHeld,
                nodes: Some(BTreeSet::from([next.node])),
            });
        }
        let mut nest_seen = false;
        for h in held.iter() {
            if next.nest == Some(h.ident) {
                nest_seen = true;
            }
            if h.node != next.node {
                continue;
            }
            if next.mode == Mode::RecursiveRead && h.mode != Mode::Exclusive {
                continue;
            }
            if nest_seen {
                held.push(next);
                return Ok(());
            }
            return Err(Found {
                kind: Kind::Recursive,
                nodes: Some(BTreeSet::from([next.node])),
            });
        }
        for p in held.iter().rev() {
            if p.node != next.node {
                let dep = Dep {
                    shared_source: p.mode != Mode::Exclusive,
                    recursive_target: next.mode == Mode::RecursiveRead,
                };
                if let Some(nodes) = self.strong_cycle(p, &next) {
                    return Err(Found {
                        kind: Kind::Deadlock,
                        nodes,
                    });
                }
                self.edges
                    .entry((p.node, next.node))
                    .or_default()
                    .insert(dep);
            }
            if !p.trylock && p.mode != Mode::RecursiveRead {
                break;
            }
        }
        held.push(next);
        Ok(())
    }

    /// Is there a strong path `next -> ... -> prev`, given that the edge
    /// `prev -> next` closes it? `Some(nodes)` if so (see [`Verdict::nodes`]).
    ///
    /// Search space: (node, did the hop into it have type xR). From a node
    /// reached by an xR hop only E-sourced types may be taken. Start:
    /// (`next`, `next` is RR) (the closing hop is xR iff `next` is RR).
    /// Accept: `prev`'s node, reached by a hop that is not xR if `prev` is
    /// held shared (the closing hop is then Sx).
    fn strong_cycle(&self, prev: &Held, next: &Held) -> Option<Option<BTreeSet<Node>>> {
        type St = (Node, bool);
        let start: St = (next.node, next.mode == Mode::RecursiveRead);
        let accept = |s: St| s.0 == prev.node && (prev.mode == Mode::Exclusive || !s.1);
        let steps = |s: St| -> Vec<St> {
            let mut out = Vec::new();
            for (&(from, to), deps) in &self.edges {
                if from != s.0 {
                    continue;
                }
                for d in deps {
                    if s.1 && d.shared_source {
                        continue;
                    }
                    out.push((to, d.recursive_target));
                }
            }
            out
        };
        // Breadth-first distances over every reachable state.
        let mut dist: BTreeMap<St, usize> = BTreeMap::from([(start, 0)]);
        let mut queue = VecDeque::from([start]);
        let mut best = None;
        while let Some(s) = queue.pop_front() {
            let d = dist[&s];
            if best.is_some_and(|b| d >= b) {
                break;
            }
            for t in steps(s) {
                if accept(t) {
                    best.get_or_insert(d + 1);
                }
                if let std::collections::btree_map::Entry::Vacant(e) = dist.entry(t) {
                    e.insert(d + 1);
                    queue.push_back(t);
                }
            }
        }
        let len = best?;
        // Every shortest walk: each prefix is a shortest walk to its state.
        let mut sets: BTreeSet<BTreeSet<Node>> = BTreeSet::new();
        let mut walks = 0usize;
        let mut stack = vec![(start, vec![start.0])];
        while let Some((s, path)) = stack.pop() {
            if path.len() - 1 == len {
                if accept(s) {
                    sets.insert(path.iter().copied().collect());
                    walks += 1;
                }
                continue;
            }
            for t in steps(s) {
                let k = path.len();
                let on_shortest = dist.get(&t) == Some(&k) || (k == len && accept(t));
                if on_shortest {
                    let mut p = path.clone();
                    p.push(t.0);
                    stack.push((t, p));
                }
            }
            if walks > 10_000 {
                return Some(None);
            }
        }
        Some(if sets.len() == 1 {
            sets.into_iter().next()
        } else {
            None
        })
    }

    /// `U(o)` on `held`.
    fn release(&mut self, held: &mut Vec<Held>, o: Obj) -> Result<(), Found> {
        let ident = self.ident(o);
        let Some(i) = held.iter().rposition(|h| h.ident == ident) else {
            return Err(Found {
                kind: Kind::UnlockImbalance,
                nodes: Some(BTreeSet::from([(o.class, 0)])),
            });
        };
        if self.no_reacquire {
            held.remove(i);
            return Ok(());
        }
        let above = held.split_off(i + 1);
        held.pop();
        for h in above {
            self.acquire(held, h)?;
        }
        Ok(())
    }

    /// `INIT(o)` on `held`.
    fn init(&mut self, held: &mut [Held], o: Obj) -> Result<(), Found> {
        let ident = self.ident(o);
        if let Some(h) = held.iter().rev().find(|h| h.ident == ident) {
            return Err(Found {
                kind: Kind::ReinitHeld,
                nodes: Some(BTreeSet::from([h.node])),
            });
        }
        *self.generation.entry(o).or_default() += 1;
        Ok(())
    }
}

/// The oracle's verdict on `p`: its first report, or `None` for `ok`.
pub fn judge(p: &Program) -> Option<Verdict> {
    run(p, false)
}

/// The verdict under the variant rule "a release re-acquires nothing"
/// (docs/semantics.md, "Releases may happen in any order"): tells whether a
/// disagreement comes from the re-acquire rule alone.
pub fn judge_without_reacquire(p: &Program) -> Option<Verdict> {
    run(p, true)
}

/// Runs `p` line by line under the rules (variant: `no_reacquire`).
fn run(p: &Program, no_reacquire: bool) -> Option<Verdict> {
    let mut st = State {
        no_reacquire,
        ..State::default()
    };
    for (l, ops) in p.lines.iter().enumerate() {
        // A fresh held stack per line: locks left held are dropped quietly.
        let mut held: Vec<Held> = Vec::new();
        for (k, op) in ops.iter().enumerate() {
            let r = match op.kind {
                OpKind::U => st.release(&mut held, op.obj),
                OpKind::Init => st.init(&mut held, op.obj),
                kind => {
                    let (mode, trylock) = match kind {
                        OpKind::W => (Mode::Exclusive, false),
                        OpKind::R => (Mode::Read, false),
                        OpKind::RR => (Mode::RecursiveRead, false),
                        OpKind::T => (Mode::Exclusive, true),
                        _ => (Mode::Read, true),
                    };
                    let next = Held {
                        ident: st.ident(op.obj),
                        node: (op.obj.class, op.sub),
                        mode,
                        trylock,
                        nest: if trylock {
                            None
                        } else {
                            op.nest.map(|n| st.ident(n))
                        },
                    };
                    st.acquire(&mut held, next)
                }
            };
            if let Err(f) = r {
                return Some(Verdict {
                    kind: f.kind,
                    at: Pos { line: l, op: k },
                    nodes: f.nodes,
                });
            }
        }
    }
    None
}
