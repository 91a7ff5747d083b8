"""A reference for bench/match_eval, outside the issue's goals: SQLite FTS5 with bm25() on
jieba's own terms, as a platform without kechan's analyzer would index (the matching issue
quotes "FTS5 bm25 on jieba terms scores about 0.29" for the field task). Run with Debian's
python3, which has python3-jieba.

usage: match_eval_jieba.py DOCS QUERIES OUT
DOCS: JSON lines {"id", "raw": {"title", "body", "kw"}} (raw texts, any may be null);
QUERIES: JSON lines {"qid", "text", "exclude": id or null}; OUT: JSON lines {"qid", "ids"}.
Terms: jieba.cut_for_search (its search-engine mode: long words and the words inside them),
tokens without a letter or digit dropped; columns title, body, kw with bm25()'s default
weights; the query is the OR of its distinct terms.
"""
import json
import logging
import sqlite3
import sys

import jieba


def terms(s):
    if not s:
        return []
    return [w for w in jieba.cut_for_search(s) if any(ch.isalnum() for ch in w)]


def main():
    docs, queries, out = sys.argv[1:4]
    jieba.setLogLevel(logging.WARNING)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, kw)")
    for line in open(docs, encoding="utf-8"):
        d = json.loads(line)
        raw = d.get("raw") or {}
        db.execute("INSERT INTO docs VALUES (?, ?, ?, ?)",
                   (d["id"], " ".join(terms(raw.get("title"))),
                    " ".join(terms(raw.get("body"))), " ".join(terms(raw.get("kw")))))
    with open(out, "w", encoding="utf-8") as f:
        for line in open(queries, encoding="utf-8"):
            q = json.loads(line)
            seen = dict.fromkeys(terms(q.get("text")))
            got = []
            if seen:
                fq = " OR ".join('"%s"' % t.replace('"', '""') for t in seen)
                for (i,) in db.execute("SELECT id FROM docs WHERE docs MATCH ? "
                                       "ORDER BY bm25(docs) LIMIT 11", (fq,)):
                    if i != q.get("exclude"):
                        got.append(i)
            f.write(json.dumps({"qid": q["qid"], "ids": got[:10]}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
