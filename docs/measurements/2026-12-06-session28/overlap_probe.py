"""How much of a pack's update can hide behind the next step's forward, on this card.

Session 28's profile (QF 6 layers, 10 seeds, H100) gave the update 2,039 us a step at the copy
bandwidth (the gradient norm's pass and AdamW: 32 bytes a parameter) and the forward about
1,000 us of products and row kernels with nothing beside them. Session 20's update beside the
next forward gained only 1-3%. This probe asks the card directly, with PyTorch's kernels standing
in for ours (same bytes, same shapes): an AdamW over 10 x 18,974,791 fp32 parameters
(torch._fused_adamw_), and a 6-layer forward's products (per layer the four TF32 bmm of
10 x 256 rows: 512 -> 1,536, 512 -> 512, 512 -> 2,048, 2,048 -> 512) with a LayerNorm and a
ReLU, each alone, then both at once on two streams (update low priority, forward high), then
pipelined as session 19 built it (layer l's forward waits for the update of layer l's share).
Prints one JSON line. Run on the GPU machine: python3 overlap_probe.py [--seeds 10]
"""
import argparse
import json

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = True
    dev = torch.device("cuda")
    S, L, N, d, ff = a.seeds, a.layers, 256, 512, 2048
    per_layer = d * 3 * d + d * d + d * ff + ff + ff * d + d + 4 * d
    other = 18_974_791 - L * per_layer  # embeddings, positions, output layer
    # The update's state as one tensor per layer (and one for the rest), as the forward reads it.
    sizes = [S * per_layer] * L + [S * other]
    w = [torch.randn(n, device=dev) * 0.02 for n in sizes]
    g = [torch.randn(n, device=dev) * 1e-3 for n in sizes]
    m = [torch.zeros(n, device=dev) for n in sizes]
    v = [torch.zeros(n, device=dev) for n in sizes]
    steps = [torch.ones((), device=dev) for _ in sizes]

    def adamw(idx):
        torch._fused_adamw_([w[i] for i in idx], [g[i] for i in idx], [m[i] for i in idx],
                            [v[i] for i in idx], [], [steps[i] for i in idx], lr=1e-4,
                            beta1=0.9, beta2=0.999, weight_decay=0.01, eps=1e-7,
                            amsgrad=False, maximize=False)

    x0 = torch.randn(S, N, d, device=dev)
    wq = [torch.randn(S, d, 3 * d, device=dev) * 0.02 for _ in range(L)]
    wo = [torch.randn(S, d, d, device=dev) * 0.02 for _ in range(L)]
    w1 = [torch.randn(S, d, ff, device=dev) * 0.02 for _ in range(L)]
    w2 = [torch.randn(S, ff, d, device=dev) * 0.02 for _ in range(L)]

    def layer(x, l):
        qkv = torch.bmm(x, wq[l])
        u = torch.layer_norm(x + torch.bmm(qkv[..., :d], wo[l]), (d,))
        f = torch.relu(torch.bmm(u, w1[l]))
        return torch.layer_norm(u + torch.bmm(f, w2[l]), (d,))

    def forward():
        x = x0
        for l in range(L):
            x = layer(x, l)
        return x

    low = torch.cuda.Stream(priority=0)
    high = torch.cuda.Stream(priority=-1)

    def timed(fn):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        t0, t1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        t0.record()
        for _ in range(a.reps):
            fn()
        t1.record()
        torch.cuda.synchronize()
        return t0.elapsed_time(t1) * 1000.0 / a.reps  # us

    everything = list(range(L + 1))

    def both():
        start = torch.cuda.Event()
        start.record()
        low.wait_event(start)
        high.wait_event(start)
        with torch.cuda.stream(low):
            adamw(everything)
        with torch.cuda.stream(high):
            forward()
        torch.cuda.current_stream().wait_stream(low)
        torch.cuda.current_stream().wait_stream(high)

    def pipelined():
        start = torch.cuda.Event()
        start.record()
        low.wait_event(start)
        high.wait_event(start)
        done = []
        with torch.cuda.stream(low):
            for i in everything:
                adamw([i])
                e = torch.cuda.Event()
                e.record(low)
                done.append(e)
        with torch.cuda.stream(high):
            x = x0
            for l in range(L):
                high.wait_event(done[l])
                x = layer(x, l)
        torch.cuda.current_stream().wait_stream(low)
        torch.cuda.current_stream().wait_stream(high)

    update_us = timed(lambda: adamw(everything))
    forward_us = timed(forward)
    both_us = timed(both)
    piped_us = timed(pipelined)
    gb = sum(sizes) * 28 / 1e9
    print(json.dumps({
        "card": torch.cuda.get_device_name(),
        "seeds": S, "layers": L, "params": sum(sizes),
        "update_us": round(update_us, 1), "update_tb_s": round(gb / update_us * 1e6 / 1e3, 2),
        "forward_us": round(forward_us, 1), "sum_us": round(update_us + forward_us, 1),
        "both_at_once_us": round(both_us, 1), "pipelined_us": round(piped_us, 1),
        "hidden_at_once_us": round(update_us + forward_us - both_us, 1),
        "hidden_pipelined_us": round(update_us + forward_us - piped_us, 1),
    }))


if __name__ == "__main__":
    main()
