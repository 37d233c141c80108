#!/usr/bin/python3
"""Train robosynth's diffusion refiner and export it to ONNX (issue 4).

Run with Debian's Python and packages (the default `python3` on the dev machines is another
interpreter that cannot see them):

    apt-get install -y python3-torch python3-onnx python3-numpy python3-skimage python3-pil
    /usr/bin/python3 scripts/refiner/train.py [options]

Modes
-----
  (default)        Train the default pixel-space refiner on the built-in openly licensed photos
                   (scikit-image's sample photos, see PHOTOS below) and write
                   assets/models/refiner-default/{model.onnx, model.json, MODEL_CARD.md}.
                   About 13 minutes on a 2-core CPU (stops at --steps or --max-minutes).
  --photos DIR     Train on your own real photos instead (e.g. of your robot cell): every
                   .png/.jpg/.jpeg/.bmp/.tif/.webp below DIR, recursively. With 10 or more photos
                   a tenth (at least one) is held out for the validation numbers.
  --tiny           300 training steps (a few seconds) of a very small pixel UNet (< 200 KB), for
                   tests: it denoises a little, deterministically, and tiles exactly.
  --tiny-latent    A tiny random-weight LATENT diffusion folder with the Stable Diffusion /
                   SD-Turbo ONNX export layout, for tests (see LATENT LAYOUT below).

Useful options: --out DIR, --steps N, --max-minutes M, --device auto|cpu|cuda, --crop PX,
--batch N, --seed S, --schedule cosine|linear|scaled_linear, --no-bench, --init-from MODEL.onnx
(continue from a model this script made), --low-t-max F (the timestep range most training
samples come from, as a share of T), --structure-sigma PX and --structure-flat-sigma PX (written
to model.json's refine_defaults: the structure guidance the model runs with, near the render's
edges and elsewhere). `--help` lists all.

Examples
--------
    /usr/bin/python3 scripts/refiner/train.py                                # default model
    /usr/bin/python3 scripts/refiner/train.py --photos ~/cell-photos --out models/my-cell \\
        --steps 20000 --max-minutes 0 --device cuda                          # your own cell
    /usr/bin/python3 scripts/refiner/train.py --tiny --out /tmp/refiner-tiny
    /usr/bin/python3 scripts/refiner/train.py --tiny-latent --out /tmp/refiner-tiny-latent

PIXEL MODEL (model.onnx)
------------------------
  inputs   sample    float32 [B,3,H,W], RGB in [-1, 1] (x_t, the noised image)
           timestep  float32 [B], the DDPM timestep 0..999 (integer values, sent as float;
                     `--timestep-dtype int64` exports an int64 input instead)
  output   out_sample float32 [B,3,H,W], the predicted noise epsilon
  B, H and W are dynamic; H and W must be multiples of model.json's `size_multiple` (pad, e.g.
  by reflection, otherwise). The network is purely convolutional with no normalisation layer,
  so its output at a pixel depends only on the input within `receptive_field_px` of it (99% of
  the influence within `effective_receptive_field_px`): tiles overlapping by half the latter and
  blended come close to one big pass (exactly the same past half the former).
  Opset 17 (the highest torch 1.13's exporter writes).

  model.json: {"kind": "pixel-unet", "prediction": "epsilon",
    "schedule": {"type": "squaredcos_cap_v2" | "linear" | "scaled_linear",
                 "num_train_timesteps": 1000, "beta_start", "beta_end" (null for the cosine
                 schedule), "alphas_cumprod_check": {t: value} for a few t},
    "resolution": training tile size, "size_multiple", "receptive_field_px",
    "effective_receptive_field_px", "input_range": [-1, 1], "timestep_dtype", "inputs", "outputs", "opset",
    "training": {...}, "benchmark": {...}}
  Schedule types use diffusers' names and formulas: linear = linspace(beta_start, beta_end, T);
  scaled_linear = linspace(sqrt(beta_start), sqrt(beta_end), T)^2; squaredcos_cap_v2 =
  beta_i = min(1 - abar((i+1)/T) / abar(i/T), 0.999) with abar(u) = cos^2((u + 0.008) / 1.008 * pi/2).
  In every case alphas_cumprod = cumprod(1 - beta).

LATENT LAYOUT (--tiny-latent)
-----------------------------
  vae_encoder/model.onnx  sample [B,3,H,W] in [-1,1] -> latent_sample [B,4,H/8,W/8] (unscaled)
  unet/model.onnx         sample [B,4,h,w], timestep [B] (int64 by default; float32 with
                          --timestep-dtype float32), encoder_hidden_states [B,77,C] -> out_sample [B,4,h,w]
  vae_decoder/model.onnx  latent_sample [B,4,h,w] (unscaled) -> sample [B,3,8h,8w] in ~[-1,1]
  text_embeddings.bin     the precomputed encoder_hidden_states [1,77,C] (format below)
  model.json              {"kind": "latent-sd", ..., "vae_scaling_factor", "text_embeddings"}
  scheduler/scheduler_config.json, vae_decoder/config.json: the same facts as diffusers writes them.
  Names follow diffusers' convert_stable_diffusion_checkpoint_to_onnx.py and optimum's exports.
  Real exports differ in two ways a loader should accept: `timestep` is float32 in diffusers'
  converter and newer optimum, int64 in older optimum (read the dtype from the session's input
  metadata); newer optimum's vae_encoder outputs `latent_parameters` [B,8,h,w] (mean and log-variance:
  take the first 4 channels) instead of `latent_sample`, which diffusers' converter samples inside
  the graph (a RandomNormalLike node, so the encode itself is random).
  As in Stable Diffusion, the UNet works on latents * vae_scaling_factor: scale after encoding
  and divide before decoding.

EMBEDDING FILE FORMAT (text_embeddings.bin)
-------------------------------------------
  bytes 0..7    ASCII magic "RSTENSOR"
  bytes 8..11   uint32 little-endian N, the JSON header's length in bytes
  bytes 12..    N bytes of UTF-8 JSON, padded with spaces so the data starts on a 64-byte boundary:
                {"dtype": "float32", "shape": [1, 77, C], "order": "C", "byte_order": "little",
                 "data_offset": 12 + N, ...}
  then          prod(shape) float32 values, little-endian, C order.
  In Node: const n = buf.readUInt32LE(8); const h = JSON.parse(buf.subarray(12, 12 + n).toString());
  new Float32Array(buf.buffer.slice(buf.byteOffset + h.data_offset, buf.byteOffset + buf.length)).

PHOTOS
------
  Built in, from Debian's python3-skimage (licences as stated in skimage/data/_fetchers.py):
  astronaut (NASA, public domain), chelsea (CC0, Stefan van der Walt), coffee (CC0, Rachel
  Michetti), rocket (SpaceX, public domain); greyscale, used as RGB at --gray-weight: camera
  (CC0, Lav Varshney), brick, grass, gravel (CC0 textures). opencv-doc's sample images are not
  used: they carry no per-image licence and several are plainly third-party (see MODEL_CARD.md).

Timing: the forward pass of the exported model is timed with onnxruntime-node (through
scripts/refiner/ort_bench.mjs, when node and the project's node_modules are there), else with torch.
"""

import argparse
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("train.py needs PyTorch: apt-get install -y python3-torch, and run it with /usr/bin/python3")

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = REPO / "assets" / "models" / "refiner-default"
MAX_DEFAULT_BYTES = 10 * 1024 * 1024
MAX_TINY_BYTES = 200 * 1024
OPSET = 17
T_TRAIN = 1000

