"""The progress counters as they stood at a past moment (the end of a report's day).

A report for day D must give the state at the end of D however late it is built.
The trigger-kept counters (sohoa.core.db.counters) give the state *now*; the event
log dates every change since. So the state at ``end`` is the counters now, with
every file and page that changed at or after ``end`` taken back to what it was then:

* a file's status at ``end`` is the ``before`` of its first status event after
  ``end``; a file whose first event after ``end`` is its creation (no status before,
  status ``inventoried``) did not exist yet;
* a page's QC state at ``end`` (verdict, defects) is the ``before`` of its first QC
  event after ``end`` (``checked`` / ``page_removed``; none before = the page was not
  delivered yet); its OCR state (done, low confidence) the ``before`` of its first
  OCR event after ``end`` (a page removed since: its ``page_removed`` event's).

A change recorded without its ``before`` (not written by the phases; some imported
trails) falls back on the entity's last event before ``end``.

The cost grows with the work done since ``end`` (nothing for today's report), not
with the size of the programme. The same counter names as counters.read() are
returned, so the report's numbers are computed the same way for any day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session

from sohoa.core.db import counters
from sohoa.core.db.models import Event, File, Page

QC_ACTIONS = ("checked", "page_removed")
OCR_ACTIONS = ("recognised", "ocr_failed")
PAGE_PHASES = ("scan_qc", "ocr")


def counts_at(session: Session, end: datetime,
              agency_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """{agency_id: {metric: n}} as it stood just before ``end`` (an aware datetime)."""
    conn = session.connection()
    counters.ensure(conn)
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for aid, m in counters.read(conn, agency_ids).items():
        out[aid].update(m)
    wanted = None if agency_ids is None else set(agency_ids)
    # events carry their agency: an agency page only reads its own (and any without one)
    mine = [] if agency_ids is None else [
        or_(Event.agency_id.in_(list(agency_ids)), Event.agency_id.is_(None))]
    for aid, metric, n in (*_file_changes(session, end, mine), *_page_changes(session, end, mine)):
        if aid is None or (wanted is not None and aid not in wanted):
            continue
        out[aid][metric] = out[aid].get(metric, 0) + n
    return {aid: {k: v for k, v in m.items() if v} for aid, m in out.items()}


def _file_changes(session: Session, end: datetime, mine: list):
    status = Event.after["status"].as_string()
    rn = func.row_number().over(partition_by=Event.entity_id,
                                order_by=(Event.occurred_at, Event.id)).label("rn")
    ev = (select(Event.entity_id.label("fid"), Event.before, Event.after, rn)
          .where(Event.entity == "files", Event.occurred_at >= end, status.is_not(None), *mine)
          .subquery("ev"))
    q = (select(ev.c.fid, ev.c.before, ev.c.after, File.agency_id, File.status)
         .join(File, File.id == ev.c.fid).where(ev.c.rn == 1))
    unknown: dict[int, tuple[int, str]] = {}
    for fid, before, after, aid, now_status in session.execute(q):
        then = (before or {}).get("status") if isinstance(before, dict) else None
        if then is None and (after or {}).get("status") != "inventoried":
            unknown[fid] = (aid, now_status)  # no "before": see the last event until end
            continue
        if then != now_status:
            yield aid, f"file:{now_status}", -1
            if then is not None:
                yield aid, f"file:{then}", 1
    if unknown:
        rn = func.row_number().over(partition_by=Event.entity_id,
                                    order_by=(Event.occurred_at.desc(), Event.id.desc())).label("rn")
        last = (select(Event.entity_id.label("fid"), status.label("status"), rn)
                .where(Event.entity == "files", Event.occurred_at < end, status.is_not(None),
                       Event.entity_id.in_(list(unknown)))
                .subquery("last"))
        for fid, then in session.execute(select(last.c.fid, last.c.status).where(last.c.rn == 1)):
            aid, now_status = unknown[fid]
            if then != now_status:
                yield aid, f"file:{now_status}", -1
                yield aid, f"file:{then}", 1


def _page_metrics(verdict, defects, ocr_done: bool, low: bool) -> list[str]:
    """The counters a page adds to (the same rule as the triggers of counters.py)."""
    out = ["page:scanned"]
    if verdict:
        out.append(f"page:qc_{verdict}")
    if ocr_done:
        out.append("page:ocr_done")
    if low:
        out.append("page:low_confidence")
    if verdict == "reject" and isinstance(defects, list):
        for d in defects:
            code = d.get("code") if isinstance(d, dict) else d
            if code is not None:
                out.append(f"defect:{code}")
    return out


def _first_page_events(end: datetime, mine: list):
    """Each page's first QC and first OCR event at or after ``end`` (kind, its ``before``
    and the parts of it the SQL pivot needs)."""
    kind = case((Event.action.in_(QC_ACTIONS), literal("qc")), else_=literal("ocr"))
    b = Event.before
    rn = func.row_number().over(partition_by=(Event.entity_id, kind),
                                order_by=(Event.occurred_at, Event.id)).label("rn")
    return (select(Event.entity_id.label("pid"), Event.agency_id.label("ev_agency"),
                   kind.label("kind"), Event.before,
                   func.coalesce(b["verdict"].as_string(), b["qc_verdict"].as_string()).label("v"),
                   b["ocr"].as_string().label("o"),
                   case((b["low_confidence"].as_string().is_not(None), 1), else_=0).label("lp"),
                   case((b["low_confidence"].as_boolean(), 1), else_=0).label("l"), rn)
            .where(Event.entity == "pages", Event.phase.in_(PAGE_PHASES),
                   Event.action.in_(QC_ACTIONS + OCR_ACTIONS), Event.occurred_at >= end, *mine)
            .subquery("ev"))


def _page_changes(session: Session, end: datetime, mine: list):
    """Pages changed since ``end``: one SQL pass groups those alike (same agency, same
    state now and then), so a past week's hundreds of thousands of page events come
    back as a few thousand rows; pages rejected now or then (their defects count) are
    taken one by one."""
    ev = _first_page_events(end, mine)
    first = ev.c.rn == 1

    def of(kind, col, default=None):
        return func.max(case((ev.c.kind == kind, col), else_=default))

    pp = (select(ev.c.pid, func.max(ev.c.ev_agency).label("ev_agency"),
                 of("qc", 1, 0).label("has_qc"), of("qc", ev.c.v).label("v_then"),
                 of("qc", ev.c.o).label("qc_o"), of("qc", ev.c.l, 0).label("qc_l"),
                 of("ocr", 1, 0).label("has_ocr"), of("ocr", ev.c.o).label("o_then"),
                 of("ocr", ev.c.lp, 0).label("lp"), of("ocr", ev.c.l, 0).label("l_then"))
          .where(first).group_by(ev.c.pid).subquery("pp"))
    rejected = or_(Page.qc_verdict == "reject", pp.c.v_then == "reject")
    state = (select(func.coalesce(File.agency_id, pp.c.ev_agency).label("aid"),
                    case((Page.id.is_not(None), 1), else_=0).label("exists"),
                    Page.qc_verdict.label("verdict"),
                    case((Page.ocr_text.is_not(None), 1), else_=0).label("ocr"),
                    case((Page.ocr_low_confidence.is_(True), 1), else_=0).label("low"),
                    pp.c.has_qc, pp.c.v_then, pp.c.qc_o, pp.c.qc_l, pp.c.has_ocr, pp.c.o_then,
                    pp.c.lp, pp.c.l_then)
             .select_from(pp).outerjoin(Page, Page.id == pp.c.pid)
             .outerjoin(File, File.id == Page.file_id)
             .where(~func.coalesce(rejected, False)).subquery("st"))
    cols = [c for c in state.c]
    for row in session.execute(select(*cols, func.count()).group_by(*cols)):
        (aid, exists, verdict, ocr, low, has_qc, v_then, qc_o, qc_l, has_ocr, o_then, lp,
         l_then, n) = row
        now = _page_metrics(verdict, None, bool(ocr), bool(low)) if exists else []
        then_exists, t_verdict, t_ocr, t_low = bool(exists), verdict, bool(ocr), bool(low)
        if has_qc:
            then_exists, t_verdict = v_then is not None, v_then
        if not exists and has_qc:  # removed since: its OCR state as page_removed kept it
            t_ocr, t_low = qc_o == "done", bool(qc_l)
        if has_ocr:
            t_ocr = o_then == "done"
            t_low = bool(l_then) if lp else (t_low and t_ocr)
        then = _page_metrics(t_verdict, None, t_ocr, t_low) if then_exists else []
        for m in now:
            yield aid, m, -int(n)
        for m in then:
            yield aid, m, int(n)
    # pages rejected now or at ``end``: one by one, with their defect lists
    reject_pids = (select(pp.c.pid).select_from(pp).outerjoin(Page, Page.id == pp.c.pid)
                   .where(rejected))
    yield from _pages_one_by_one(session, ev, reject_pids)


def _pages_one_by_one(session: Session, ev, pids):
    q = (select(ev.c.pid, ev.c.ev_agency, ev.c.kind, ev.c.before, Page.id, File.agency_id,
                Page.qc_verdict, Page.qc_defects, Page.ocr_text.is_not(None),
                Page.ocr_low_confidence)
         .outerjoin(Page, Page.id == ev.c.pid).outerjoin(File, File.id == Page.file_id)
         .where(ev.c.rn == 1, ev.c.pid.in_(pids)).order_by(ev.c.pid))
    pages: dict[int, dict] = {}
    for pid, ev_agency, kind, before, page_id, aid, verdict, defects, ocr_done, low in session.execute(q):
        p = pages.setdefault(pid, {"agency": aid if page_id is not None else ev_agency,
                                   "exists": page_id is not None,
                                   "now": (verdict, defects, bool(ocr_done), bool(low))})
        p[kind] = before if isinstance(before, dict) else {}
    for p in pages.values():
        verdict, defects, ocr_done, low = p["now"]
        now = _page_metrics(verdict, defects, ocr_done, low) if p["exists"] else []
        exists = p["exists"]
        if "qc" in p:
            b = p["qc"]
            exists = bool(b)  # a page's first QC event without a "before" is its delivery
            if exists:
                then_verdict = b.get("verdict", b.get("qc_verdict"))
                defects = b["defects"] if "defects" in b else (
                    defects if then_verdict == verdict else [])
                verdict = then_verdict
        if not p["exists"] and "ocr" in p.get("qc", {}):  # removed since: its last OCR state
            ocr_done = p["qc"]["ocr"] == "done"
            low = bool(p["qc"].get("low_confidence"))
        if "ocr" in p:
            b = p["ocr"]
            ocr_done = b.get("ocr") == "done"
            low = bool(b["low_confidence"]) if "low_confidence" in b else (low and ocr_done)
        then = _page_metrics(verdict, defects, ocr_done, low) if exists else []
        for m in now:
            yield p["agency"], m, -1
        for m in then:
            yield p["agency"], m, 1

