"""The progress counters as they stood at a past moment (the end of a report's day).

A report for day D must give the state at the end of D however late it is built.
The trigger-kept counters (sohoa.core.db.counters) give the state *now*; the event
log dates every change since. So the state at ``end`` is the counters now, with
every file and page that changed at or after ``end`` taken back to what it was then:

* a file's status at ``end`` is the ``before`` of its first status event after
  ``end``; a file whose first event after ``end`` is its creation (no status before,
  status ``inventoried``) did not exist yet;
* a page's QC state at ``end`` (verdict, defects) is the ``before`` of its first QC
  event after ``end`` (``checked`` / ``page_removed`` / the review's ``qc_override``; none
  before = the page was not delivered yet); its OCR state (done, low confidence) the ``before`` of its first
  OCR event after ``end`` (a page removed since: its ``page_removed`` event's).

A change recorded without its ``before`` (not written by the phases; some imported
trails) falls back on the entity's last event before ``end``.

**Weekly snapshots.** Walking back from today costs the work done since ``end``: weeks
of page events for a report rebuilt a month later. So the counters at each finished
week's end (Monday 00:00 in the programme's zone) are stored (sohoa.core.db.snapshots)
the first time a report needs that week, or by the progress_report run
(``take_due``). The state at ``end`` is then the snapshot at the end of ``end``'s week
(the nearest one at or after ``end``) with only the entities that changed between
``end`` and that snapshot taken back: for each of them, its state at ``end`` replaces
its state at the snapshot, both read by the rule above (first event at or after the
moment, else the row as it is today). That difference is exactly the full walk-back's
for ``end`` minus its for the snapshot's moment (an entity with no event in between
has the same state at both), so a snapshot-based result is the walk-back's, figure for
figure. Rules for when a snapshot is taken and when it is dropped:
sohoa.core.db.snapshots and ``take``.

Today's numbers (``end`` not yet reached) are today's counters: nothing can have
happened after ``end`` yet, so nothing is walked. The same counter names as
counters.read() are returned, so the report's numbers are computed the same way for
any day.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from contextvars import ContextVar
from datetime import datetime, timedelta

from sqlalchemy import case, func, literal, null, or_, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from sohoa.core import calendar
from sohoa.core.db import counters, models, snapshots
from sohoa.core.db.models import Event, File, Page

log = logging.getLogger(__name__)

# A page's QC state changes by a check or a removal (scan_qc) or by an archivist accepting
# a rejected page (description_review); its OCR state by recognition (ocr).
QC_ACTIONS = ("checked", "page_removed", "qc_override")
OCR_ACTIONS = ("recognised", "ocr_failed")
PAGE_PHASES = ("scan_qc", "ocr", "description_review")
#: A week's snapshot is taken only this long after the week ended: a phase transaction
#: still open at the week's end has written events dated before it (PostgreSQL also waits
#: for any transaction that began before the week's end and holds uncommitted events).
SNAPSHOT_GRACE = timedelta(hours=6)
_USE_SNAPSHOTS: ContextVar[bool] = ContextVar("sohoa_use_snapshots", default=True)
# Other transactions that began before ``at`` and hold uncommitted event rows (PostgreSQL;
# one that writes its first event later is caught by the guard trigger instead).
_OPEN_BEFORE = text(
    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.relation = 'events'::regclass AND l.mode = 'RowExclusiveLock' "
    "AND l.pid <> pg_backend_pid() AND a.xact_start < :at")
_CHUNK = 5000
_UNKNOWN = object()  # a file's state that its event does not give (no "before")


@contextlib.contextmanager
def full_walk():
    """Within this block snapshots are neither read nor taken: every past state is walked
    back from today's counters (the tests and the benchmark compare both ways)."""
    token = _USE_SNAPSHOTS.set(False)
    try:
        yield
    finally:
        _USE_SNAPSHOTS.reset(token)


