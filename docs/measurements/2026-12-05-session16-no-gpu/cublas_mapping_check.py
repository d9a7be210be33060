import random
random.seed(0)
def rnd(r, c): return [[random.gauss(0, 1) for _ in range(c)] for _ in range(r)]
def flat(M): return [v for row in M for v in row]
def mm(A, B): return [[sum(A[i][t] * B[t][j] for t in range(len(B))) for j in range(len(B[0]))] for i in range(len(A))]
def T(M): return [list(r) for r in zip(*M)]
def mat(mem, rows, cols, ld): return [[mem[i + j * ld] for j in range(cols)] for i in range(rows)]
def gemm(opA, opB, m, n, k, A, lda, B, ldb, ldc):
    Am = T(mat(A, k, m, lda)) if opA == 'T' else mat(A, m, k, lda)
    Bm = T(mat(B, n, k, ldb)) if opB == 'T' else mat(B, k, n, ldb)
    Cm = mm(Am, Bm)
    C = [0.0] * (ldc * n)
    for i in range(m):
        for j in range(n): C[i + j * ldc] = Cm[i][j]
    return C
def close(a, b): return all(abs(u - v) < 1e-9 for u, v in zip(flat(a), flat(b)))
chunk, q, p = 4, 3, 5
x = rnd(chunk, q)
w = rnd(q, p)
y = gemm('N', 'N', p, chunk, q, flat(w), p, flat(x), q, p)
print("forward", close([y[r * p:(r + 1) * p] for r in range(chunk)], mm(x, w)))
w2 = rnd(p, q)
y2 = gemm('T', 'N', p, chunk, q, flat(w2), q, flat(x), q, p)
print("transposed", close([y2[r * p:(r + 1) * p] for r in range(chunk)], mm(x, T(w2))))
