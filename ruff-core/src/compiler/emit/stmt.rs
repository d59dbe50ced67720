//! Emitting statements: blocks, loops with break/continue, `for` over
//! iterables, `try`, `match` and its patterns.

use std::rc::Rc;

use crate::bytecode::{LoopInfo, LoopKind, Op};
use crate::runtime::value::{EnumObj, Value};
use crate::syntax::Span;

use crate::syntax::ast::*;

use super::{Emitter, LoopCtx, Place};

impl<'a> Emitter<'a> {
    pub(super) fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    pub(super) fn block(&mut self, b: &Block) {
        self.stmts(&b.stmts);
    }

    pub(super) fn stmt(&mut self, stmt: &Stmt) {
        let span = stmt.span;
        match &stmt.kind {
            StmtKind::Expr(e) => {
                self.expr(e);
                self.emit(Op::Pop, span);
            }
            StmtKind::Decl { pattern, value, .. } => {
                self.expr(value);
                self.bind(pattern);
            }
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value, span),
            StmtKind::If {
                cond,
                then_block,
                else_branch,
            } => {
                self.expr(cond);
                let to_else = self.emit(Op::JumpIfFalse(0), cond.span);
                self.block(then_block);
                match else_branch {
                    Some(e) => {
                        let to_end = self.emit(Op::Jump(0), span);
                        self.patch_here(to_else);
                        self.stmt(e);
                        self.patch_here(to_end);
                    }
                    None => self.patch_here(to_else),
                }
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::While { cond, body } => {
                let header = self.here();
                self.expr(cond);
                let exit = self.emit(Op::JumpIfFalse(0), cond.span);
                self.loop_body(LoopKind::While, header, span, cond.span, |e| e.block(body));
                self.patch_here(exit);
                self.end_loop();
            }
            StmtKind::Loop { body } => {
                let header = self.here();
                let head = Span::new(span.start, span.start + 4);
                self.loop_body(LoopKind::Loop, header, span, head, |e| e.block(body));
                self.end_loop();
            }
            StmtKind::For {
                pattern,
                iterable,
                body,
            } => self.for_loop(pattern, iterable, body, span),
            StmtKind::Return(v) => {
                match v {
                    Some(v) => self.expr(v),
                    None => {
                        self.emit(Op::Null, span);
                    }
                }
                self.emit(Op::Return, span);
            }
            StmtKind::Break => {
                self.unwind_tries(span);
                let at = self.emit(Op::Jump(0), span);
                if let Some(l) = self.f().loops.last_mut() {
                    l.breaks.push(at);
                }
            }
            StmtKind::Continue => {
                self.unwind_tries(span);
                let header = self.f().loops.last().map_or(0, |l| l.header);
                self.emit(Op::Loop(header), span);
            }
            StmtKind::Throw(e) => {
                self.expr(e);
                self.emit(Op::Throw, span);
            }
            StmtKind::Try {
                body,
                err_name,
                handler,
                except_span,
            } => {
                let begin = self.emit(Op::TryBegin(0), span);
                self.f().try_depth += 1;
                self.block(body);
                self.f().try_depth -= 1;
                self.emit(Op::TryEnd, body.span);
                let to_end = self.emit(Op::Jump(0), span);
                self.patch_here(begin);
                match err_name
                    .as_ref()
                    .and_then(|n| self.decl_of(n).map(|d| (d, n.span)))
                {
                    Some((d, s)) => self.declare_store(d, s),
                    None => {
                        self.emit(Op::Pop, *except_span);
                    }
                }
                self.block(handler);
                self.patch_here(to_end);
            }
            StmtKind::Match { scrutinee, arms } => self.match_stmt(scrutinee, arms),
            StmtKind::Func(f) => {
                let top = self.fns.len() == 1
                    && f.name
                        .as_ref()
                        .and_then(|n| self.decl_of(n))
                        .is_some_and(|d| self.res.decl(d).global);
                if top {
                    return; // hoisted
                }
                let proto = self.function(f, false);
                let p = self.add_proto(proto);
                match f
                    .name
                    .as_ref()
                    .and_then(|n| self.decl_of(n).map(|d| (d, n.span)))
                {
                    Some((d, s)) => match self.place(d) {
                        // Declare the cell first so the closure can capture
                        // itself (a recursive nested function).
                        Place::Cell(slot) => {
                            self.emit(Op::Null, s);
                            self.emit(Op::StoreNewCell(slot), s);
                            self.emit(Op::Closure(p), span);
                            self.emit(Op::StoreCell(slot), s);
                        }
                        place => {
                            self.emit(Op::Closure(p), span);
                            self.store_place(place, s);
                        }
                    },
                    None => {
                        self.emit(Op::Closure(p), span);
                        self.emit(Op::Pop, span);
                    }
                }
            }
            StmtKind::Struct(_) | StmtKind::Enum(_) | StmtKind::Error => {}
            StmtKind::Unsupported { keyword } => {
                self.fail(format!("`{keyword}` is not supported"), span)
            }
        }
    }

