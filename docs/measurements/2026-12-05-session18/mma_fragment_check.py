# Emulates untested-weight-grad-mma.patch's index math (stage copies, the mma.sync m16n8k8 TF32
# fragments as the PTX ISA lays them out, the stores, the bias sums) for one block of 128 x 128
# over 72 rows, against x^T dy in float64: `python3 mma_fragment_check.py` prints the largest
# differences (session 18: 7.1e-15 and 8.9e-15). It checks the kernel's indices, not the GPU.
import random
random.seed(1)
P=Q=128; K=75; kRows=32; kLd=136
x=[[random.uniform(-1,1) for _ in range(P)] for _ in range(K)]
dy=[[random.uniform(-1,1) for _ in range(Q)] for _ in range(K)]
begin,end=3,K  # rows [3,75)
out=[[0.0]*Q for _ in range(P)]
acc={}  # (warp,lane,i,j) -> [4]
for warp in range(8):
  for lane in range(32):
    for i in range(4):
      for j in range(4): acc[(warp,lane,i,j)]=[0.0]*4
colsum=[0.0]*256
r0=begin
while r0<end:
  a=[[0.0]*kLd for _ in range(kRows)]; b=[[0.0]*kLd for _ in range(kRows)]
  for tid in range(256):
    for jj in range(4):
      c=tid+jj*256; r=c//32; col=(c%32)*4
      if r0+r<end:
        for e in range(4):
          a[r][col+e]=x[r0+r][0+col+e]; b[r][col+e]=dy[r0+r][0+col+e]
  for warp in range(8):
    wm=(warp//4)*64; wn=(warp%4)*32
    for k in range(0,kRows,8):
      regs={}
      for lane in range(32):
        g=lane//4; t=lane%4
        af=[]; bf=[]
        for i in range(4):
          base=lambda dr,dc:a[k+t+dr][wm+i*16+g+dc]
          af.append([base(0,0),base(0,8),base(4,0),base(4,8)])
        for j in range(4):
          bf.append([b[k+t][wn+j*8+g], b[k+t+4][wn+j*8+g]])
        regs[lane]=(af,bf)
      for i in range(4):
        for j in range(4):
          A=[[0.0]*8 for _ in range(16)]; B=[[0.0]*8 for _ in range(8)]
          for lane in range(32):
            g=lane//4; t=lane%4; af,bf=regs[lane]
            A[g][t]=af[i][0]; A[g+8][t]=af[i][1]; A[g][t+4]=af[i][2]; A[g+8][t+4]=af[i][3]
            B[t][g]=bf[j][0]; B[t+4][g]=bf[j][1]
          D=[[sum(A[rr][kk]*B[kk][cc] for kk in range(8)) for cc in range(8)] for rr in range(16)]
          for lane in range(32):
            g=lane//4; t=lane%4; d=acc[(warp,lane,i,j)]
            d[0]+=D[g][2*t]; d[1]+=D[g][2*t+1]; d[2]+=D[g+8][2*t]; d[3]+=D[g+8][2*t+1]
  for tid in range(256):
    c=tid%128
    for r in range(tid//128, kRows, 2): colsum[tid]+=b[r][c]
  r0+=kRows
for warp in range(8):
  wm=(warp//4)*64; wn=(warp%4)*32
  for lane in range(32):
    g=lane//4; t=lane%4
    for i in range(4):
      for j in range(4):
        row=wm+i*16+g; col=wn+j*8+2*t; d=acc[(warp,lane,i,j)]
        out[row][col]=d[0]; out[row][col+1]=d[1]; out[row+8][col]=d[2]; out[row+8][col+1]=d[3]
err=max(abs(out[m][n]-sum(x[r][m]*dy[r][n] for r in range(begin,end))) for m in range(P) for n in range(Q))
db=[colsum[c]+colsum[128+c] for c in range(128)]
errb=max(abs(db[n]-sum(dy[r][n] for r in range(begin,end))) for n in range(Q))
print("max err dw", err, "db", errb)
