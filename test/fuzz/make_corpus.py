#!/usr/bin/env python3
"""Seed corpus for fuzz_codec from the wire vectors: one file per frame,
prefixed with the decoder selector byte (0 = request, 1 = response)."""
import json
import os
import sys

src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
n = 0
for name, selector in (("requests.jsonl", 0), ("responses.jsonl", 1)):
    with open(os.path.join(src, name)) as f:
        for line in f:
            if not line.strip():
                continue
            v = json.loads(line)
            frame = bytes.fromhex(v["frame_hex"])
            with open(os.path.join(dst, "%s-%03d" % (name[:4], v["id"])), "wb") as out:
                out.write(bytes([selector]) + frame)
            n += 1
print("seed corpus: %d frames in %s" % (n, dst))
