//! Rendering: executing a compiled plan for one record, copying literal bytes and running each
//! generator, block and entity node against the worker's [`Ctx`].

use serde_json::Value;

use super::{EachBlock, EntityBlock, EntityVal, IfBlock, Local, Node, RepeatBlock};
use crate::faker::{self, state, Ctx};

pub(super) struct Frame<'t> {
    item: Option<&'t Value>,
    key: Option<&'t str>,
    index: usize,
    len: usize,
}

/// Render `nodes`, appending to `out`; stop (returning false) once `out` is longer than `cap`
/// bytes, so a record never grows past [`super::MAX_RECORD_BYTES`] whatever its blocks multiply.
pub(super) fn render_nodes<'t>(
    nodes: &'t [Node],
    ctx: &mut Ctx,
    out: &mut Vec<u8>,
    frames: &mut Vec<Frame<'t>>,
    cap: usize,
) -> bool {
    for node in nodes {
        if out.len() > cap {
            return false;
        }
        match node {
            Node::Lit(b) => out.extend_from_slice(b),
            Node::Gen(g) => g.emit(ctx, out),
            Node::Escape { inner, quote } => {
                let mut tmp = std::mem::take(&mut ctx.scratch);
                tmp.clear();
                // Escaping never shortens the text, so the inner text has the same room.
                let room = cap.saturating_sub(out.len());
                let ok = render_nodes(inner, ctx, &mut tmp, frames, room);
                tmp.truncate(room + 1);
                crate::faker::row::write_json_escaped(out, &tmp, *quote);
                ctx.scratch = tmp;
                if !ok {
                    return false;
                }
            }
            Node::Each(block) => {
                let EachBlock {
                    items,
                    keys,
                    body,
                    otherwise,
                } = &**block;
                if items.is_empty() && !render_nodes(otherwise, ctx, out, frames, cap) {
                    return false;
                }
                for (index, item) in items.iter().enumerate() {
                    let key = keys.as_ref().map(|k| k[index].as_str());
                    frames.push(Frame {
                        item: Some(item),
                        key,
                        index,
                        len: items.len(),
                    });
                    let ok = render_nodes(body, ctx, out, frames, cap);
                    frames.pop();
                    if !ok {
                        return false;
                    }
                }
            }
            Node::If(block) => {
                let IfBlock {
                    cond,
                    negate,
                    then,
                    otherwise,
                } = &**block;
                let mut tmp = std::mem::take(&mut ctx.scratch);
                tmp.clear();
                let room = cap.saturating_sub(out.len());
                let ok = render_nodes(cond, ctx, &mut tmp, frames, room);
                let truthy = !matches!(&tmp[..], b"" | b"false" | b"0" | b"null" | b"undefined" | b"NaN");
                ctx.scratch = tmp;
                if !ok || !render_nodes(if truthy != *negate { then } else { otherwise }, ctx, out, frames, cap) {
                    return false;
                }
            }
            Node::Repeat(block) => {
                let RepeatBlock { min, max, sep, body } = &**block;
                let len = if min == max {
                    *min
                } else {
                    ctx.int(*min as i64, *max as i64) as u64
                } as usize;
                for index in 0..len {
                    if index > 0 {
                        out.extend_from_slice(sep);
                    }
                    frames.push(Frame {
                        item: None,
                        key: None,
                        index,
                        len,
                    });
                    let ok = render_nodes(body, ctx, out, frames, cap);
                    frames.pop();
                    if !ok || out.len() > cap {
                        return false;
                    }
                }
            }
            Node::Entity(block) => {
                let EntityBlock { sel, body } = &**block;
                let saved = ctx.entity;
                ctx.entity = sel.select(ctx.seed, ctx.seq);
                let ok = render_nodes(body, ctx, out, frames, cap);
                ctx.entity = saved;
                if !ok {
                    return false;
                }
            }
            Node::EntityVal(v) => match v {
                EntityVal::Id => faker::write_int(out, ctx.entity.id as i64),
                EntityVal::Seq => faker::write_int(out, ctx.entity.seq as i64),
                EntityVal::Name(Some(names)) => out.extend_from_slice(&names[ctx.entity.id as usize]),
                EntityVal::Name(None) => faker::write_int(out, ctx.entity.id as i64),
            },
            Node::Attr { id, gen } => {
                let own = state::attr_rng(ctx.seed, &ctx.entity, *id);
                let saved = std::mem::replace(&mut ctx.rng, own);
                gen.emit(ctx, out);
                ctx.rng = saved;
            }
            Node::Local(local) => {
                let Some(f) = frames.last() else { continue };
                match local {
                    Local::Index => faker::write_int(out, f.index as i64),
                    Local::Key => out.extend_from_slice(f.key.unwrap_or_default().as_bytes()),
                    Local::First => out.extend_from_slice(if f.index == 0 { b"true" } else { b"false" }),
                    Local::Last => out.extend_from_slice(if f.index + 1 == f.len { b"true" } else { b"false" }),
                    Local::This(path) => {
                        let mut v = f.item;
                        for seg in path {
                            v = v.and_then(|v| v.get(seg));
                        }
                        match v {
                            Some(v) => faker::write_js_value(out, v),
                            None if f.item.is_none() => faker::write_int(out, f.index as i64),
                            None => out.extend_from_slice(b"undefined"),
                        }
                    }
                }
            }
        }
    }
    out.len() <= cap
}