# Built-in photos: (skimage.data function, licence, credit, colour?)
SKIMAGE_PHOTOS = [
    ("astronaut", "Public domain", "NASA (Eileen Collins, NASA Great Images database)", True),
    ("chelsea", "CC0", "Stefan van der Walt", True),
    ("coffee", "CC0", "Rachel Michetti", True),
    ("rocket", "Public domain", "SpaceX", True),
    ("camera", "CC0", "Lav Varshney", False),
    ("brick", "CC0", "CC0Textures (Bricks25), transformed by scikit-image", False),
    ("grass", "CC0", "DeviantArt user linolafett (Grass-01), cropped by scikit-image", False),
    ("gravel", "CC0", "CC0Textures (Gravel04), cropped by scikit-image", False),
]
PHOTO_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


# --------------------------------------------------------------------------------------------
# Noise schedules (diffusers' definitions)
# --------------------------------------------------------------------------------------------

def make_betas(kind, beta_start, beta_end, steps=T_TRAIN):
    if kind == "linear":
        return np.linspace(beta_start, beta_end, steps, dtype=np.float64)
    if kind == "scaled_linear":
        return np.linspace(beta_start ** 0.5, beta_end ** 0.5, steps, dtype=np.float64) ** 2
    if kind == "squaredcos_cap_v2":
        def abar(u):
            return math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2
        return np.array([min(1 - abar((i + 1) / steps) / abar(i / steps), 0.999) for i in range(steps)],
                        dtype=np.float64)
    raise ValueError(kind)


def schedule_json(kind, beta_start, beta_end, alphas_cumprod):
    check_ts = [0, 99, 299, 499, 999]
    return {
        "type": kind,
        "num_train_timesteps": T_TRAIN,
        "beta_start": beta_start if kind != "squaredcos_cap_v2" else None,
        "beta_end": beta_end if kind != "squaredcos_cap_v2" else None,
        "alphas_cumprod_check": {str(t): round(float(alphas_cumprod[t]), 8) for t in check_ts},
    }


SCHEDULES = {  # --schedule name -> (diffusers type, beta_start, beta_end)
    "cosine": ("squaredcos_cap_v2", None, None),
    "linear": ("linear", 0.0001, 0.02),
    "scaled_linear": ("scaled_linear", 0.00085, 0.012),
}


# --------------------------------------------------------------------------------------------
# The pixel UNet
# --------------------------------------------------------------------------------------------

class TimestepEmbedding(nn.Module):
    """Sinusoidal embedding of the (float) timestep, then a 2-layer MLP."""

    def __init__(self, dim, out):
        super().__init__()
        self.dim = dim
        self.mlp = nn.Sequential(nn.Linear(dim, out), nn.SiLU(), nn.Linear(out, out))

    def forward(self, t):
        half = self.dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
        angles = t.float()[:, None] * freqs[None, :]
        return self.mlp(torch.cat([torch.sin(angles), torch.cos(angles)], dim=1))


class ResBlock(nn.Module):
    """x + conv(silu(FiLM_t(conv(silu(x))))). No normalisation: the net stays local (tileable)."""

    def __init__(self, channels, temb):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.film = nn.Linear(temb, 2 * channels)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    def forward(self, x, temb):
        h = self.conv1(F.silu(x))
        scale, shift = self.film(temb)[:, :, None, None].chunk(2, dim=1)
        h = h * (1 + scale) + shift
        return x + self.conv2(F.silu(h))


class PixelUNet(nn.Module):
    """Epsilon-predicting UNet on pixels.

    PixelUnshuffle(r) folds r x r pixel blocks into channels (cheap full-resolution handling),
    then a UNet with one ResBlock per level on the way down and up (levels at 1/r, 1/2r, ...),
    a mid block, and PixelShuffle(r) back. A 1x1 convolution of the unshuffled input is added to
    the output (the easy, linear part of the noise estimate).
    """

    def __init__(self, channels=(16, 32, 64, 128), unshuffle=2, nres=1, nmid=1, temb=128):
        super().__init__()
        self.config = {"channels": list(channels), "unshuffle": unshuffle, "nres": nres, "nmid": nmid, "temb": temb}
        self.r = unshuffle
        cin = 3 * unshuffle * unshuffle
        self.temb = TimestepEmbedding(64, temb)
        self.stem = nn.Conv2d(cin, channels[0], 3, padding=1)
        self.skip = nn.Conv2d(cin, cin, 1)
        self.down_blocks = nn.ModuleList()
        self.downsamples = nn.ModuleList()
        for i, c in enumerate(channels):
            self.down_blocks.append(nn.ModuleList([ResBlock(c, temb) for _ in range(nres)]))
            if i < len(channels) - 1:
                self.downsamples.append(nn.Conv2d(c, channels[i + 1], 3, stride=2, padding=1))
        self.mid = nn.ModuleList([ResBlock(channels[-1], temb) for _ in range(nmid)])
        self.upsamples = nn.ModuleList()
        self.merges = nn.ModuleList()
        self.up_blocks = nn.ModuleList()
        for i in range(len(channels) - 1, 0, -1):
            self.upsamples.append(nn.ConvTranspose2d(channels[i], channels[i - 1], 2, stride=2))
            self.merges.append(nn.Conv2d(2 * channels[i - 1], channels[i - 1], 1))
            self.up_blocks.append(nn.ModuleList([ResBlock(channels[i - 1], temb) for _ in range(nres)]))
        self.out = nn.Conv2d(channels[0], cin, 3, padding=1)
        self.size_multiple = unshuffle * 2 ** (len(channels) - 1)

    def forward(self, sample, timestep):
        temb = self.temb(timestep)
        u = F.pixel_unshuffle(sample, self.r) if self.r > 1 else sample
        h = self.stem(u)
        skips = []
        for i, blocks in enumerate(self.down_blocks):
            for block in blocks:
                h = block(h, temb)
            skips.append(h)
            if i < len(self.downsamples):
                h = self.downsamples[i](h)
        for block in self.mid:
            h = block(h, temb)
        for j, blocks in enumerate(self.up_blocks):
            h = self.merges[j](torch.cat([self.upsamples[j](h), skips[-2 - j]], dim=1))
            for block in blocks:
                h = block(h, temb)
        out = self.out(F.silu(h)) + self.skip(u)
        return F.pixel_shuffle(out, self.r) if self.r > 1 else out


