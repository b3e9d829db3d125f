"""The training iterations of bench/gan_step.ts in PyTorch (CPU, float32), its peer.

--model gan (default), the benchmark GAN:

    G: z[64] -> Linear(64, 128*7*7) -> ReLU -> view (128, 7, 7) -> ConvTranspose2d(128, 64, 4, 2, 1) -> ReLU
       -> ConvTranspose2d(64, 1, 4, 2, 1) -> tanh -> [64, 1, 28, 28]
    D: Conv2d(1, 64, 4, 2, 1) -> LeakyReLU(0.2) -> Conv2d(64, 128, 4, 2, 1) -> LeakyReLU(0.2) -> flatten
       -> Linear(6272, 1)

batch 64, hinge loss, Adam(2e-4, betas (0, 0.9)) for each player, one D step then one G step.

--model gaussians, the 8-Gaussians MLP GAN (bench/gaussian_gan.ts's non-saturating config):

    G: z[8] -> Linear(8, 128) -> ReLU -> Linear(128, 128) -> ReLU -> Linear(128, 2)
    D: x[2] -> Linear(2, 128) -> LeakyReLU(0.2) -> Linear(128, 128) -> LeakyReLU(0.2) -> Linear(128, 1)

batch 256, non-saturating loss (D: softplus(-D(real)) + softplus(D(fake)); G: softplus(-D(G(z)))),
Adam(1e-3, betas (0.5, 0.999)) for each player, one D step then one G step, a fixed real batch.
torch is never a dependency of puregan: Debian's python3-torch (with libopenblas0-pthread) is
enough to run this.

    python3 bench/peers/pytorch_gan_step.py [--model gan|gaussians] [--threads 1 2] [--iters 5] [--warmup 2] [--json]

Prints the median ms per iteration for each thread count, and the CPU ms per iteration (process
time of all threads over the timed iterations), one JSON object per line with --json.
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


def networks():
    g = nn.Sequential(
        nn.Linear(64, 128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(6272, 1),
    )
    return g, d


def gaussian_networks(hidden=128):
    g = nn.Sequential(nn.Linear(8, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2))
    d = nn.Sequential(
        nn.Linear(2, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1),
    )
    return g, d


def make_gaussian_step(batch=256):
    torch.manual_seed(0)
    g, d = gaussian_networks()
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999))
    angles = torch.randint(0, 8, (batch,)) * (2 * torch.pi / 8)
    real = torch.stack([torch.cos(angles), torch.sin(angles)], 1) * 2 + 0.02 * torch.randn(batch, 2)
    softplus = nn.functional.softplus

    def step():
        with torch.no_grad():
            fake = g(torch.randn(batch, 8))
        opt_d.zero_grad(set_to_none=True)
        d_loss = softplus(-d(real)).mean() + softplus(d(fake)).mean()
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = softplus(-d(g(torch.randn(batch, 8)))).mean()
        g_loss.backward()
        opt_g.step()
        return d_loss.item(), g_loss.item()

    return step


def make_step(batch=64):
    torch.manual_seed(0)
    g, d = networks()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.0, 0.9))
    real = torch.tanh(torch.randn(batch, 1, 28, 28))

    def step():
        with torch.no_grad():
            fake = g(torch.randn(batch, 64))
        opt_d.zero_grad(set_to_none=True)
        d_loss = torch.relu(1 - d(real)).mean() + torch.relu(1 + d(fake)).mean()
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = -d(g(torch.randn(batch, 64))).mean()
        g_loss.backward()
        opt_g.step()
        return d_loss.item(), g_loss.item()

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', choices=['gan', 'gaussians'], default='gan')
    ap.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--iters', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--json', action='store_true')
    args = ap.parse_args()
    step = make_gaussian_step() if args.model == 'gaussians' else make_step()
    for threads in args.threads:
        torch.set_num_threads(threads)
        for _ in range(args.warmup):
            step()
        samples = []
        c0 = time.process_time()
        for _ in range(args.iters):
            t0 = time.perf_counter()
            step()
            samples.append((time.perf_counter() - t0) * 1e3)
        cpu_ms = (time.process_time() - c0) * 1e3 / args.iters
        row = {'name': f'pytorch {args.model} step', 'model': args.model, 'torch': torch.__version__, 'threads': threads, 'ms': statistics.median(samples), 'cpuMs': cpu_ms, 'samples': samples}
        print(json.dumps(row) if args.json else f"PyTorch {torch.__version__}, {args.model} step, {threads} thread(s): {row['ms']:.1f} ms per iteration (median of {len(samples)}), {cpu_ms:.1f} CPU ms")


if __name__ == '__main__':
    main()
