# One row per seed (PackTrainerOptions::one_row_per_seed) with its length rounded to each
# granule: positions per step against the real ones, how many lengths (graphs) occur and the
# share of steps the 8 most common cover. 4,000 steps of S seeds x 8 lines, each seed its own
# shuffled order, on a task's train split: build/tasks/sg-data generate --task TASK --split
# train --seed 0 --out /tmp/TASK_train.txt; python3 one_row_granule_simulation.py TASK 10
import random, sys
task, S = sys.argv[1], int(sys.argv[2])
lines = [len(l.split()) + 1 for l in open(f'/tmp/{task}_train.txt')]
orders = []
for s in range(S):
    r = random.Random(1000 + s); o = list(range(len(lines))); r.shuffle(o); orders.append(o)
steps = 4000
maxes = []; tok = 0
for st in range(steps):
    b = [[lines[orders[s][(st * 8 + i) % len(lines)]] for i in range(8)] for s in range(S)]
    t = [sum(x) for x in b]; maxes.append(max(t)); tok += sum(t)
print(f"{task} S={S}: real {tok/steps:.0f}")
for g in [8, 16, 32, 64, 128, 256]:
    lens = [(m + g - 1) // g * g for m in maxes]
    cnt = {}
    for L in lens: cnt[L] = cnt.get(L, 0) + 1
    top8 = sorted(cnt.items(), key=lambda kv: -kv[1])[:8]
    cover = sum(v for _, v in top8) / steps
    print(f"  one row in {g:3d}s: {S*sum(lens)/steps:6.0f} positions ({100*tok/(S*sum(lens)):4.1f}% real), {len(cnt)} lengths, 8 most common cover {100*cover:5.1f}% of steps")
