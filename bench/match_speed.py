"""Xapian peer for bench/match_speed (run with Debian's python3, which has python3-xapian).

usage: match_speed.py DOCS QUERIES DBDIR OUT NQ
DOCS: one document per line, its three fields (title, abstract, keywords) separated by tabs,
each field's terms (kechan's analyzer, index mode) separated by spaces. QUERIES: one per line,
terms separated by spaces; the first NQ are short, the rest long. DBDIR: the on-disk database
to create (glass). OUT: JSON {"build_s", "rss_mb", "lat": [seconds per query]}.
Build time counts document creation, add_document() and the final commit, not reading the
file. Each query is timed around set_query() + get_mset(0, 10) and reading the ten docids.
"""
import json
import os
import sys
import time

import xapian


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return float(line.split()[1]) / 1024.0
    return 0.0


def main():
    docs, queries, dbdir, out, nq = sys.argv[1:6]
    # flush in large batches, as a bulk load should
    os.environ.setdefault("XAPIAN_FLUSH_THRESHOLD", "200000")
    r0 = rss_mb()
    build = 0.0
    t = time.perf_counter()
    db = xapian.WritableDatabase(dbdir, xapian.DB_CREATE_OR_OVERWRITE)
    build += time.perf_counter() - t
    n = 0
    with open(docs, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            terms = [w for fld in fields for w in fld.split(" ") if 0 < len(w.encode("utf-8")) < 240]
            t = time.perf_counter()
            doc = xapian.Document()
            for w in terms:
                doc.add_term(w)
            db.add_document(doc)
            build += time.perf_counter() - t
            n += 1
            if n % 100000 == 0:
                print(f"\rxapian: {n} documents", end="", file=sys.stderr, flush=True)
    t = time.perf_counter()
    db.commit()
    build += time.perf_counter() - t
    rss = rss_mb() - r0
    print(f"\rxapian: built in {build:.1f} s       ", file=sys.stderr)
    enquire = xapian.Enquire(db)
    enquire.set_weighting_scheme(xapian.BM25Weight())
    lat = []
    with open(queries, encoding="utf-8") as f:
        for line in f:
            terms = [w for w in line.split() if 0 < len(w.encode("utf-8")) < 240]
            t = time.perf_counter()
            enquire.set_query(xapian.Query(xapian.Query.OP_OR, terms))
            ids = [m.docid for m in enquire.get_mset(0, 10)]
            lat.append(time.perf_counter() - t)
            del ids
    db.close()
    with open(out, "w") as f:
        json.dump({"build_s": build, "rss_mb": rss, "lat": lat}, f)


if __name__ == "__main__":
    main()
