# Simulates the positions per Dyck step of rows packed by the longest line (PackedRowLength,
# first-fit decreasing, rows shared by all seeds) against one row per seed (OneRowLength),
# on the train split: build/tasks/sg-data generate --task dyck --split train --seed 0
# --out /tmp/dyck_train.txt; python3 one_row_simulation.py. Each seed its own shuffled order.
import random
lines=[len(l.split())+1 for l in open('/tmp/dyck_train.txt')]
print("mean positions per line", sum(lines)/len(lines))
def prl(t):
    L=64
    while L<=1024:
        if t<=L: return L
        L*=2
    return (t+63)//64*64
def ffd(toks, L):
    rows=[]
    for t in sorted(toks, reverse=True):
        for i in range(len(rows)):
            if rows[i]+t<=L: rows[i]+=t; break
        else: rows.append(t)
    return len(rows)
def sim(S, steps=4000):
    orders=[]
    for s in range(S):
        r=random.Random(1000+s); o=list(range(len(lines))); r.shuffle(o); orders.append(o)
    cur=one=ideal=tok=0; cur_eager=one_eager=0
    shapes={}
    for st in range(steps):
        b=[[lines[orders[s][(st*8+i)%len(lines)]] for i in range(8)] for s in range(S)]
        longest=max(max(x) for x in b)
        L=prl(longest); R=max(ffd(x,L) for x in b)
        cur+=S*R*L; cur_eager+= not (L<=1024 and R*L<=2048)
        m=max(sum(x) for x in b); OL=(m+255)//256*256
        one+=S*OL; one_eager+= OL>2048; shapes[OL]=shapes.get(OL,0)+1
        ideal+=S*m; tok+=sum(sum(x) for x in b)
    n=steps
    print(f"S={S}: tokens {tok/n:.0f}; packed rows {cur/n:.0f} ({100*cur_eager/n:.2f}% eager); one row {one/n:.0f} ({100*one_eager/n:.2f}% eager); one row unrounded {ideal/n:.0f}")
    print("  one-row lengths:", sorted((k, round(100*v/n,1)) for k,v in shapes.items()))
sim(10); sim(16)
