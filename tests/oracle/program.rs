//! Lock programs: what the generator makes, the oracle judges and the real
//! checker runs. Plain data, with its `.lds` spelling (FORMAT.md section 1).

use std::collections::HashMap;
use std::fmt;

/// What an op does (the `.lds` ops).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `W`: exclusive acquire.
    W,
    /// `R`: shared, non-recursive acquire.
    R,
    /// `RR`: shared, recursive acquire.
    RR,
    /// `T`: successful exclusive trylock.
    T,
    /// `TR`: successful shared (non-recursive) trylock.
    TR,
    /// `U`: release.
    U,
    /// `INIT`: re-initialise the object.
    Init,
}

impl OpKind {
    /// The op's `.lds` name.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::W => "W",
            OpKind::R => "R",
            OpKind::RR => "RR",
            OpKind::T => "T",
            OpKind::TR => "TR",
            OpKind::U => "U",
            OpKind::Init => "INIT",
        }
    }
}

/// A lock object: class index and object index within the class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Obj {
    /// Class index (printed `A`, `B`, ... for generated programs).
    pub class: u8,
    /// Object index within the class (printed `@k`).
    pub obj: u8,
}

/// One operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// What it does.
    pub kind: OpKind,
    /// On which object.
    pub obj: Obj,
    /// Lockdep subclass of an acquisition (0 for `U` / `INIT`).
    pub sub: u8,
    /// Nest lock of a blocking acquisition.
    pub nest: Option<Obj>,
}

/// A program: lines run one after another, each on its own thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Class names, indexed by [`Obj::class`].
    pub class_names: Vec<String>,
    /// The lines `t0`, `t1`, ...
    pub lines: Vec<Vec<Op>>,
}

/// Where a report fires: line index and op index, both from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// Line (`tN`).
    pub line: usize,
    /// Op within the line.
    pub op: usize,
}

impl fmt::Display for Pos {
    /// The `.lds` spelling `tN:K` (K counted from 1).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}:{}", self.line, self.op + 1)
    }
}

impl Program {
    /// The printed name of class `c` with subclass `sub` (`B`, `B/1`), as the
    /// real checker names graph nodes.
    pub fn node_name(&self, c: u8, sub: u8) -> String {
        let name = &self.class_names[c as usize];
        if sub == 0 {
            name.clone()
        } else {
            format!("{name}/{sub}")
        }
    }

    /// `X@k` for an object.
    pub fn obj_name(&self, o: Obj) -> String {
        format!("{}@{}", self.class_names[o.class as usize], o.obj)
    }

    /// One op in `.lds` syntax, with `!` if `mark`.
    pub fn op_text(&self, op: &Op, mark: bool) -> String {
        let mut s = format!("{}({}", op.kind.as_str(), self.obj_name(op.obj));
        if op.sub != 0 {
            s.push_str(&format!("/{}", op.sub));
        }
        if let Some(n) = op.nest {
            s.push_str(&format!(" nest={}", self.obj_name(n)));
        }
        s.push(')');
        if mark {
            s.push('!');
        }
        s
    }

    /// The program as a `.lds` case named `id`, expecting `verdict` (an
    /// `.lds` verdict word) with the `!` mark at `mark`.
    pub fn to_lds(&self, id: &str, verdict: &str, mark: Option<Pos>) -> String {
        let mut s = format!("case {id}\nexpect {verdict}\n");
        for (l, ops) in self.lines.iter().enumerate() {
            let text: Vec<String> = ops
                .iter()
                .enumerate()
                .map(|(k, op)| self.op_text(op, mark == Some(Pos { line: l, op: k })))
                .collect();
            s.push_str(&format!("t{l}: {}\n", text.join(" ; ")));
        }
        s
    }

    /// Total number of ops.
    pub fn len(&self) -> usize {
        self.lines.iter().map(Vec::len).sum()
    }

    /// Converts a parsed `.lds` case (harness input only: the oracle never
    /// sees the parser's types). Class and object names get indices in order
    /// of first appearance.
    pub fn from_case(case: &lockdep_scenario::Case) -> Program {
        use lockdep_scenario::OpKind as K;
        let mut classes: HashMap<String, u8> = HashMap::new();
        let mut class_names = Vec::new();
        let mut objects: HashMap<(u8, String), u8> = HashMap::new();
        let mut intern = |o: &lockdep_scenario::Object| -> Obj {
            let next = classes.len() as u8;
            let class = *classes.entry(o.class.clone()).or_insert_with(|| {
                class_names.push(o.class.clone());
                next
            });
            let count = objects.keys().filter(|(c, _)| *c == class).count() as u8;
            let obj = *objects.entry((class, o.object.clone())).or_insert(count);
            Obj { class, obj }
        };
        let mut lines = Vec::new();
        for line in &case.lines {
            let mut ops = Vec::new();
            for op in &line.ops {
                let kind = match op.kind {
                    K::W => OpKind::W,
                    K::R => OpKind::R,
                    K::RR => OpKind::RR,
                    K::T => OpKind::T,
                    K::TR => OpKind::TR,
                    K::U => OpKind::U,
                    K::Init => OpKind::Init,
                };
                let obj = intern(&op.object);
                let nest = op.nest.as_ref().map(&mut intern);
                ops.push(Op {
                    kind,
                    obj,
                    sub: op.subclass,
                    nest,
                });
            }
            lines.push(ops);
        }
        Program { class_names, lines }
    }
}