class TimestepCast(nn.Module):
    """Export wrapper: takes an int64 timestep and casts it (for --timestep-dtype int64)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, sample, timestep):
        return self.net(sample, timestep.float())


def count_macs_per_pixel(net, size=128):
    """Multiply-accumulates of the convolutions per input pixel (linear layers are per image)."""
    total = [0]

    def hook(module, inputs, output):
        if isinstance(module, nn.ConvTranspose2d):
            total[0] += inputs[0].numel() * module.out_channels * module.kernel_size[0] * module.kernel_size[1]
        elif isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * (module.in_channels // module.groups)
            total[0] += output.numel() * k

    hooks = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    device = next(net.parameters()).device
    with torch.no_grad():
        net(torch.zeros(1, 3, size, size, device=device), torch.zeros(1, device=device))
    for h in hooks:
        h.remove()
    return total[0] / (size * size)


def receptive_field(net, size=None, mass=0.99):
    """(theoretical, effective) receptive field width in pixels, measured by gradient.

    Theoretical: the input region one output pixel depends on at all. Effective: the smallest
    centred square holding `mass` of the gradient magnitude, averaged over random inputs and a few
    timesteps: how much tile overlap matters in practice.
    """
    size = size or max(256, 8 * net.size_multiple)
    device = next(net.parameters()).device
    c = size // 2
    total = torch.zeros(size, size, device=device)
    gen = torch.Generator(device="cpu").manual_seed(11)
    for t in (100.0, 300.0, 500.0):
        x = (torch.rand(1, 3, size, size, generator=gen) * 2 - 1).to(device).requires_grad_(True)
        with torch.enable_grad():
            y = net(x, torch.full((1,), t, device=device))
            y[0, :, c, c].sum().backward()
        total += x.grad.abs().sum(dim=(0, 1))
    nz = torch.nonzero(total > 0)
    if len(nz) == 0:
        return 0, 0
    theoretical = int(max(nz[:, 0].max() - nz[:, 0].min() + 1, nz[:, 1].max() - nz[:, 1].min() + 1))
    whole = float(total.sum())
    effective = theoretical
    for r in range(0, size // 2):
        if float(total[max(0, c - r):c + r + 1, max(0, c - r):c + r + 1].sum()) >= mass * whole:
            effective = 2 * r + 1
            break
    return theoretical, effective


# --------------------------------------------------------------------------------------------
# Photos and crops
# --------------------------------------------------------------------------------------------

def load_builtin_photos(gray_weight):
    import skimage.data as skdata
    photos = []
    for name, licence, credit, colour in SKIMAGE_PHOTOS:
        if not colour and gray_weight <= 0:
            continue
        img = getattr(skdata, name)()
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        photos.append({"name": f"skimage.data.{name}", "licence": licence, "credit": credit, "colour": colour,
                       "size": [int(img.shape[1]), int(img.shape[0])], "pixels": img[:, :, :3]})
    return photos


def load_photo_dir(folder):
    from PIL import Image
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in PHOTO_EXTENSIONS and p.is_file())
    photos = []
    for path in files:
        try:
            with Image.open(path) as im:
                img = np.asarray(im.convert("RGB"))
        except Exception as err:  # unreadable file: say so and go on
            print(f"train.py: skipping {path}: {err}", file=sys.stderr)
            continue
        photos.append({"name": str(path.relative_to(folder)), "licence": "user-supplied", "credit": "",
                       "colour": True, "size": [int(img.shape[1]), int(img.shape[0])], "pixels": img})
    if not photos:
        sys.exit(f"train.py: no readable photos ({', '.join(sorted(PHOTO_EXTENSIONS))}) under {folder}")
    return photos


class CropSampler:
    """Random crops with horizontal flips and downscale jitter, as float tensors in [-1, 1]."""

    def __init__(self, photos, crop, gray_weight, scale_range, seed):
        self.crop = crop
        self.scale_range = scale_range
        self.rng = np.random.default_rng(seed)
        self.images = [torch.from_numpy(np.array(p["pixels"], dtype=np.uint8, copy=True)).permute(2, 0, 1).float() / 127.5 - 1
                       for p in photos]
        colour = [i for i, p in enumerate(photos) if p["colour"]]
        gray = [i for i, p in enumerate(photos) if not p["colour"]]
        w = np.zeros(len(photos))
        if colour and gray:
            w[colour] = (1 - gray_weight) / len(colour)
            w[gray] = gray_weight / len(gray)
        else:
            w[:] = 1 / len(photos)
        self.weights = w / w.sum()

    def one(self):
        img = self.images[self.rng.choice(len(self.images), p=self.weights)]
        _, h, w = img.shape
        lo, hi = self.scale_range
        s = min(self.rng.uniform(lo, hi), min(h, w) / self.crop)  # source px per output px; fits the photo
        side = max(1, min(int(round(self.crop * s)), h, w))
        y = int(self.rng.integers(0, h - side + 1))
        x = int(self.rng.integers(0, w - side + 1))
        patch = img[:, y:y + side, x:x + side]
        if side != self.crop:
            patch = F.interpolate(patch[None], size=(self.crop, self.crop), mode="bilinear",
                                  align_corners=False, antialias=side > self.crop)[0]
        if self.rng.random() < 0.5:
            patch = patch.flip(2)
        return patch

    def batch(self, n):
        return torch.stack([self.one() for _ in range(n)])


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------

def sample_timesteps(rng, n, low_t_fraction, low_t_max=0.6):
    """Mostly the timesteps a refiner uses (strength <= low_t_max), some of the whole range."""
    t = rng.integers(0, T_TRAIN, size=n)
    low = rng.random(n) < low_t_fraction
    t[low] = rng.integers(0, int(low_t_max * T_TRAIN), size=int(low.sum()))
    return t


@torch.no_grad()
def evaluate(net, x0, alphas_cumprod, device, ts=(100, 300, 500), seed=4321):
    """Noise-prediction MSE and PSNR of the one-step x0 estimate, at fixed timesteps."""
    net.eval()
    g = torch.Generator().manual_seed(seed)
    out = {}
    for t in ts:
        ab = float(alphas_cumprod[t])
        eps = torch.randn(x0.shape, generator=g)
        xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps
        pred = torch.cat([net(xt[i:i + 16].to(device), torch.full((len(xt[i:i + 16]),), float(t), device=device)).cpu()
                          for i in range(0, len(xt), 16)])
        mse = float(((pred - eps) ** 2).mean())
        x0_hat = ((xt - math.sqrt(1 - ab) * pred) / math.sqrt(ab)).clamp(-1, 1)
        noisy = ((xt / math.sqrt(ab))).clamp(-1, 1)  # the input, rescaled: "no denoising"
        psnr = lambda a: float(10 * math.log10(4.0 / float(((a - x0) ** 2).mean())))  # noqa: E731  range 2 -> peak^2 = 4
        out[str(t)] = {"eps_mse": round(mse, 5), "x0_psnr_db": round(psnr(x0_hat), 2), "noisy_psnr_db": round(psnr(noisy), 2)}
    net.train()
    return out


def train(args, net, photos, alphas_cumprod, device, log_every=50):
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    val_photos = []
    train_photos = photos
    if args.photos and len(photos) >= 10:
        k = max(1, len(photos) // 10)
        idx = rng.permutation(len(photos))
        val_photos = [photos[i] for i in idx[:k]]
        train_photos = [photos[i] for i in idx[k:]]
    sampler = CropSampler(train_photos, args.crop, args.gray_weight, (args.scale_min, args.scale_max), args.seed)
    val_sampler = CropSampler(val_photos or train_photos, args.crop, args.gray_weight,
                              (args.scale_min, args.scale_max), args.seed + 1)
    val_x0 = val_sampler.batch(args.val_crops)

    ema = [p.detach().clone() for p in net.parameters()]
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=0.0)
    ab = torch.tensor(alphas_cumprod, dtype=torch.float32)
    losses = []
    history = []
    started = time.monotonic()
    budget = args.max_minutes * 60 if args.max_minutes and args.max_minutes > 0 else float("inf")
    step = 0
    net.train()
    while step < args.steps and time.monotonic() - started < budget:
        # Learning rate: linear warm-up, then cosine decay to 10% (over the planned steps, or the time budget).
        frac = step / args.steps
        if budget < float("inf"):
            frac = max(frac, (time.monotonic() - started) / budget)
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        for group in opt.param_groups:
            group["lr"] = lr
        x0 = sampler.batch(args.batch).to(device)
        t = torch.from_numpy(sample_timesteps(rng, args.batch, args.low_t_fraction, args.low_t_max)).to(device)
        eps = torch.randn_like(x0)
        a = ab.to(device)[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        loss = F.mse_loss(net(xt, t.float()), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(ema, net.parameters()):
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
        losses.append(float(loss))
        step += 1
        if step % log_every == 0 or step == args.steps:
            recent = float(np.mean(losses[-log_every:]))
            history.append({"step": step, "loss": round(recent, 5), "seconds": round(time.monotonic() - started, 1)})
            print(f"step {step:6d}  loss {recent:.4f}  lr {lr:.2e}  {time.monotonic() - started:7.1f} s", flush=True)
    seconds = time.monotonic() - started
    with torch.no_grad():
        for e, p in zip(ema, net.parameters()):
            p.copy_(e)
    metrics = evaluate(net, val_x0, alphas_cumprod, device)
    return {
        "steps": step,
        "seconds": round(seconds, 1),
        "final_loss": round(float(np.mean(losses[-min(len(losses), 200):])), 5) if losses else None,
        "final_loss_window": min(len(losses), 200),
        "loss_history": history,
        "validation": {"source": "from held-out photos" if val_photos else "from the training photos (so: fit, not generalisation)",
                       "crops": args.val_crops, "crop": args.crop, "metrics": metrics},
        "train_photos": [p["name"] for p in train_photos],
        "val_photos": [p["name"] for p in val_photos],
    }


# --------------------------------------------------------------------------------------------
# Export and checks
# --------------------------------------------------------------------------------------------

def export_onnx(module, args_tuple, path, input_names, output_names, dynamic_axes):
    path.parent.mkdir(parents=True, exist_ok=True)
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args_tuple, str(path), opset_version=OPSET, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=True)
    import onnx
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    got_in = [i.name for i in model.graph.input]
    got_out = [o.name for o in model.graph.output]
    assert got_in == input_names, f"{path}: inputs {got_in} != {input_names}"
    assert got_out == output_names, f"{path}: outputs {got_out} != {output_names}"
    return model


def node_runner():
    """The command that runs ort_bench.mjs with the project's onnxruntime-node, or None."""
    node = shutil.which("node")
    if not node or not (REPO / "node_modules" / "onnxruntime-node").is_dir():
        return None
    return [node, str(HERE / "ort_bench.mjs")]


