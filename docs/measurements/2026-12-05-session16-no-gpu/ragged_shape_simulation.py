# The graph shapes a ragged step would need (trainer/model/ragged_batch.h): each step's total
# chunks and its largest seed's chunks, rounded up, on a task's train split; S seeds of 8
# lines, each seed its own shuffled order (as layout_simulation.py of session 15). Prints, per
# rounding, the positions per step (the chunks' and the seeds' padded view the weight
# gradients read) and how many (chunks, seed chunks) shapes cover 99% and 100% of the steps.
import collections, random, sys
task, S, C = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = [len(l.split()) + 1 for l in open(f'/tmp/{task}_train.txt')]
orders = []
for s in range(S):
    r = random.Random(1000 + s); o = list(range(len(lines))); r.shuffle(o); orders.append(o)
steps = 4000
up = lambda x, m: -(-x // m) * m
print(f"{task} S={S}, chunks of {C}")
for chunk_round, seed_round in [(1, 1), (4, 2), (8, 4), (16, 4), (16, 8), (32, 8)]:
    shapes = collections.Counter(); pos = view = real = 0
    for st in range(steps):
        b = [[lines[orders[s][(st * 8 + i) % len(lines)]] for i in range(8)] for s in range(S)]
        per_seed = [max(1, up(sum(x), C) // C) for x in b]
        chunks = up(sum(per_seed), chunk_round)
        seed_chunks = up(max(per_seed), seed_round)
        shapes[(chunks, seed_chunks)] += 1
        pos += chunks * C; view += S * seed_chunks * C; real += sum(sum(x) for x in b)
    common = sorted(shapes.values(), reverse=True)
    covered, k99 = 0, 0
    for k, n in enumerate(common):
        covered += n
        if covered >= 0.99 * steps: k99 = k + 1; break
    print(f"  round chunks {chunk_round:2d}, seed chunks {seed_round}: {pos / steps:6.0f} positions"
          f" ({real / pos * 100:4.1f}% real), padded view {view / steps:6.0f}; shapes: "
          f"{len(shapes)} in all, {k99} for 99% of steps, top 8 cover "
          f"{sum(common[:8]) / steps * 100:5.1f}%")
