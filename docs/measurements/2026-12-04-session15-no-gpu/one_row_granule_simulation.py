import random
lines = [len(l.split()) + 1 for l in open('/tmp/dyck_train.txt')]
S = 10
orders = []
for s in range(S):
    r = random.Random(1000 + s); o = list(range(len(lines))); r.shuffle(o); orders.append(o)
steps = 8000
maxes = []
for st in range(steps):
    b = [[lines[orders[s][(st * 8 + i) % len(lines)]] for i in range(8)] for s in range(S)]
    maxes.append(max(sum(x) for x in b))
for g in [256, 192, 128, 64]:
    lens = [(m + g - 1) // g * g for m in maxes]
    cnt = {}
    for L in lens: cnt[L] = cnt.get(L, 0) + 1
    top8 = sorted(cnt.items(), key=lambda kv: -kv[1])[:8]
    cover = sum(v for _, v in top8) / steps
    pos = S * sum(lens) / steps
    # positions of graph steps only vs eager share
    print(f"granule {g}: {pos:.0f} positions/step, {len(cnt)} lengths, top 8 cover {100*cover:.1f}% of steps: {sorted(k for k,_ in top8)}")