def onnx_parity(path, feeds, expected):
    """Run the ONNX file once with onnxruntime-node (else skip) and compare with torch's outputs."""
    runner = node_runner()
    if runner is None:
        return {"runtime": None, "note": "node/onnxruntime-node not found: ONNX forward pass not checked"}
    with tempfile.TemporaryDirectory() as tmp:
        feeds_path = Path(tmp) / "feeds.json"
        dump_path = Path(tmp) / "out.json"
        feeds_json = {}
        for name, arr in feeds.items():
            arr = np.asarray(arr)
            feeds_json[name] = {"type": "int64" if arr.dtype == np.int64 else "float32", "dims": list(arr.shape),
                                "data": arr.ravel().tolist()}
        feeds_path.write_text(json.dumps(feeds_json))
        proc = subprocess.run(runner + [str(path), "--feeds", str(feeds_path), "--dump", str(dump_path)],
                              capture_output=True, text=True, cwd=REPO)
        if proc.returncode != 0:
            raise RuntimeError(f"onnxruntime-node failed on {path}:\n{proc.stderr}")
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        dump = json.loads(dump_path.read_text())
    result = {"runtime": f"onnxruntime-node {info.get('version')}", "max_abs_diff": {}}
    for name, exp in expected.items():
        got = np.array(dump[name]["data"], dtype=np.float32).reshape(dump[name]["dims"])
        assert got.shape == exp.shape, f"{path}: {name} shape {got.shape} != {exp.shape}"
        assert np.all(np.isfinite(got)), f"{path}: {name} has non-finite values"
        diff = float(np.abs(got - exp).max())
        result["max_abs_diff"][name] = diff
        if diff > 1e-3 * max(1.0, float(np.abs(exp).max())):
            raise RuntimeError(f"{path}: ONNX output {name} differs from torch by {diff}")
    return result


