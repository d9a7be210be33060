# Positions per pack step under each layout, against the real positions (each line's tokens
# plus its SOS), on a task's train split; S seeds of 8 lines, each seed its own shuffled order.
import random, sys
task, S = sys.argv[1], int(sys.argv[2])
lines = [len(l.split()) + 1 for l in open(f'/tmp/{task}_train.txt')]
def prl(t):
    L = 64
    while L <= 1024:
        if t <= L: return L
        L *= 2
    return (t + 63) // 64 * 64
def ffd(toks, L):
    rows = []
    for t in sorted(toks, reverse=True):
        for i in range(len(rows)):
            if rows[i] + t <= L: rows[i] += t; break
        else: rows.append(t)
    return len(rows)
orders = []
for s in range(S):
    r = random.Random(1000 + s); o = list(range(len(lines))); r.shuffle(o); orders.append(o)
steps = 4000
acc = dict(tok=0, cur=0, seedmax64=0, perseed64=0, chunk64=0, chunk128=0)
for st in range(steps):
    b = [[lines[orders[s][(st * 8 + i) % len(lines)]] for i in range(8)] for s in range(S)]
    tot = [sum(x) for x in b]
    longest = max(max(x) for x in b)
    L = prl(longest); R = max(ffd(x, L) for x in b)
    rows_pos = S * R * L
    one = S * ((max(tot) + 255) // 256 * 256)
    acc['cur'] += one if L * 1 > 256 else rows_pos   # the trainer: one row per seed past 256
    acc['tok'] += sum(tot)
    acc['seedmax64'] += S * ((max(tot) + 63) // 64 * 64)
    acc['perseed64'] += sum((t + 63) // 64 * 64 for t in tot)
    acc['chunk64'] += sum(-(-t // 64) * 64 for t in tot)
    acc['chunk128'] += sum(-(-t // 128) * 128 for t in tot)
n = steps
tok = acc['tok'] / n
print(f"{task} S={S}: real positions {tok:.0f} per step")
for k in ['cur', 'seedmax64', 'perseed64', 'chunk128']:
    v = acc[k] / n
    print(f"  {k:10s} {v:8.0f} positions  {tok / v * 100:5.1f}% real")
