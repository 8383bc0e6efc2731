"""The original design's table against tierfs's block layer (BlockLayerBenchmark, no FUSE).

    python3 jmh_design.py JMH_RESULT.json [BLOCK_SIZE]

Reads JMH's JSON results (-rf json) and prints, for the volume's block size (default 131072,
tierfs's default), each design row beside the block layer's mean time per request, on sealed blocks
where the run has both (a read verifies its pages: the slower case, and data's usual state once left
alone for seal-after). The factor is
the smaller of the latency factor and the throughput factor (IOPS or MB/s); issue 9 asks for 10x
on every row here.
"""
import json
import sys

from report import DESIGN, render

GOAL = 10
# design row -> (benchmark method, request size)
BENCHMARKS = {"read 1 KB": ("read", 1024), "read 1 MB": ("read", 1 << 20),
              "write 1 KB": ("write", 1024), "write 1 MB": ("write", 1 << 20)}


def main():
    results = json.load(open(sys.argv[1]))
    block_size = sys.argv[2] if len(sys.argv) > 2 else "131072"
    means = {}
    for r in results:
        name, params = r["benchmark"], r.get("params", {})
        if name.endswith("BlockLayerBenchmark.read") or name.endswith("BlockLayerBenchmark.write"):
            if params.get("blockSize") == block_size and params.get("sealed", "true") == "true":
                unit_us = {"us/op": 1.0, "ms/op": 1000.0, "ns/op": 0.001}[r["primaryMetric"]["scoreUnit"]]
                means[(name.rsplit(".", 1)[1], int(params["requestSize"]))] = r["primaryMetric"]["score"] * unit_us
    body = []
    for row, lat_ms, iops, mb, _ in DESIGN.values():
        us = means.get(BENCHMARKS[row])
        if us is None:
            continue
        size = BENCHMARKS[row][1]
        rate_factor = (size / us) / mb if mb else (1e6 / us) / iops  # bytes/us = MB/s
        factor = min(lat_ms * 1000 / us, rate_factor)
        design = "%.1f ms, %s" % (lat_ms, "%d MB/s" % mb if mb else "%d IOPS" % iops)
        tierfs = "%.1f us, %s" % (us, "%d MB/s" % (size / us) if mb else "%.0fk IOPS" % (1e3 / us))
        body.append([row, design, tierfs, "%.0fx" % factor, ">=%dx %s" % (GOAL, "ok" if factor >= GOAL else "MISS")])
    if not body:
        print("no BlockLayerBenchmark results for block size %s" % block_size)
        return
    print("the original design's table, tierfs's block layer (block size %s, one thread):" % block_size)
    print("\n".join(render(["design row", "design", "tierfs block layer", "factor", "goal"], body, False,
                           right={3}, gaps=False)))


if __name__ == "__main__":
    main()
