#!/usr/bin/env python3
"""Writes N valid kechan records (JSONL) for tests: one chain with 20 nodes, N/100 orgs, the
rest supplies and demands referring to them. Deterministic for a given seed.
usage: gen_records.py N OUT.jsonl [SEED] [PREFIX]"""
import json
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
p = sys.argv[4] if len(sys.argv) > 4 else "g"
words = ["钠离子电池", "硬碳负极", "磷酸铁锂", "正极材料", "电解液", "隔膜", "钙钛矿", "叠层电池",
         "中试平台", "场景验证", "固态电解质", "快充", "循环寿命", "压实密度", "TOPCon", "HJT",
         "LiFePO4", "4680", "300Wh/kg", "BMS", "热失控", "回收", "湿法冶金", "银浆", "硅片"]
regions = ["350900", "440300", "320400", "511500", "630100", "360900", "340100", "110108"]
with open(out, "w", encoding="utf-8") as f:
    def w(rec):
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    w({"type": "chain", "id": f"{p}-chain", "name": "测试产业链"})
    for i in range(20):
        w({"type": "node", "id": f"{p}-n{i}", "chain_id": f"{p}-chain", "name": f"节点{i}",
           "stage": ["upstream", "midstream", "downstream"][i % 3]})
    norgs = max(1, n // 100)
    for i in range(norgs):
        w({"type": "org", "id": f"{p}-o{i}", "name": f"测试机构{i}", "kind": "enterprise",
           "region": rnd.choice(regions)})
    for i in range(n - norgs):
        title = "".join(rnd.sample(words, 3))
        desc = "，".join("".join(rnd.sample(words, 4)) for _ in range(4)) + "。"
        base = {"id": f"{p}-r{i}", "org_id": f"{p}-o{rnd.randrange(norgs)}", "title": title,
                "description": desc, "keywords": rnd.sample(words, 3),
                "nodes": [f"{p}-n{rnd.randrange(20)}"]}
        if i % 5 < 3:
            base.update(type="supply", kind="patent", ipc=["H01M 10/0525"],
                        trl=rnd.randint(1, 9))
        else:
            base.update(type="demand", trl_min=rnd.randint(1, 9),
                        visibility=rnd.choice(["public", "public", "confidential"]))
        w(base)