def bench_onnx(path, sizes, batch=1, runs=10):
    runner = node_runner()
    if runner is None:
        return None
    proc = subprocess.run(runner + [str(path), "--sizes", ",".join(sizes), "--batch", str(batch), "--runs", str(runs)],
                          capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        print(f"train.py: onnxruntime-node benchmark failed: {proc.stderr.strip()}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


@torch.no_grad()
def bench_torch(net, size, batch=1, runs=10):
    net = net.cpu().eval()
    x = torch.randn(batch, 3, size[0], size[1])
    t = torch.full((batch,), 300.0)
    net(x, t)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        net(x, t)
        times.append((time.perf_counter() - t0) * 1000)
    return round(float(np.median(times)), 2)


def tile_count(width, height, tile, overlap):
    stride = tile - overlap
    nx = max(1, math.ceil((width - overlap) / stride))
    ny = max(1, math.ceil((height - overlap) / stride))
    return nx * ny


def benchmark(net, path, tile, overlap, steps=4):
    """Measured forward times, and the estimated cost of refining a 640x480 frame in tiles."""
    n_tiles = tile_count(640, 480, tile, overlap)
    ort = bench_onnx(path, ["64", "128", f"{tile}", "480x640"])
    ort_b8 = bench_onnx(path, [f"{tile}"], batch=8, runs=5)
    if ort:
        ms = {f"{r['h']}x{r['w']}": r["median_ms"] for r in ort["results"]}
        runtime = f"onnxruntime-node {ort.get('version')} (CPU, {os.cpu_count()} cores)"
        per_tile_b8 = ort_b8["results"][0]["median_ms"] / 8 if ort_b8 else None
    else:
        ms = {f"{h}x{w}": bench_torch(net, (h, w)) for h, w in [(64, 64), (128, 128), (tile, tile), (480, 640)]}
        runtime = f"torch {torch.__version__} (CPU, {torch.get_num_threads()} threads; onnxruntime-node not found)"
        per_tile_b8 = None
    tile_ms = ms[f"{tile}x{tile}"]
    est = {
        "tiles": n_tiles, "tile": tile, "overlap": overlap, "steps": steps,
        "frame_ms_tiles_batch1": round(n_tiles * tile_ms * steps, 1),
        "frame_ms_tiles_batch8": round(n_tiles * per_tile_b8 * steps, 1) if per_tile_b8 else None,
        "frame_ms_whole_frame": round(ms["480x640"] * steps, 1),
        "note": "UNet forward passes only (no blending, no I/O)",
    }
    return {"runtime": runtime, "forward_ms": ms, "forward_ms_per_tile_batch8": round(per_tile_b8, 2) if per_tile_b8 else None,
            "frame_640x480_estimate": est}


# --------------------------------------------------------------------------------------------
# Model card
# --------------------------------------------------------------------------------------------

MEASURED_PLACEHOLDER = (
    "_Placeholder: filled in by the realism benchmark (`npm run bench:refine`): the share of refined frames\n"
    "the real-vs-render classifier calls real, next to the share for raw renders, edge alignment and SSIM\n"
    "against the raw render, and ms per 640x480 frame._")


def write_model_card(out, meta, keep_measured=False):
    """MODEL_CARD.md from model.json's facts (keep_measured: keep an existing card's Measured effect section)."""
    tr = meta["training"]
    user_photos = isinstance(tr["photos"], dict)
    photos = [] if user_photos else tr["photos"]
    bm = meta.get("benchmark") or {}
    size_mb = meta["file_bytes"] / 1e6
    lines = [
        f"# {meta['name']}: pixel-space diffusion refiner",
        "",
        "Written by `scripts/refiner/train.py`; re-running the script rewrites this file (the",
        "\"Measured effect\" section goes back to its placeholder, since a new model must be measured again).",
        "",
        "## What it is",
        "",
        f"A small epsilon-predicting denoising diffusion UNet on RGB pixels ({meta['parameters']:,} parameters,",
        f"{size_mb:.2f} MB as ONNX opset {meta['opset']}, {meta['macs_per_pixel']:,.0f} multiply-adds per pixel per step),",
        "meant for SDEdit-style refinement of rendered frames: noise the frame to a strength s, denoise with DDIM.",
        f"Schedule `{meta['schedule']['type']}` with {T_TRAIN} training timesteps; trained on {tr['crop']}x{tr['crop']} crops.",
        "",
        "- Inputs: `sample` float32 [B,3,H,W] in [-1,1]; `timestep` "
        f"{meta['timestep_dtype']} [B] (0..999). Output: `out_sample` float32 [B,3,H,W], the predicted noise.",
        f"- H and W: any multiple of {meta['size_multiple']}. Fully convolutional, no normalisation layers, so an output pixel",
        f"  depends only on the input near it: at all within {meta['receptive_field_px']} px (the receptive field), 99% of the",
        f"  influence within {meta['effective_receptive_field_px']} px. Tiles that overlap by half the latter and are blended",
        "  match one whole-frame pass closely (exactly, past half the former).",
        "",
        "## Training data",
        "",
    ]
    if user_photos:
        lines += [f"{tr['photos']['count']} photos from a user-supplied folder (licences are the user's responsibility).", ""]
    else:
        lines += [
            "Openly licensed real photos that ship with Debian's `python3-skimage` (scikit-image's sample data; the",
            "licence of each is stated in `skimage/data/_fetchers.py`). Only public-domain and CC0 images are used:",
            "",
            "| image | size | licence | credit | used as |",
            "| --- | --- | --- | --- | --- |",
        ]
        for p in photos:
            lines.append(f"| `{p['name']}` | {p['size'][0]}x{p['size'][1]} | {p['licence']} | {p['credit']} | "
                         f"{'colour' if p['colour'] else 'greyscale copied to RGB, sampled ' + format(tr['gray_weight'], '.0%') + ' of the time (all grey images together)'} |")
        lines += [
            "",
            "Left out: skimage's `hubble_deep_field` (public domain, but almost black sky), `retina` (CC0, a medical",
            "fundus image) and `immunohistochemistry` (microscopy): off-domain for robot cells; `coins` (\"no known",
            "copyright restrictions\", not a licence), `stereo_motorcycle` (Middlebury 2014, no licence stated),",
            "`moon`, `page` (no licence stated) and the synthetic/clip-art images.",
            "",
            "Also left out: the sample images of Debian's `opencv-doc` (`/usr/share/doc/opencv-doc/examples/data`).",
            "They carry no per-image licence or source; Debian's copyright file covers them only by the blanket",
            "`Files: *` (Apache-2.0 and BSD-3-Clause) of the OpenCV source tree, and several are plainly third-party",
            "(a press photo of a footballer, a Van Gogh painting, the USC-SIPI baboon, Middlebury and Oxford",
            "benchmark images, Blender renders). Without clear provenance they are not used.",
            "",
        ]
    lines += [
        "## Training",
        "",
        f"- {tr['steps']:,} steps of batch {tr['batch']} ({tr['steps'] * tr['batch']:,} crops of {tr['crop']}x{tr['crop']}),",
        f"  {tr['seconds'] / 60:.1f} minutes on {tr['device']} (torch threads: {tr['threads']}), torch {tr['torch']}, seed {tr['seed']}.",
        f"- Crops: random position, horizontal flip, downscale jitter {tr['scale_range'][0]}-{tr['scale_range'][1]} source px per output px.",
        f"- Timesteps: {tr['low_t_fraction']:.0%} uniform in [0, {int(tr.get('low_t_max', 0.6) * T_TRAIN)}) (the strengths a refiner uses), the rest uniform in [0, 1000).",
        f"- AdamW, lr {tr['lr']} (warm-up {tr['warmup']} steps, cosine decay to 10%), grad-norm clip 1, EMA {tr['ema']} (weights exported).",
        f"- Command: `{tr['command']}`",
        *([f"- Continued from `{tr['continued_from']['model']}`"
           + (f" ({tr['continued_from']['steps']:,} steps, {tr['continued_from']['seconds'] / 60:.1f} minutes: `{tr['continued_from'].get('command', '')}`)"
              if 'steps' in tr['continued_from'] else "") + "; the figures here are this run's alone."]
          if tr.get("continued_from") else []),
        f"- Final training loss (noise MSE, mean of the last {tr['final_loss_window']} steps): {tr['final_loss']}.",
        "",
        f"Validation on {tr['validation']['crops']} fixed crops, {tr['validation']['source']}: noise MSE (1.0 = predicting",
        "zero), and PSNR of the one-step estimate of the clean crop versus the noisy input's (rescaled by 1/sqrt(alpha_bar)):",
        "",
        "| timestep (strength) | noise MSE | x0 estimate PSNR | noisy input PSNR |",
        "| --- | --- | --- | --- |",
    ]
    for t, m in tr["validation"]["metrics"].items():
        lines.append(f"| {t} ({int(t) / T_TRAIN:.1f}) | {m['eps_mse']} | {m['x0_psnr_db']} dB | {m['noisy_psnr_db']} dB |")
    defaults = meta.get("refine_defaults")
    if defaults:
        lines += [
            "",
            "## How robosynth runs it",
            "",
            f"`model.json`'s `refine_defaults` turn on edge-aware structure guidance (ILVR): after every DDIM step the",
            f"render's detail coarser than {defaults['structure_sigma']:g} px is restored near its edges"
            + (f" and coarser than {defaults['structure_flat_sigma']:g} px elsewhere" if defaults.get('structure_flat_sigma') else "")
            + ", so the model adds texture without moving outlines (`--refine-structure` overrides it; see src/refine/refiner.ts).",
        ]
    lines += ["", "## Speed", ""]
    if bm:
        est = bm["frame_640x480_estimate"]
        lines += [
            f"Measured with {bm['runtime']}, one forward pass (median):",
            "",
            "| input | ms |",
            "| --- | --- |",
        ]
        for k, v in bm["forward_ms"].items():
            lines.append(f"| 1x3x{k} | {v} |")
        if bm.get("forward_ms_per_tile_batch8"):
            lines.append(f"| {est['tile']}x{est['tile']} tile in a batch of 8 (per tile) | {bm['forward_ms_per_tile_batch8']} |")
        lines += [
            "",
            f"A 640x480 frame in {est['tiles']} tiles of {est['tile']} px (overlap {est['overlap']}) with {est['steps']} DDIM steps:",
            f"about {est['frame_ms_tiles_batch1']} ms of UNet time with one tile per run"
            + (f", {est['frame_ms_tiles_batch8']} ms in batches of 8" if est.get("frame_ms_tiles_batch8") else "")
            + f"; {est['frame_ms_whole_frame']} ms when each step is one whole-frame 640x480 pass (the model takes any size).",
            "",
        ]
    else:
        lines += ["Not measured (--no-bench).", ""]
    lines += [
        "## Limits",
        "",
        "- Trained briefly on a handful of photos, none of a robot cell: it knows generic photographic texture,",
        "  noise and edges, not what your cell looks like. Train on your own photos (`--photos DIR`) for that.",
        "- Pixel-space and small: at high strength it invents blurry, generic texture and can move edges; keep the",
        "  strength low (the refiner measures edge alignment and SSIM per frame and backs off).",
        "- Unconditional: no text or class prompt; it only pulls the frame toward its learned image statistics.",
        "- Under-trained as a prior: on flat rendered surfaces it leaves fine colour grain instead of removing all",
        "  the noise it was given, more so at higher strength. Longer training (`--steps`) reduces it.",
        "- Greyscale textures are part of the training mix; colour comes from the input frame.",
        "",
        "## Measured effect",
        "",
        MEASURED_PLACEHOLDER,
        "",
        "## Licence",
        "",
        "The weights are derived from public-domain and CC0 images only (see above) and are released under the",
        "project's licence (MIT)." if not user_photos else "Derived from the user's photos.",
        "",
    ]
    text = "\n".join(lines)
    card = out / "MODEL_CARD.md"
    if keep_measured and card.is_file():
        old = card.read_text()
        start = old.find("## Measured effect")
        if start >= 0:
            end = old.find("\n## ", start + 1)
            section = old[start:end if end >= 0 else len(old)].rstrip("\n") + "\n"
            new_start = text.find("## Measured effect")
            new_end = text.find("\n## ", new_start + 1)
            text = text[:new_start] + section + text[new_end:]
    card.write_text(text)


# --------------------------------------------------------------------------------------------
# Modes
# --------------------------------------------------------------------------------------------

def pick_device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        sys.exit("train.py: --device cuda, but torch sees no CUDA device")
    return torch.device(name)


def load_onnx_weights(net, path):
    """Start from the weights of a model this script exported (same architecture options): torch's
    exporter keeps the parameter names as the ONNX initializer names."""
    import onnx
    from onnx import numpy_helper
    try:
        inits = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    except Exception as err:
        sys.exit(f"train.py: --init-from {path}: not a readable ONNX model ({err})")
    state = net.state_dict()
    missing = [k for k in state if k not in inits or tuple(inits[k].shape) != tuple(state[k].shape)]
    if missing:
        sys.exit(f"train.py: --init-from {path}: {len(missing)} parameters missing or of another shape "
                 f"(e.g. {missing[0]}); pass the same --channels/--unshuffle/--nres/--nmid/--temb as the run that made it")
    net.load_state_dict({k: torch.from_numpy(np.array(inits[k])) for k in state})
    print(f"train.py: starting from the weights of {path}", flush=True)


def previous_training(path):
    """What the run that made --init-from's model did (from its model.json, when it is beside it)."""
    sidecar = Path(path).parent / "model.json"
    record = {"model": str(path)}
    if sidecar.exists():
        prior = json.loads(sidecar.read_text()).get("training", {})
        record.update({k: prior[k] for k in ("steps", "seconds", "low_t_fraction", "low_t_max", "command", "continued_from") if k in prior})
    return record


def run_pixel(args, tiny):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    kind, beta_start, beta_end = SCHEDULES[args.schedule]
    betas = make_betas(kind, beta_start, beta_end)
    alphas_cumprod = np.cumprod(1 - betas)

    photos = load_photo_dir(args.photos) if args.photos else load_builtin_photos(args.gray_weight)
    channels = [int(c) for c in args.channels.split(",")]
    net = PixelUNet(channels=channels, unshuffle=args.unshuffle, nres=args.nres, nmid=args.nmid, temb=args.temb).to(device)
    if args.init_from:
        load_onnx_weights(net, args.init_from)
    params = sum(p.numel() for p in net.parameters())
    macs = count_macs_per_pixel(net)
    print(f"train.py: {'tiny ' if tiny else ''}pixel UNet {net.config}, {params:,} parameters, "
          f"{macs:,.0f} MACs/pixel; {len(photos)} photos; device {device}; torch {torch.__version__}", flush=True)

    tr = train(args, net, photos, alphas_cumprod, device, log_every=10 if tiny else 50)
    tr["device"] = str(device)
    tr["threads"] = torch.get_num_threads()
    net = net.cpu().eval()

    # Export.
    path = out / "model.onnx"
    module = TimestepCast(net) if args.timestep_dtype == "int64" else net
    t_example = torch.tensor([300], dtype=torch.int64) if args.timestep_dtype == "int64" else torch.tensor([300.0])
    export_onnx(module, (torch.zeros(1, 3, 64, 64), t_example), path, ["sample", "timestep"], ["out_sample"],
                {"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "batch"},
                 "out_sample": {0: "batch", 2: "height", 3: "width"}})
    nbytes = path.stat().st_size
    limit = MAX_TINY_BYTES if tiny else MAX_DEFAULT_BYTES
    if nbytes > limit:
        sys.exit(f"train.py: {path} is {nbytes} bytes, over the {limit}-byte limit")

    # One forward pass through onnxruntime, compared with torch (two tiles of different sizes).
    parity = {}
    gen = torch.Generator().manual_seed(7)
    for (b, h, w) in [(2, 64, 64), (1, 128, 96)]:
        x = torch.rand(b, 3, h, w, generator=gen) * 2 - 1
        t = torch.tensor([300, 20][:b], dtype=torch.int64)
        with torch.no_grad():
            expected = net(x, t.float()).numpy()
        t_feed = t.numpy() if args.timestep_dtype == "int64" else t.float().numpy()
        parity[f"{b}x3x{h}x{w}"] = onnx_parity(path, {"sample": x.numpy(), "timestep": t_feed}, {"out_sample": expected})

    rf, erf = receptive_field(net)
    meta = {
        "name": out.name,
        "kind": "pixel-unet",
        "prediction": "epsilon",
        **({"refine_defaults": {"structure_sigma": args.structure_sigma, "structure_flat_sigma": args.structure_flat_sigma}}
           if args.structure_sigma else {}),
        "schedule": schedule_json(kind, beta_start, beta_end, alphas_cumprod),
        "resolution": args.crop,
        "size_multiple": net.size_multiple,
        "receptive_field_px": rf,
        "effective_receptive_field_px": erf,
        "input_range": [-1, 1],
        "timestep_dtype": args.timestep_dtype,
        "inputs": {"sample": ["batch", 3, "height", "width"], "timestep": ["batch"]},
        "outputs": {"out_sample": ["batch", 3, "height", "width"]},
        "opset": OPSET,
        "parameters": params,
        "file_bytes": nbytes,
        "macs_per_pixel": round(macs),
        "architecture": {"type": "PixelUNet (scripts/refiner/train.py)", **net.config},
        "training": {
            **{k: v for k, v in tr.items() if k not in ("train_photos", "val_photos")},
            "photos": ([{k: p[k] for k in ("name", "licence", "credit", "colour", "size")} for p in photos]
                       if not args.photos else {"folder": str(args.photos), "count": len(photos),
                                                  "validation_photos": tr["val_photos"]}),
            "crop": args.crop, "batch": args.batch, "lr": args.lr, "warmup": args.warmup, "ema": args.ema,
            "scale_range": [args.scale_min, args.scale_max], "gray_weight": args.gray_weight,
            "low_t_fraction": args.low_t_fraction, "low_t_max": args.low_t_max,
            **({"continued_from": previous_training(args.init_from)} if args.init_from else {}),
            "seed": args.seed, "torch": torch.__version__,
            "command": " ".join(["/usr/bin/python3", "scripts/refiner/train.py", *sys.argv[1:]]),
        },
        "onnx_check": {"checker": "onnx.checker.check_model(full_check=True) passed", "parity": parity},
    }
    if not args.no_bench:
        meta["benchmark"] = benchmark(net, path, args.crop if not tiny else 64, args.bench_overlap)
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    if not tiny:
        write_model_card(out, meta)
    else:
        (out / "MODEL_CARD.md").write_text(
            "# Tiny pixel refiner (tests only)\n\nWritten by `scripts/refiner/train.py --tiny`: "
            f"{params:,} parameters, {tr['steps']} training steps on {len(photos)} photos; its output is not "
            "meant to look good, only to have the real model's signature and behaviour (deterministic, local, "
            "tileable).\n\n## Measured effect\n\n_Not measured: test model._\n")
    summary = {"out": str(out), "model_bytes": nbytes, "parameters": params, "steps": tr["steps"],
               "seconds": tr["seconds"], "final_loss": tr["final_loss"], "opset": OPSET,
               "receptive_field_px": rf, "effective_receptive_field_px": erf, "validation": tr["validation"]["metrics"],
               "parity_max_abs_diff": {k: v.get("max_abs_diff") for k, v in parity.items()},
               "benchmark": meta.get("benchmark")}
    print(json.dumps(summary))


# --- tiny latent diffusion (SD layout) -------------------------------------------------------

class TinyVaeEncoder(nn.Module):
    """8x8 block average of RGB (+ its grey level) as 4 latent channels, times 1/scaling."""

    def __init__(self, scaling):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 8, stride=8)
        w = torch.zeros(4, 3, 8, 8)
        for c in range(3):
            w[c, c] = 1 / 64
        w[3] = 1 / (3 * 64)
        with torch.no_grad():
            self.conv.weight.copy_(w / scaling)
            self.conv.bias.zero_()

    def forward(self, sample):
        return self.conv(sample)


class TinyVaeDecoder(nn.Module):
    """Nearest 8x upsampling of the first three latent channels, times scaling, plus a little of a random conv."""

    def __init__(self, scaling):
        super().__init__()
        self.scaling = scaling
        self.up = nn.ConvTranspose2d(4, 3, 8, stride=8)
        self.mix = nn.Conv2d(3, 3, 3, padding=1)
        w = torch.zeros(4, 3, 8, 8)
        for c in range(3):
            w[c, c] = scaling
        with torch.no_grad():
            self.up.weight.copy_(w)
            self.up.bias.zero_()
            self.mix.weight.mul_(0.05)
            self.mix.bias.zero_()

    def forward(self, latent_sample):
        x = self.up(latent_sample)
        return x + self.mix(x)


class TinyLatentUNet(nn.Module):
    """Conv net with a timestep embedding and one cross-attention over encoder_hidden_states."""

    def __init__(self, channels=16, context=32):
        super().__init__()
        self.temb = TimestepEmbedding(32, channels)
        self.inp = nn.Conv2d(4, channels, 3, padding=1)
        self.down = nn.Conv2d(channels, channels, 3, stride=2, padding=1)
        self.q = nn.Conv2d(channels, context, 1)
        self.k = nn.Linear(context, context)
        self.v = nn.Linear(context, channels)
        self.up = nn.ConvTranspose2d(channels, channels, 2, stride=2)
        self.out = nn.Conv2d(channels, 4, 3, padding=1)
        self.context = context
        with torch.no_grad():
            self.out.weight.mul_(0.1)  # small predicted noise: random weights that stay tame under DDIM

    def forward(self, sample, timestep, encoder_hidden_states):
        h = self.inp(sample) + self.temb(timestep.float())[:, :, None, None]
        d = self.down(F.silu(h))
        q = self.q(d).flatten(2).transpose(1, 2)                       # B, hw, ctx
        k = self.k(encoder_hidden_states)                              # B, 77, ctx
        v = self.v(encoder_hidden_states)                              # B, 77, C
        attn = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(self.context), dim=-1)
        d = d + (attn @ v).transpose(1, 2).reshape(d.shape)
        u = self.up(F.silu(d)) + h
        return self.out(F.silu(u))