    pub(super) fn unwind_tries(&mut self, span: Span) {
        let f = self.f();
        let outer = f.loops.last().map_or(0, |l| l.try_depth);
        let n = f.try_depth.saturating_sub(outer);
        for _ in 0..n {
            self.emit(Op::TryEnd, span);
        }
    }

    pub(super) fn loop_body(
        &mut self,
        kind: LoopKind,
        header: u32,
        span: Span,
        header_span: Span,
        body: impl FnOnce(&mut Emitter<'a>),
    ) {
        let try_depth = self.f().try_depth;
        self.f().loops.push(LoopCtx {
            header,
            breaks: Vec::new(),
            try_depth,
        });
        let header_line = self.line(header_span);
        self.f().proto.loops.push(LoopInfo {
            kind,
            header,
            exit: 0,
            span,
            header_span,
            header_line,
        });
        body(self);
        self.emit(Op::Loop(header), span);
    }

    /// Patch the innermost loop's breaks and record its exit.
    pub(super) fn end_loop(&mut self) {
        let exit = self.here();
        let ctx = self.f().loops.pop().expect("loop context");
        for b in ctx.breaks {
            self.patch(b, exit);
        }
        let f = self.f();
        if let Some(info) = f
            .proto
            .loops
            .iter_mut()
            .rev()
            .find(|l| l.header == ctx.header)
        {
            info.exit = exit;
        }
    }

    pub(super) fn for_loop(
        &mut self,
        pattern: &BindPattern,
        iterable: &Expr,
        body: &Block,
        span: Span,
    ) {
        let head = Span::new(span.start, iterable.span.end);
        let range_args = match &iterable.kind {
            ExprKind::Call {
                callee,
                args,
                pipe: false,
            } if (1..=3).contains(&args.len()) => match &callee.kind {
                ExprKind::Ident(id) if self.res.is_builtin(id, "range") => Some(args),
                _ => None,
            },
            _ => None,
        };
        let base = self.f().new_slot();
        self.f().new_slot();
        let (next_op, exit_at);
        if let Some(args) = range_args {
            self.f().new_slot();
            if args.len() == 1 {
                self.emit(Op::Int(0), iterable.span);
                self.expr(&args[0]);
            } else {
                self.expr(&args[0]);
                self.expr(&args[1]);
            }
            if args.len() == 3 {
                self.expr(&args[2]);
            } else {
                self.emit(Op::Int(1), iterable.span);
            }
            self.emit(Op::RangePrep(base), iterable.span);
            next_op = Op::RangeNext(base, 0);
        } else {
            self.expr(iterable);
            self.emit(Op::IterPrep(base), iterable.span);
            next_op = Op::IterNext(base, 0);
        }
        let header = self.here();
        exit_at = self.emit(next_op, head);
        self.loop_body(LoopKind::For, header, span, head, |e| {
            e.bind(pattern);
            e.block(body);
        });
        self.patch_here(exit_at);
        self.end_loop();
    }

    /// Bind the value on the stack to a declaration pattern.
    pub(super) fn bind(&mut self, pattern: &BindPattern) {
        match pattern {
            BindPattern::Name(id) => match self.decl_of(id) {
                Some(d) => self.declare_store(d, id.span),
                None => {
                    self.emit(Op::Pop, id.span);
                }
            },
            BindPattern::Array { items, rest, span } => {
                let tmp = self.f().new_slot();
                self.emit(Op::StoreLocal(tmp), *span);
                for (i, item) in items.iter().enumerate() {
                    self.emit(Op::LoadLocal(tmp), item.span());
                    self.emit(Op::Int(i as i32), item.span());
                    self.emit(Op::Index, item.span());
                    self.bind(item);
                }
                if let Some(r) = rest {
                    self.emit(Op::LoadLocal(tmp), r.span);
                    self.emit(Op::SliceFrom(items.len() as u32), r.span);
                    self.bind(&BindPattern::Name(r.clone()));
                }
            }
            BindPattern::Dict { keys, span } => {
                let tmp = self.f().new_slot();
                self.emit(Op::StoreLocal(tmp), *span);
                for key in keys {
                    self.emit(Op::LoadLocal(tmp), key.span);
                    let k = self.str_const(&key.name);
                    self.emit(Op::GetField(k), key.span);
                    self.bind(&BindPattern::Name(key.clone()));
                }
            }
        }
    }

    pub(super) fn match_stmt(&mut self, scrutinee: &Expr, arms: &[MatchArm]) {
        self.expr(scrutinee);
        let tmp = self.f().new_slot();
        self.emit(Op::StoreLocal(tmp), scrutinee.span);
        let mut to_end = Vec::new();
        for arm in arms {
            let mut fails = Vec::new();
            self.pattern(&arm.pattern, tmp, &mut fails);
            if let Some(g) = &arm.guard {
                self.expr(g);
                fails.push(self.emit(Op::JumpIfFalse(0), g.span));
            }
            self.block(&arm.body);
            to_end.push(self.emit(Op::Jump(0), arm.span));
            for f in fails {
                self.patch_here(f);
            }
        }
        for j in to_end {
            self.patch_here(j);
        }
    }

    /// Test the value in `slot` against a pattern, binding names; failures
    /// jump to the locations pushed on `fails`.
    pub(super) fn pattern(&mut self, p: &Pattern, slot: u16, fails: &mut Vec<usize>) {
        match &p.kind {
            PatternKind::Wildcard => {}
            PatternKind::Binding(id) => {
                if let Some(d) = self.decl_of(id) {
                    self.emit(Op::LoadLocal(slot), p.span);
                    self.declare_store(d, id.span);
                }
            }
            PatternKind::Literal(e) => {
                self.emit(Op::LoadLocal(slot), p.span);
                self.expr(e);
                self.emit(Op::Eq, p.span);
                fails.push(self.emit(Op::JumpIfFalse(0), p.span));
            }
            PatternKind::Variant {
                enum_name,
                variant,
                payload,
            } => {
                let template = self.enum_template(enum_name.as_ref(), variant);
                let k = self.constant(template);
                self.emit(Op::LoadLocal(slot), p.span);
                self.emit(Op::IsVariant(k), p.span);
                fails.push(self.emit(Op::JumpIfFalse(0), p.span));
                if let Some(sub) = payload {
                    let inner = self.f().new_slot();
                    self.emit(Op::LoadLocal(slot), sub.span);
                    self.emit(Op::EnumPayload, sub.span);
                    self.emit(Op::StoreLocal(inner), sub.span);
                    self.pattern(sub, inner, fails);
                }
            }
        }
    }

    /// The enum value a variant pattern or path names (payload unset).
    pub(super) fn enum_template(&self, enum_name: Option<&Ident>, variant: &Ident) -> Value {
        let enum_name: &str = match enum_name {
            Some(e) => &e.name,
            None => match variant.name.as_str() {
                "Ok" | "Err" => "Result",
                _ => "Option",
            },
        };
        Value::Enum(Rc::new(EnumObj {
            enum_name: enum_name.into(),
            variant: variant.name.as_str().into(),
            payload: None,
        }))
    }
}