def counts_at(session: Session, end: datetime,
              agency_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """{agency_id: {metric: n}} as it stood just before ``end`` (an aware datetime)."""
    conn = session.connection()
    if counters.ensure(conn):
        snapshots.clear(conn)  # taken from counters that had missed changes
    if end > models.utcnow():  # events are dated when written: none after end yet
        return _clean(counters.read(conn, agency_ids))
    base = _snapshot_for(session, end, agency_ids) if _USE_SNAPSHOTS.get() else None
    return _counts(conn, end, agency_ids, base)


def _clean(out: dict[int, dict[str, int]]) -> dict[int, dict[str, int]]:
    return {aid: {k: v for k, v in m.items() if v} for aid, m in out.items()}


def _counts(conn: Connection, end: datetime, agency_ids: list[int] | None,
            base: tuple[datetime, dict[int, dict[str, int]]] | None) -> dict[int, dict[str, int]]:
    """The counters at ``end``: from ``base`` (a snapshot's moment and counts, at or after
    ``end``) or from today's counters, with the changes in between taken back."""
    upto, start = (None, counters.read(conn, agency_ids)) if base is None else base
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for aid, m in start.items():
        out[aid].update(m)
    wanted = None if agency_ids is None else set(agency_ids)
    with _walk_settings(conn):
        changes = [*_file_changes(conn, end, upto, agency_ids),
                   *_page_changes(conn, end, upto, agency_ids)]
    for aid, metric, n in changes:
        if aid is None or (wanted is not None and aid not in wanted):
            continue
        out[aid][metric] = out[aid].get(metric, 0) + n
    return _clean(out)


@contextlib.contextmanager
def _walk_settings(conn: Connection):
    """PostgreSQL, for the walk's few big statements: no JIT (compiling them took longer
    than running them: 1.8 s of 5.7 s at city scale) and room to group a week's pages in
    memory; the caller's settings come back afterwards."""
    if conn.dialect.name != "postgresql":
        yield
        return
    old = conn.execute(text("SELECT current_setting('jit'), current_setting('work_mem')")).one()
    conn.execute(text("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"))
    yield  # on an error the transaction is rolled back, and local settings with it
    conn.execute(text("SELECT set_config('jit', :j, true), set_config('work_mem', :w, true)"),
                 {"j": old[0], "w": old[1]})


# --------------------------------------------------------------------------- snapshots


def _snapshot_for(session: Session, end: datetime, agency_ids: list[int] | None):
    """(moment, counts) of the snapshot to walk back from, or None (walk from today).
    The whole programme's computation takes the snapshot of ``end``'s week when it is
    due and missing; an agency's page only uses the snapshots there are."""
    conn = session.connection()
    if snapshots.ensure(conn):
        log.info("garde des instantanés réinstallée; instantanés effacés")
    want = calendar.week_end_at(end)
    near = snapshots.nearest(conn, end)
    if agency_ids is None and (near is None or near[1] > want):
        taken = take(session, want)
        if taken is not None:
            return want, taken
    if near is None:
        return None
    return near[1], snapshots.read(conn, near[0], agency_ids)


def due(at: datetime) -> bool:
    """A week's snapshot may be taken: the week ended at least SNAPSHOT_GRACE ago."""
    return at <= models.utcnow() - SNAPSHOT_GRACE


def _has_written(session: Session) -> bool:
    """The caller's transaction holds uncommitted writes (a snapshot taken beside it
    would not see them)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return bool(conn.execute(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")).scalar())
    return bool(getattr(conn.connection.driver_connection, "in_transaction", True))


def take(session: Session, at: datetime) -> dict[int, dict[str, int]] | None:
    """Compute and store the programme's counters at ``at`` (a week's end), in a
    transaction of its own that sees one consistent state of the database; returns the
    counts, or None when it may not be taken now (the week has not ended
    SNAPSHOT_GRACE ago, a transaction older than ``at`` is still open, the caller's
    transaction has uncommitted writes, or a concurrent writer got in the way)."""
    bind = session.get_bind()
    if not due(at) or not isinstance(bind, Engine) or _has_written(session):
        return None
    pg = bind.dialect.name == "postgresql"
    try:
        with bind.connect() as c:
            if pg:
                if c.execute(_OPEN_BEFORE, {"at": at}).scalar():
                    return None
                c.rollback()
                c.execution_options(isolation_level="REPEATABLE READ")
            else:  # one read transaction: a writer committing meanwhile makes the store fail
                c.exec_driver_sql("PRAGMA busy_timeout = 2000")
                c.exec_driver_sql("BEGIN")
            try:
                near = snapshots.nearest(c, at)
                base = None if near is None else (near[1], snapshots.read(c, near[0]))
                counts = _counts(c, at, None, base)
                last = c.execute(select(func.max(Event.id))).scalar()
                snapshots.store(c, at, counts, last, models.utcnow())
                c.commit()
            finally:
                if not pg:
                    c.exec_driver_sql("PRAGMA busy_timeout = 60000")
        return counts
    except DBAPIError as exc:  # e.g. SQLite's busy snapshot: computed again next time
        log.warning("không lưu được ảnh chụp tiến độ %s: %s", at.isoformat(), exc)
        return None


def take_due(session: Session, weeks: int) -> list[datetime]:
    """Take the missing snapshots of the last ``weeks`` finished weeks (the newest first,
    each walked back from the one after it); returns the moments taken."""
    if not _USE_SNAPSHOTS.get():
        return []
    conn = session.connection()
    snapshots.ensure(conn)
    have = set(snapshots.moments(conn))
    at = calendar.week_end_at(models.utcnow() - SNAPSHOT_GRACE)
    if not due(at):
        at = calendar.week_end_at(at - timedelta(days=7))
    out = []
    for _ in range(weeks):
        if at not in have:
            if take(session, at) is None:
                break
            out.append(at)
        at = calendar.week_end_at(at - timedelta(days=7))
    return out


# --------------------------------------------------------------------------- the walk


def _mine(ev, agency_ids: list[int] | None) -> list:
    """Events carry their agency: an agency page only reads its own (and any without one)."""
    return [] if agency_ids is None else [
        or_(ev.agency_id.in_(list(agency_ids)), ev.agency_id.is_(None))]


def _first_at_or_after(ev_alias, key, moment: datetime, conds: list):
    """The id of the first event (in time, then id) of ``key``'s entity at or after
    ``moment`` meeting ``conds`` (a correlated subquery)."""
    return (select(ev_alias.id).where(ev_alias.entity_id == key, ev_alias.occurred_at >= moment,
                                      *conds)
            .order_by(ev_alias.occurred_at, ev_alias.id).limit(1).scalar_subquery())


def _file_then(before, after):
    """A file's status given by the ``before`` of its first event after a moment
    (None: it did not exist yet; _UNKNOWN: that event does not say)."""
    then = before.get("status") if isinstance(before, dict) else None
    if then is None and (after or {}).get("status") != "inventoried":
        return _UNKNOWN
    return then


def _file_changes(conn: Connection, t1: datetime, t2: datetime | None,
                  agency_ids: list[int] | None):
    """Files with a status event in [t1, t2) (t2 None: up to now): -1 for their status at
    t2 (today's when None), +1 for their status at t1."""
    status = Event.after["status"].as_string()
    win = [Event.entity == "files", Event.occurred_at >= t1, status.is_not(None),
           *_mine(Event, agency_ids)]
    if t2 is not None:
        win.append(Event.occurred_at < t2)
    rn = func.row_number().over(partition_by=Event.entity_id,
                                order_by=(Event.occurred_at, Event.id)).label("rn")
    ev = (select(Event.entity_id.label("fid"), Event.before, Event.after, rn)
          .where(*win).subquery("ev"))
    if t2 is None:
        q = (select(ev.c.fid, ev.c.before, ev.c.after, null(), null(), literal(False),
                    File.agency_id, File.status)
             .join(File, File.id == ev.c.fid).where(ev.c.rn == 1))
    else:
        first = select(ev.c.fid, ev.c.before, ev.c.after).where(ev.c.rn == 1).subquery("w")
        probe = aliased(Event, name="probe")
        late_id = _first_at_or_after(probe, first.c.fid, t2, [
            probe.entity == "files", probe.after["status"].as_string().is_not(None),
            *_mine(probe, agency_ids)])
        pairs = select(first, late_id.label("late_id")).subquery("pairs")
        late = aliased(Event, name="late")
        q = (select(pairs.c.fid, pairs.c.before, pairs.c.after, late.before, late.after,
                    late.id.is_not(None), File.agency_id, File.status)
             .join(File, File.id == pairs.c.fid).outerjoin(late, late.id == pairs.c.late_id))
    rows = []
    for fid, b1, a1, b2, a2, has_late, aid, now_status in conn.execute(q):
        rows.append([fid, aid, now_status, _file_then(b1, a1),
                     _file_then(b2, a2) if has_late else now_status])
    # no "before": the status of the file's last event before the moment (none: as today)
    for side, moment in ((3, t1), (4, t2)):
        unknown = [r for r in rows if r[side] is _UNKNOWN]
        last = _last_status_before(conn, [r[0] for r in unknown], moment) if unknown else {}
        for r in unknown:
            r[side] = last.get(r[0], r[2])
    for _fid, aid, _now, then, at_t2 in rows:
        if then != at_t2:
            if at_t2 is not None:
                yield aid, f"file:{at_t2}", -1
            if then is not None:
                yield aid, f"file:{then}", 1


def _last_status_before(conn: Connection, fids: list[int], moment: datetime) -> dict[int, str]:
    status = Event.after["status"].as_string()
    rn = func.row_number().over(partition_by=Event.entity_id,
                                order_by=(Event.occurred_at.desc(), Event.id.desc())).label("rn")
    out = {}
    for i in range(0, len(fids), _CHUNK):
        last = (select(Event.entity_id.label("fid"), status.label("status"), rn)
                .where(Event.entity == "files", Event.occurred_at < moment, status.is_not(None),
                       Event.entity_id.in_(fids[i:i + _CHUNK]))
                .subquery("last"))
        out.update(conn.execute(select(last.c.fid, last.c.status).where(last.c.rn == 1)).all())
    return out


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


def _before_parts(b):
    """What the grouped pass reads of a page event's ``before``: verdict, OCR state,
    whether it says the low-confidence flag, and the flag."""
    return (func.coalesce(b["verdict"].as_string(), b["qc_verdict"].as_string()),
            b["ocr"].as_string(),
            case((b["low_confidence"].as_string().is_not(None), 1), else_=0),
            case((b["low_confidence"].as_boolean(), 1), else_=0))


_SIDE = ("has_qc", "v", "qc_o", "qc_l", "has_ocr", "o", "lp", "l", "qc_id", "ocr_id")


def _page_then(exists, verdict, ocr, low, has_qc, v, qc_o, qc_l, has_ocr, o, lp, lo):
    """A page's metrics at a moment, from today's row and the parts of its first QC and
    first OCR event at or after that moment (has_qc / has_ocr 0: none, as today)."""
    then_exists, t_verdict, t_ocr, t_low = bool(exists), verdict, bool(ocr), bool(low)
    if has_qc:
        then_exists, t_verdict = v is not None, v
    if not exists and has_qc:  # removed since: its OCR state as page_removed kept it
        t_ocr, t_low = qc_o == "done", bool(qc_l)
    if has_ocr:
        t_ocr = o == "done"
        t_low = bool(lo) if lp else (t_low and t_ocr)
    return _page_metrics(t_verdict, None, t_ocr, t_low) if then_exists else []


def _page_then_full(now: tuple, side: dict) -> list[str]:
    """The same, for a page rejected now or then (its defects count), from the whole
    ``before`` of each event ({kind: before}; a kind missing: no such event)."""
    exists_now, verdict, defects, ocr_done, low = now
    exists = exists_now
    if "qc" in side:
        b = side["qc"]
        exists = bool(b)  # a page's first QC event without a "before" is its delivery
        if exists:
            then_verdict = b.get("verdict", b.get("qc_verdict"))
            defects = b["defects"] if "defects" in b else (
                defects if then_verdict == verdict else [])
            verdict = then_verdict
    if not exists_now and "ocr" in side.get("qc", {}):  # removed since: its last OCR state
        ocr_done = side["qc"]["ocr"] == "done"
        low = bool(side["qc"].get("low_confidence"))
    if "ocr" in side:
        b = side["ocr"]
        ocr_done = b.get("ocr") == "done"
        low = bool(b["low_confidence"]) if "low_confidence" in b else (low and ocr_done)
    return _page_metrics(verdict, defects, ocr_done, low) if exists else []


def _page_sides(t1: datetime, t2: datetime | None, agency_ids: list[int] | None):
    """One row per page with a QC or OCR event in [t1, t2): its agency (from its events)
    and, for each moment, the parts of its first QC and first OCR event at or after it
    (_SIDE columns, suffixed 1 for t1 and 2 for t2; none at t2 when t2 is None)."""
    kind = case((Event.action.in_(QC_ACTIONS), literal("qc")), else_=literal("ocr"))
    win = [Event.entity == "pages", Event.phase.in_(PAGE_PHASES),
           Event.action.in_(QC_ACTIONS + OCR_ACTIONS), Event.occurred_at >= t1,
           *_mine(Event, agency_ids)]
    if t2 is not None:
        win.append(Event.occurred_at < t2)
    rn = func.row_number().over(partition_by=(Event.entity_id, kind),
                                order_by=(Event.occurred_at, Event.id)).label("rn")
    v, o, lp, lv = _before_parts(Event.before)
    ev = (select(Event.entity_id.label("pid"), Event.agency_id.label("ev_agency"),
                 kind.label("kind"), Event.id.label("eid"), v.label("v"), o.label("o"),
                 lp.label("lp"), lv.label("l"), rn)
          .where(*win).subquery("ev"))

    def of(k, col, default=None):
        return func.max(case((ev.c.kind == k, col), else_=default))

    w = (select(ev.c.pid, func.max(ev.c.ev_agency).label("ev_agency"),
                of("qc", 1, 0).label("has_qc"), of("qc", ev.c.v).label("v"),
                of("qc", ev.c.o).label("qc_o"), of("qc", ev.c.l, 0).label("qc_l"),
                of("ocr", 1, 0).label("has_ocr"), of("ocr", ev.c.o).label("o"),
                of("ocr", ev.c.lp, 0).label("lp"), of("ocr", ev.c.l, 0).label("l"),
                of("qc", ev.c.eid).label("qc_id"), of("ocr", ev.c.eid).label("ocr_id"))
         .where(ev.c.rn == 1).group_by(ev.c.pid).subquery("w"))
    if t2 is None:
        one = {f"{c}1": w.c[c] for c in _SIDE}
        two = {f"{c}2": literal(0) if c.startswith("has") else null() for c in _SIDE}
        return select(w.c.pid, w.c.ev_agency.label("ev_agency"),
                      *[c.label(k) for k, c in (one | two).items()]).subquery("sides")
    probes = {}
    for k, actions in (("qc", QC_ACTIONS), ("ocr", OCR_ACTIONS)):
        p = aliased(Event, name=f"probe_{k}")
        probes[k] = _first_at_or_after(p, w.c.pid, t2, [
            p.entity == "pages", p.phase.in_(PAGE_PHASES), p.action.in_(actions),
            *_mine(p, agency_ids)]).label(f"late_{k}")
    wl = select(w, *probes.values()).subquery("wl")
    lq, lo = aliased(Event, name="late_qc"), aliased(Event, name="late_ocr")
    qv, qo, _qlp, ql = _before_parts(lq.before)
    _ov, oo, olp, ol = _before_parts(lo.before)
    has_lq = case((lq.id.is_not(None), 1), else_=0)
    has_lo = case((lo.id.is_not(None), 1), else_=0)
    two = {"has_qc2": has_lq, "v2": qv, "qc_o2": qo, "qc_l2": ql, "has_ocr2": has_lo,
           "o2": oo, "lp2": olp, "l2": ol, "qc_id2": lq.id, "ocr_id2": lo.id}
    in_w_qc, in_w_ocr = wl.c.has_qc == 1, wl.c.has_ocr == 1

    def first(in_w, mine, other):  # the window's own first event, else the later one's
        return case((in_w, mine), else_=other)

    one = {"has_qc1": first(in_w_qc, 1, has_lq), "v1": first(in_w_qc, wl.c.v, qv),
           "qc_o1": first(in_w_qc, wl.c.qc_o, qo), "qc_l1": first(in_w_qc, wl.c.qc_l, ql),
           "has_ocr1": first(in_w_ocr, 1, has_lo), "o1": first(in_w_ocr, wl.c.o, oo),
           "lp1": first(in_w_ocr, wl.c.lp, olp), "l1": first(in_w_ocr, wl.c.l, ol),
           "qc_id1": first(in_w_qc, wl.c.qc_id, lq.id),
           "ocr_id1": first(in_w_ocr, wl.c.ocr_id, lo.id)}
    agency = func.coalesce(wl.c.ev_agency, lq.agency_id, lo.agency_id)
    return (select(wl.c.pid, agency.label("ev_agency"),
                   *[c.label(k) for k, c in (one | two).items()])
            .select_from(wl).outerjoin(lq, lq.id == wl.c.late_qc)
            .outerjoin(lo, lo.id == wl.c.late_ocr).subquery("sides"))


def _page_changes(conn: Connection, t1: datetime, t2: datetime | None,
                  agency_ids: list[int] | None):
    """Pages with a QC or OCR event in [t1, t2): -1 for what they counted at t2 (today
    when None), +1 for what they counted at t1. One SQL pass groups the pages alike
    (same agency, same state at both moments and today), so a week's hundreds of
    thousands of page events come back as a few thousand rows; the pages rejected today
    or at either moment (their defects count) come back one by one, with the ids of the
    events whose whole ``before`` is then read."""
    sd = _page_sides(t1, t2, agency_ids)
    rejected = func.coalesce(or_(Page.qc_verdict == "reject", sd.c.v1 == "reject",
                                 sd.c.v2 == "reject"), False)

    def only_rejected(col):
        return case((rejected, col), else_=None)

    state = (select(func.coalesce(File.agency_id, sd.c.ev_agency).label("aid"),
                    case((Page.id.is_not(None), 1), else_=0).label("exists"),
                    Page.qc_verdict.label("verdict"),
                    case((Page.ocr_text.is_not(None), 1), else_=0).label("ocr"),
                    case((Page.ocr_low_confidence.is_(True), 1), else_=0).label("low"),
                    *[sd.c[f"{c}{i}"] for i in (1, 2) for c in _SIDE[:8]],
                    *[only_rejected(sd.c[f"{c}{i}"]).label(f"r_{c}{i}")
                      for i in (1, 2) for c in ("qc_id", "ocr_id")],
                    only_rejected(sd.c.pid).label("r_pid"))
             .select_from(sd).outerjoin(Page, Page.id == sd.c.pid)
             .outerjoin(File, File.id == Page.file_id).subquery("st"))
    cols = list(state.c)
    one_by_one = []
    for row in conn.execute(select(*cols, func.count()).group_by(*cols)):
        (aid, exists, verdict, ocr, low), n = row[:5], int(row[-1])
        s1, s2 = row[5:13], row[13:21]
        if row.r_pid is not None:
            one_by_one.append(row)
            continue
        for m in _page_then(exists, verdict, ocr, low, *s2):
            yield aid, m, -n
        for m in _page_then(exists, verdict, ocr, low, *s1):
            yield aid, m, n
    yield from _pages_one_by_one(conn, one_by_one)


def _pages_one_by_one(conn: Connection, rows: list):
    ids = sorted({i for r in rows for i in (r.r_qc_id1, r.r_ocr_id1, r.r_qc_id2, r.r_ocr_id2)
                  if i is not None})
    pids = [r.r_pid for r in rows]
    befores, defects = {}, {}
    for i in range(0, len(ids), _CHUNK):
        befores.update(conn.execute(select(Event.id, Event.before)
                                    .where(Event.id.in_(ids[i:i + _CHUNK]))).all())
    for i in range(0, len(pids), _CHUNK):
        defects.update(conn.execute(select(Page.id, Page.qc_defects)
                                    .where(Page.id.in_(pids[i:i + _CHUNK]))).all())

    def side(qc_id, ocr_id) -> dict:
        out = {}
        for k, eid in (("qc", qc_id), ("ocr", ocr_id)):
            if eid is not None:
                b = befores.get(eid)
                out[k] = b if isinstance(b, dict) else {}
        return out

    for r in rows:
        now = (bool(r.exists), r.verdict, defects.get(r.r_pid), bool(r.ocr), bool(r.low))
        for m in _page_then_full(now, side(r.r_qc_id2, r.r_ocr_id2)):
            yield r.aid, m, -1
        for m in _page_then_full(now, side(r.r_qc_id1, r.r_ocr_id1)):
            yield r.aid, m, 1