def write_embedding_file(path, array, extra):
    array = np.ascontiguousarray(array, dtype="<f4")
    header = {"dtype": "float32", "shape": list(array.shape), "order": "C", "byte_order": "little", **extra}
    # The header states data_offset; pad until 12 + len(json) is a multiple of 64.
    header["data_offset"] = 0
    body = json.dumps(header)
    n = len(body.encode()) + 16
    offset = 12 + n + (-(12 + n) % 64)
    header["data_offset"] = offset
    body = json.dumps(header).encode()
    body += b" " * (offset - 12 - len(body))
    with open(path, "wb") as f:
        f.write(b"RSTENSOR")
        f.write(struct.pack("<I", len(body)))
        f.write(body)
        f.write(array.tobytes())


def read_embedding_file(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"RSTENSOR", "bad magic"
    n = struct.unpack("<I", data[8:12])[0]
    header = json.loads(data[12:12 + n])
    arr = np.frombuffer(data, dtype="<f4", offset=header["data_offset"]).reshape(header["shape"])
    return header, arr


def run_tiny_latent(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    scaling = 0.5  # not SD's 0.18215 on purpose: a loader must read it from the sidecar
    context = 32
    enc, dec = TinyVaeEncoder(scaling).eval(), TinyVaeDecoder(scaling).eval()
    unet = TinyLatentUNet(16, context).eval()
    tdtype = args.timestep_dtype if args.timestep_dtype_set else "int64"
    t_example = torch.tensor([300], dtype=torch.int64) if tdtype == "int64" else torch.tensor([300.0])

    export_onnx(enc, (torch.zeros(1, 3, 64, 64),), out / "vae_encoder" / "model.onnx", ["sample"], ["latent_sample"],
                {"sample": {0: "batch", 2: "height", 3: "width"}, "latent_sample": {0: "batch", 2: "latent_height", 3: "latent_width"}})
    export_onnx(unet, (torch.zeros(1, 4, 8, 8), t_example, torch.zeros(1, 77, context)), out / "unet" / "model.onnx",
                ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
                {"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "batch"},
                 "encoder_hidden_states": {0: "batch", 1: "sequence"}, "out_sample": {0: "batch", 2: "height", 3: "width"}})
    export_onnx(dec, (torch.zeros(1, 4, 8, 8),), out / "vae_decoder" / "model.onnx", ["latent_sample"], ["sample"],
                {"latent_sample": {0: "batch", 2: "latent_height", 3: "latent_width"}, "sample": {0: "batch", 2: "height", 3: "width"}})

    emb = torch.randn(1, 77, context, generator=torch.Generator().manual_seed(args.seed)).numpy() * 0.5
    write_embedding_file(out / "text_embeddings.bin", emb,
                         {"prompt": "(random: tiny test model)", "source": "scripts/refiner/train.py --tiny-latent"})
    hdr, back = read_embedding_file(out / "text_embeddings.bin")
    assert np.array_equal(back, emb.astype("<f4")), "embedding file round trip"

    kind, beta_start, beta_end = SCHEDULES["scaled_linear"]
    alphas_cumprod = np.cumprod(1 - make_betas(kind, beta_start, beta_end))
    meta = {
        "name": out.name,
        "kind": "latent-sd",
        "prediction": "epsilon",
        "schedule": schedule_json(kind, beta_start, beta_end, alphas_cumprod),
        "resolution": 64,
        "size_multiple": 16,
        "input_range": [-1, 1],
        "latent_channels": 4,
        "vae_downsample": 8,
        "vae_scaling_factor": scaling,
        "timestep_dtype": tdtype,
        "text_embeddings": "text_embeddings.bin",
        "encoder_hidden_states": [1, 77, context],
        "components": {
            "vae_encoder": {"path": "vae_encoder/model.onnx", "inputs": {"sample": ["batch", 3, "height", "width"]},
                            "outputs": {"latent_sample": ["batch", 4, "height/8", "width/8"]}},
            "unet": {"path": "unet/model.onnx",
                     "inputs": {"sample": ["batch", 4, "h", "w"], "timestep": ["batch"],
                                "encoder_hidden_states": ["batch", 77, context]},
                     "outputs": {"out_sample": ["batch", 4, "h", "w"]}},
            "vae_decoder": {"path": "vae_decoder/model.onnx", "inputs": {"latent_sample": ["batch", 4, "h", "w"]},
                            "outputs": {"sample": ["batch", 3, "8h", "8w"]}},
        },
        "opset": OPSET,
        "note": "Random-weight test model with the SD ONNX export signature. The VAE is a fixed 8x8 block "
                "average / nearest upsampling (so decode(encode(x)) is a blocky copy of x); the UNet is random.",
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    (out / "scheduler").mkdir(exist_ok=True)
    (out / "scheduler" / "scheduler_config.json").write_text(json.dumps({
        "_class_name": "DDIMScheduler", "beta_schedule": kind, "beta_start": beta_start, "beta_end": beta_end,
        "num_train_timesteps": T_TRAIN, "prediction_type": "epsilon", "clip_sample": False,
        "set_alpha_to_one": False, "steps_offset": 1, "timestep_spacing": "leading"}, indent=2) + "\n")
    (out / "vae_decoder" / "config.json").write_text(json.dumps({
        "_class_name": "AutoencoderKL", "latent_channels": 4, "scaling_factor": scaling, "sample_size": 64}, indent=2) + "\n")
    (out / "MODEL_CARD.md").write_text(
        "# Tiny latent diffusion model (tests only)\n\nWritten by `scripts/refiner/train.py --tiny-latent`. "
        "Random weights in the Stable Diffusion / SD-Turbo ONNX export layout (vae_encoder, unet with "
        "encoder_hidden_states, vae_decoder) plus a precomputed embedding file; see model.json.\n\n"
        "## Measured effect\n\n_Not measured: test model._\n")

    # One forward pass of each part through onnxruntime, compared with torch.
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(2, 3, 64, 96, generator=gen) * 2 - 1
    with torch.no_grad():
        lat = enc(x)
        t = torch.tensor([500, 30], dtype=torch.int64)
        ehs = torch.from_numpy(np.repeat(emb, 2, axis=0))
        eps = unet(lat * scaling, t, ehs)
        img = dec(lat)
    t_feed = t.numpy() if tdtype == "int64" else t.float().numpy()
    parity = {
        "vae_encoder": onnx_parity(out / "vae_encoder" / "model.onnx", {"sample": x.numpy()}, {"latent_sample": lat.numpy()}),
        "unet": onnx_parity(out / "unet" / "model.onnx",
                            {"sample": (lat * scaling).numpy(), "timestep": t_feed, "encoder_hidden_states": ehs.numpy()},
                            {"out_sample": eps.numpy()}),
        "vae_decoder": onnx_parity(out / "vae_decoder" / "model.onnx", {"latent_sample": lat.numpy()}, {"sample": img.numpy()}),
    }
    sizes = {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}
    print(json.dumps({"out": str(out), "files": sizes, "timestep_dtype": tdtype, "opset": OPSET,
                      "parity_max_abs_diff": {k: v.get("max_abs_diff") for k, v in parity.items()}}))


# --------------------------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See the top of scripts/refiner/train.py for the model formats.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--tiny", action="store_true", help="a tiny pixel model for tests (< 200 KB, 300 steps, seconds)")
    mode.add_argument("--tiny-latent", action="store_true", help="a tiny random latent model in the SD ONNX layout")
    mode.add_argument("--rewrite-card", action="store_true",
                      help="only rewrite --out's MODEL_CARD.md from its model.json, keeping its Measured effect section")
    p.add_argument("--out", help=f"output folder (default {DEFAULT_OUT.relative_to(REPO)}; required with --tiny/--tiny-latent)")
    p.add_argument("--photos", help="train on the photos under this folder instead of the built-in set")
    p.add_argument("--steps", type=int, help="training steps (default 4800; --tiny: 300)")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop training after this many minutes (default 13; 0 = no limit)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's own choice; on the 2-core dev machine 1 thread trains faster than 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--crop", type=int, help="training crop size in px, also model.json's resolution (default 128; --tiny: 32)")
    p.add_argument("--batch", type=int, help="batch size (default 8; --tiny: 4)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--schedule", default="cosine", choices=sorted(SCHEDULES))
    p.add_argument("--scale-min", type=float, default=1.0, help="downscale jitter: min source px per output px")
    p.add_argument("--scale-max", type=float, default=2.0, help="downscale jitter: max source px per output px")
    p.add_argument("--gray-weight", type=float, default=0.15,
                   help="share of crops from the built-in greyscale CC0 photos (0 = colour photos only)")
    p.add_argument("--low-t-fraction", type=float, default=0.7,
                   help="share of training timesteps drawn from [0, low-t-max * 1000) rather than [0, 1000)")
    p.add_argument("--low-t-max", type=float, default=0.6,
                   help="upper end of the refiner's timestep range, as a share of T (default 0.6)")
    p.add_argument("--structure-sigma", type=float, default=1.0,
                   help="model.json refine_defaults.structure_sigma: the structure guidance (px) the model runs with by default (0: none)")
    p.add_argument("--structure-flat-sigma", type=float, default=3.0,
                   help="model.json refine_defaults.structure_flat_sigma: edge-aware guidance, the px kept from the render away from its edges (0: structure-sigma everywhere)")
    p.add_argument("--init-from", help="start from the weights of a model.onnx this script made (continue or fine-tune)")
    p.add_argument("--channels", help="UNet channels per level (default 16,32,64,128; --tiny: 8,16)")
    p.add_argument("--unshuffle", type=int, help="pixel-unshuffle factor (default 2; --tiny: 2)")
    p.add_argument("--nres", type=int, default=1, help="ResBlocks per level, each way")
    p.add_argument("--nmid", type=int, default=1, help="ResBlocks at the lowest resolution")
    p.add_argument("--temb", type=int, help="timestep embedding width (default 128; --tiny: 16)")
    p.add_argument("--timestep-dtype", choices=["float32", "int64"],
                   help="dtype of the ONNX `timestep` input (default float32; --tiny-latent: int64)")
    p.add_argument("--val-crops", type=int, default=64, help="fixed validation crops")
    p.add_argument("--bench-overlap", type=int, default=32, help="tile overlap assumed in the frame-time estimate")
    p.add_argument("--no-bench", action="store_true", help="skip the forward-time measurement")
    args = p.parse_args(argv)

    tiny = args.tiny
    if (args.tiny or args.tiny_latent) and not args.out:
        p.error("--out is required with --tiny and --tiny-latent")
    args.out = args.out or str(DEFAULT_OUT)
    args.timestep_dtype_set = args.timestep_dtype is not None
    args.timestep_dtype = args.timestep_dtype or "float32"
    defaults = {"steps": (4800, 300), "crop": (128, 32), "batch": (8, 4), "channels": ("16,32,64,128", "8,16"),
                "unshuffle": (2, 2), "temb": (128, 16)}
    for key, (full, small) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, small if tiny else full)
    if args.max_minutes is None:
        args.max_minutes = 0 if tiny else 13
    if tiny:
        args.val_crops = min(args.val_crops, 8)
    args.warmup = max(1, min(args.warmup, args.steps // 5))
    if args.photos and not Path(args.photos).is_dir():
        p.error(f"--photos {args.photos}: not a folder")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.rewrite_card:
        meta = json.loads((Path(args.out) / "model.json").read_text())
        write_model_card(Path(args.out), meta, keep_measured=True)
    elif args.tiny_latent:
        run_tiny_latent(args)
    else:
        run_pixel(args, tiny=args.tiny)


if __name__ == "__main__":
    main()
