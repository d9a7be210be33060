"""Times the per-seed products of a QF layer's linears (10 seeds, 256 positions a seed, TF32)
in the layouts sg's graph step uses and in others, to see whether the weight gradients'
cuBLAS kernels (sm80 cutlass in session 21's profile) have faster forms. Run on the GPU
machine with its PyTorch: python3 gemm_layouts.py. Prints one line per (linear, form)."""
import torch

torch.backends.cuda.matmul.allow_tf32 = True
S, M = 10, 256
dev = "cuda"


def timed(fn, reps=200):
    for _ in range(10):
        fn()
    torch.cuda.synchronize()
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    for _ in range(reps):
        fn()
    b.record()
    torch.cuda.synchronize()
    return a.elapsed_time(b) * 1000.0 / reps  # us


for name, fin, fout in [("wq", 512, 512), ("wkv", 512, 1024), ("w1", 512, 2048),
                        ("w2", 2048, 512)]:
    x = torch.randn(S, M, fin, device=dev)
    dy = torch.randn(S, M, fout, device=dev)
    wt = torch.randn(S, fin, fout, device=dev)  # stored [in, out], as sg's
    w = wt.transpose(1, 2).contiguous()  # [out, in]
    dw = torch.empty(S, fin, fout, device=dev)
    flop = 2.0 * S * M * fin * fout
    forms = {
        "forward bmm(x, wt)": lambda: torch.bmm(x, wt),
        "input grad bmm(dy, wt^T)": lambda: torch.bmm(dy, wt.transpose(1, 2)),
        "input grad bmm(dy, w) [out,in] copy": lambda: torch.bmm(dy, w),
        "weight grad bmm_out(dw, x^T, dy) (sg)": lambda: torch.bmm(x.transpose(1, 2), dy, out=dw),
        "weight grad x^T contiguous, then bmm": lambda: torch.bmm(
            x.transpose(1, 2).contiguous(), dy, out=dw),
        "weight grad (dy^T x)^T into dw": lambda: dw.copy_(
            torch.bmm(dy.transpose(1, 2), x).transpose(1, 2)),
        "weight grad one GEMM per seed": lambda: [torch.mm(x[s].t(), dy[s], out=dw[s])
                                                  for s in range(S)],
    }
    for form, fn in forms.items():
        us = timed(fn)
        print(f"{name} [{fin}x{fout}] {form}: {us:.1f} us, {flop / us / 1e6:.1f} TFLOP/s")
