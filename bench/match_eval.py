"""Xapian peer for bench/match_eval (run with Debian's python3, which has python3-xapian).

usage: match_eval.py DOCS QUERIES OUT
DOCS: JSON lines {"id", "terms": [...]}: the documents' terms, already segmented by kechan's
analyzer (index mode). QUERIES: JSON lines {"qid", "terms": [...], "exclude": id or null}.
OUT: JSON lines {"qid", "ids": [top 10]}. BM25 (Xapian's BM25Weight defaults), OR of the terms.
"""
import json
import sys

import xapian


def main():
    docs, queries, out = sys.argv[1:4]
    db = xapian.WritableDatabase("", xapian.DB_BACKEND_INMEMORY)
    ids = []
    for line in open(docs, encoding="utf-8"):
        d = json.loads(line)
        doc = xapian.Document()
        for t in d["terms"]:
            if 0 < len(t.encode("utf-8")) < 240:
                doc.add_term(t)
        doc.set_data(d["id"])
        db.add_document(doc)
        ids.append(d["id"])
    enquire = xapian.Enquire(db)
    enquire.set_weighting_scheme(xapian.BM25Weight())
    with open(out, "w", encoding="utf-8") as f:
        for line in open(queries, encoding="utf-8"):
            q = json.loads(line)
            terms = [t for t in q["terms"] if 0 < len(t.encode("utf-8")) < 240]
            enquire.set_query(xapian.Query(xapian.Query.OP_OR, terms))
            got = []
            for m in enquire.get_mset(0, 11):
                i = m.document.get_data().decode("utf-8")
                if i != q.get("exclude"):
                    got.append(i)
            f.write(json.dumps({"qid": q["qid"], "ids": got[:10]}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
