#!/usr/bin/python3
"""Realism score for robosynth frames: a small real-vs-render classifier (issue 4).

Run with Debian's Python and packages (the default `python3` on the dev machines is another
interpreter that cannot see them):

    apt-get install -y python3-torch python3-numpy python3-pil opencv-doc
    /usr/bin/python3 scripts/refiner/realism.py --renders DIR [DIR ...] \\
        --eval raw=DATASET/train_pbr/000000/rgb --eval refined=DATASET/train_pbr/000000/rgb_refined

It trains a small CNN to tell real photos (label 1) from raw renders (label 0), checks it on
photos and renders it never saw, then scores every --eval folder: the share of its frames the
classifier calls real, next to (say) the share of raw frames. A refiner that makes frames look
more like camera photos raises that share. The classifier is trained only on photos versus RAW
renders; refined frames play no part in training, so the score does not favour any refiner.

What it judges
--------------
The classifier sees 64 px crops (about a tenth of a 640x480 frame's width), not whole frames, so
it can hardly recognise scenes or objects; what it has to go on is image statistics: sensor
noise, texture, soft shading, lens blur, edge profiles. More precisely:
  * Scale: photos, renders and evaluated frames larger than a 640x480 camera frame's area are
    first downscaled to it (area-preserving aspect, antialiased), so a pixel means roughly the
    same in all of them; training crops then jitter the scale (0.75-1.5 source px per crop px,
    log-uniform) for both classes alike, with horizontal flips.
  * Per-crop mean colour is subtracted inside the network: absolute brightness and colour cast
    (the table's colour, say) are not cues, contrast and structure are.
  * Cues the two sets differ in for reasons that are not realism are neutralised by applying
    the same augmentation to both classes: a share of crops is made grey (exactly as often for
    renders as photo crops end up grey, since several photos are greyscale), half of all crops
    are JPEG re-encoded (quality 60-95; most photos are JPEGs, renders are PNGs), and a small
    contrast jitter.
  * Noise: half of all crops of BOTH classes get i.i.d. Gaussian noise (sigma uniform in 0-8 on the
    0-255 scale, --noise-aug). Without it the classifier is a noise detector: trained that way it
    called raw renders with sigma-2 noise added "real" every time, so any noisy output scored 100%
    and the share said nothing about shading, texture or edges. With it, noise-free flat areas
    still betray a render, but noise alone does not make one real. The JSON reports the check:
    `validation.renders_plus_noise`, the held-out renders with sigma-4 noise added (should score
    like renders, not like photos). No blur is added (photos' softer edges are a real cue).
A frame's p(real) is the mean of the classifier's p(real) over a fixed grid of non-overlapping
64 px crops covering the (area-normalised) frame; the frame is "called real" when p(real) > 0.5.
Caveat: a patch classifier rewards the cheapest remaining differences between photos and
renders, and a small one trained for two minutes on ~20 photos is easy to fool. Read the share as
one signal next to label preservation and downstream accuracy, not as a goal to optimise.

Validation is honest: photos and renders are each split by FILE (near-duplicate photos, such as
the calibration shots of one chessboard, by group), never by crop; about a quarter of each is held
out (renders: at most 40 files) and the JSON reports crop and frame accuracy on them. Frames of an
--eval set that were training renders are counted in its `in_training` (score held-out frames).

Photos
------
  (default)       The built-in held-out set: real photographs from Debian's opencv-doc package
                  (/usr/share/doc/opencv-doc/examples/data), listed in OPENCV_PHOTOS below with a
                  line each. They are used for measurement only and never shipped or copied into
                  the repository (they carry no per-image licence). None of them is among the
                  photos the refiner trains on (scikit-image's samples, see train.py); drawings,
                  logos, renders, paintings, text pages, masks and edited images are left out.
  --photos DIR    Your own photos instead (every .png/.jpg/.jpeg/.bmp/.tif/.webp below DIR), e.g.
                  of your robot cell: the score then means "looks like your camera".

Folders of frames (--renders, --eval): every image below DIR, recursively; if there are folders
named `rgb` below DIR (a dataset root), only the images inside them. 16-bit images (depth maps)
are skipped. At most --max-renders (default 400) training renders are used, a seeded choice.

Output (stdout, and --out FILE), JSON:
  {"classifier": {"photos": {...}, "renders": {...}, "validation": {"photos": {"files", "crops",
       "crop_accuracy", "frame_accuracy", "mean_p_real"}, "renders": {...}, "renders_plus_noise": {...},
       "balanced_crop_accuracy", "balanced_frame_accuracy"}, "training": {"steps", "seconds", "stopped_by", ...},
       "architecture": {...}, "parameters"},
   "eval": {NAME: {"folder", "frames", "called_real", "share_real", "mean_p_real", "in_training",
                   "p_real": {relative path: p}}}}

Timing: the default (1500 steps of 32 crops, 1 CPU thread) trains in about 2.5 minutes on the
2-core dev machine; --max-minutes (default 3) stops it earlier on a slower one. Given --seed and
--threads the result is deterministic when training stops at --steps (`stopped_by: "steps"`).

Options: --save DIR keeps the classifier (TorchScript classifier.pt + realism.json) and --load DIR
scores with a saved one instead of training (no --renders needed). `--help` lists all.

Examples
--------
    /usr/bin/python3 scripts/refiner/realism.py --renders /tmp/train-set/train_pbr \\
        --eval raw=/tmp/eval-set/train_pbr/000000/rgb --eval refined=/tmp/eval-set/train_pbr/000000/rgb_refined
    /usr/bin/python3 scripts/refiner/realism.py --renders /tmp/train-set --photos ~/cell-photos \\
        --save /tmp/realism-cell --out /tmp/realism.json
    /usr/bin/python3 scripts/refiner/realism.py --load /tmp/realism-cell --eval refined=/tmp/x/rgb_refined
"""

import argparse
import io
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("realism.py needs PyTorch: apt-get install -y python3-torch, and run it with /usr/bin/python3")
try:
    from PIL import Image
except ImportError:  # pragma: no cover
    sys.exit("realism.py needs Pillow: apt-get install -y python3-pil, and run it with /usr/bin/python3")

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
FRAME_AREA = 640 * 480          # images larger than this are downscaled to this many pixels
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
MAX_VAL_RENDERS = 40
GREY_CONVERT = 0.2              # share of colour photo crops made grey (renders: matched, see CropSampler)
JPEG_SHARE = 0.5
JPEG_QUALITY = (60, 95)
CONTRAST = (0.8, 1.25)
CONTROL_SIGMA = 4.0             # noise of the renders_plus_noise check
NOISE_SHARE = 0.5               # share of crops (both classes) given i.i.d. Gaussian noise, sigma U(0, --noise-aug)

# Built-in held-out photos from opencv-doc: (file, group, description). Photos of one group are
# near-duplicates or the same scene and always land on the same side of the validation split.
# Used for measurement only, never shipped; no per-image licence.
OPENCV_PHOTOS = [
    ("aero1.jpg", "aero", "aerial photo of a town and river"),
    ("aero3.jpg", "aero", "aerial photo of a town, another view"),
    ("aloeL.jpg", "aloeL", "Middlebury stereo: potted aloe on patterned cloth, left view"),
    ("apple.jpg", "apple", "an apple on a table, close-up (old scan)"),
    ("baboon.jpg", "baboon", "the USC-SIPI mandrill portrait (scanned photo)"),
    ("basketball1.png", "basketball1", "Middlebury flow: two men with a basketball in a room, greyscale"),
    ("blox.jpg", "blox", "wooden blocks on a cloth, greyscale"),
    ("board.jpg", "board", "a printed circuit board, top view"),
    ("box.png", "box", "a biscuit box, close-up, greyscale"),
    ("box_in_scene.png", "box", "the same box among clutter on a desk, greyscale"),
    ("building.jpg", "building", "an office building with lawn"),
    ("butterfly.jpg", "butterfly", "a swallowtail butterfly on a leaf"),
    ("chicky_512.png", "chicky", "a small dog, close-up"),
    ("ela_original.jpg", "ela", "a notebook with an elastic band on a desk (unedited original)"),
    ("fruits.jpg", "fruits", "cut oranges, lemon, kiwi"),
    ("graf1.png", "graf1", "Oxford affine set: graffiti wall, frontal"),
    ("home.jpg", "home", "a palace facade against blue sky"),
    ("left.jpg", "books", "two books on a floor, stereo left view"),
    ("left01.jpg", "calibration", "chessboard calibration shot in an office, greyscale"),
    ("left06.jpg", "calibration", "chessboard calibration shot, another pose"),
    ("left12.jpg", "calibration", "chessboard calibration shot, another pose"),
    ("right03.jpg", "calibration", "chessboard calibration shot, right camera"),
    ("leuvenA.jpg", "leuven", "Oxford affine set: a street in Leuven"),
    ("messi5.jpg", "messi", "a footballer kicking a ball on a pitch"),
    ("orange.jpg", "orange", "an orange, close-up (old scan)"),
    ("pca_test1.jpg", "pca", "dark plastic parts on a light box"),
    ("rubberwhale1.png", "rubberwhale", "Middlebury flow: toys and fabric in front of a lattice"),
    ("smarties.png", "smarties", "coloured sweets on white"),
    ("squirrel_cls.jpg", "squirrel", "a squirrel on a branch"),
    ("stuff.jpg", "stuff", "pen, coin, lighter and lid on a table, webcam"),
]
# Left out on purpose: Blender_Suzanne* (renders), HappyFish, LinuxLogo, WindowsLogo, opencv-logo*,
# ml (drawings/logos/renders), cards, chessboard, detect_blob, gradient, pic1-6, mask, templ, tmpl,
# digits, notes, ellipses (synthetic), starry_night (a painting), imageText*, text_*, sudoku (text),
# licenseplate_motion and ela_modified (edited), aloeGT (a disparity map), and the second views of
# pairs (aloeR, basketball2, graf3, leuvenB, rubberwhale2, right.jpg) and the other calibration shots.


def fail(message):
    sys.exit(f"realism.py: {message}")


def log(message):
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------

def normalise_scale(img):
    """Downscale (antialiased) so the image has at most FRAME_AREA pixels; never upscale."""
    h, w = img.shape[:2]
    if h * w <= FRAME_AREA:
        return img
    f = math.sqrt(FRAME_AREA / (h * w))
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return np.asarray(Image.fromarray(img).resize(size, Image.BILINEAR))


def read_rgb(path):
    """uint8 HxWx3, or None for images that are not 8-bit (depth maps) or unreadable."""
    try:
        with Image.open(path) as im:
            if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
                return None
            return np.asarray(im.convert("RGB"))
    except Exception as err:  # unreadable file: say so and go on
        log(f"realism.py: skipping {path}: {err}")
        return None


def is_grey(img):
    sample = img[::4, ::4].astype(np.int16)
    return int(np.abs(sample - sample[:, :, :1]).max()) <= 2


def list_images(folder):
    """Images below folder (sorted); only those inside `rgb` folders when there are any."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    in_rgb = [p for p in files if "rgb" in p.relative_to(folder).parts[:-1]]
    return in_rgb if in_rgb else files


def load_builtin_photos():
    if not OPENCV_DATA.is_dir():
        fail(f"the built-in held-out photos come from Debian's opencv-doc package ({OPENCV_DATA} is missing): "
             "apt-get install -y opencv-doc   (or pass --photos DIR)")
    photos = []
    missing = []
    for name, group, description in OPENCV_PHOTOS:
        path = OPENCV_DATA / name
        img = read_rgb(path) if path.is_file() else None
        if img is None:
            missing.append(name)
            continue
        photos.append({"name": name, "group": group, "description": description,
                       "pixels": normalise_scale(img), "grey": is_grey(img)})
    if missing:
        log(f"realism.py: {len(missing)} built-in photos missing from {OPENCV_DATA}: {', '.join(missing)}")
    if len(photos) < 2:
        fail(f"fewer than 2 of the built-in photos found in {OPENCV_DATA}: apt-get install --reinstall -y opencv-doc")
    return photos


def load_photo_dir(folder):
    photos = []
    for path in list_images(folder):
        img = read_rgb(path)
        if img is not None:
            name = str(path.relative_to(folder))
            photos.append({"name": name, "group": name, "description": "", "pixels": normalise_scale(img),
                           "grey": is_grey(img)})
    if len(photos) < 2:
        fail(f"--photos {folder}: need at least 2 readable photos ({', '.join(sorted(IMAGE_EXTENSIONS))}), found {len(photos)}")
    return photos


def load_frames(folder, what):
    files = list_images(folder)
    frames = []
    for path in files:
        img = read_rgb(path)
        if img is not None:
            frames.append({"name": str(path.relative_to(folder)), "path": str(path.resolve()),
                           "pixels": normalise_scale(img), "grey": is_grey(img)})
    if not frames:
        fail(f"{what} {folder}: no 8-bit images ({', '.join(sorted(IMAGE_EXTENSIONS))}) found below it")
    return frames


# --------------------------------------------------------------------------------------------
# Crops
# --------------------------------------------------------------------------------------------

def to_tensor(crops):
    """list of uint8 HxWx3 -> float32 [B,3,H,W] in [0, 1]."""
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().div_(255)


def grid_crops(img, crop):
    """Non-overlapping crop x crop tiles on a centred grid (at least one, padded by reflection if small)."""
    h, w = img.shape[:2]
    if h < crop or w < crop:
        img = np.pad(img, ((0, max(0, crop - h)), (0, max(0, crop - w)), (0, 0)), mode="reflect")
        h, w = img.shape[:2]
    ny, nx = h // crop, w // crop
    y0, x0 = (h - ny * crop) // 2, (w - nx * crop) // 2
    return [img[y0 + j * crop:y0 + (j + 1) * crop, x0 + i * crop:x0 + (i + 1) * crop]
            for j in range(ny) for i in range(nx)]


class CropSampler:
    """Random training crops of one class: scale jitter, flip, contrast, greyscale and JPEG."""

    def __init__(self, images, crop, scale_range, grey_rate, noise_max, seed):
        self.images = images
        self.noise_max = noise_max
        self.crop = crop
        self.log_lo, self.log_hi = math.log(scale_range[0]), math.log(scale_range[1])
        self.grey_rate = grey_rate      # probability of making a colour image's crop grey
        self.rng = np.random.default_rng(seed)
        # Photos: uniform over groups, then over the group's files.
        groups = {}
        for i, im in enumerate(images):
            groups.setdefault(im.get("group", str(i)), []).append(i)
        self.weights = np.zeros(len(images))
        for members in groups.values():
            self.weights[members] = 1 / (len(groups) * len(members))

    def grey_share(self):
        """Share of this sampler's crops that come out grey."""
        grey = np.array([im["grey"] for im in self.images], dtype=float)
        return float((self.weights * (grey + (1 - grey) * self.grey_rate)).sum())

    def one(self):
        rng = self.rng
        img = self.images[rng.choice(len(self.images), p=self.weights)]["pixels"]
        h, w = img.shape[:2]
        s = math.exp(rng.uniform(self.log_lo, self.log_hi))
        side = max(8, min(int(round(self.crop * s)), h, w))
        y = int(rng.integers(0, h - side + 1))
        x = int(rng.integers(0, w - side + 1))
        patch = img[y:y + side, x:x + side]
        if side != self.crop:
            patch = np.asarray(Image.fromarray(np.ascontiguousarray(patch)).resize((self.crop, self.crop), Image.BILINEAR))
        if rng.random() < 0.5:
            patch = patch[:, ::-1]
        patch = patch.astype(np.float32)
        gain = rng.uniform(*CONTRAST)
        mean = patch.mean(axis=(0, 1), keepdims=True)
        patch = np.clip(mean + gain * (patch - mean) + 0.5, 0, 255).astype(np.uint8)
        if rng.random() < self.grey_rate:
            g = (patch.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32) + 0.5).astype(np.uint8)
            patch = np.repeat(g[:, :, None], 3, axis=2)
        if self.noise_max > 0 and rng.random() < NOISE_SHARE:
            sigma = rng.uniform(0, self.noise_max)
            grey = bool((patch == patch[:, :, :1]).all())
            noise = rng.normal(0, sigma, patch.shape[:2] + ((1,) if grey else (3,))).astype(np.float32)
            patch = np.clip(patch + noise + 0.5, 0, 255).astype(np.uint8)
        if rng.random() < JPEG_SHARE:
            buf = io.BytesIO()
            Image.fromarray(np.ascontiguousarray(patch)).save(buf, format="JPEG",
                                                               quality=int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1)))
            buf.seek(0)
            patch = np.asarray(Image.open(buf).convert("RGB"))
        return np.ascontiguousarray(patch)

    def batch(self, n):
        return [self.one() for _ in range(n)]


# --------------------------------------------------------------------------------------------
# The classifier
# --------------------------------------------------------------------------------------------

class PatchClassifier(nn.Module):
    """Small CNN: crop [B,3,H,W] in [0,1] -> logit of "real photo" [B].

    Subtracts each crop's mean colour first, keeps full resolution in the first layer (noise and
    fine texture live there), then strided 3x3 convolutions and a global average.
    """

    def __init__(self, channels=(16, 32, 32, 64, 64)):
        super().__init__()
        self.config = {"channels": list(channels)}
        layers = [nn.Conv2d(3, channels[0], 3, padding=1), nn.LeakyReLU(0.1)]
        for i in range(1, len(channels)):
            stride = 1 if i == 2 else 2
            layers += [nn.Conv2d(channels[i - 1], channels[i], 3, stride=stride, padding=1), nn.LeakyReLU(0.1)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels[-1], 1)

    def forward(self, x):
        x = (x - x.mean(dim=(2, 3), keepdim=True)) * 4.0
        return self.head(self.features(x).mean(dim=(2, 3)))[:, 0]


@torch.no_grad()
def p_real(net, crops, batch=128):
    if not crops:
        return np.zeros(0)
    out = [torch.sigmoid(net(to_tensor(crops[i:i + batch]))) for i in range(0, len(crops), batch)]
    return torch.cat(out).numpy().astype(np.float64)


def score_images(net, images, crop):
    """Per image: mean p(real) over its grid crops; also all crop scores."""
    per_image, all_crops = [], []
    for im in images:
        p = p_real(net, grid_crops(im["pixels"], crop))
        per_image.append(float(p.mean()))
        all_crops.append(p)
    return np.array(per_image), np.concatenate(all_crops) if all_crops else np.zeros(0)


def split(items, key, fraction, rng, cap=None):
    """(train, validation), by distinct key value; at least one each side."""
    keys = sorted({key(it) for it in items})
    if len(keys) < 2:
        return items, []
    k = min(len(keys) - 1, max(1, int(round(len(keys) * fraction))))
    if cap is not None:
        k = min(k, cap)
    held = {keys[i] for i in rng.permutation(len(keys))[:k]}
    return [it for it in items if key(it) not in held], [it for it in items if key(it) in held]


def with_noise(images, sigma, seed):
    rng = np.random.default_rng(seed)
    return [{**im, "pixels": np.clip(im["pixels"] + rng.normal(0, sigma, im["pixels"].shape) + 0.5, 0, 255).astype(np.uint8)}
            for im in images]


def validation_block(net, images, crop, label):
    frame_p, crop_p = score_images(net, images, crop)
    hit = (lambda p: p > 0.5) if label == 1 else (lambda p: p <= 0.5)
    return {"files": len(images), "crops": int(len(crop_p)),
            "crop_accuracy": round(float(hit(crop_p).mean()), 4),
            "frame_accuracy": round(float(hit(frame_p).mean()), 4),
            "mean_p_real": round(float(frame_p.mean()), 4)}


def train(args, photos, renders):
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    photos_train, photos_val = split(photos, lambda p: p["group"], args.val_fraction, rng)
    renders_train, renders_val = split(renders, lambda r: r["name"], args.val_fraction, rng, cap=MAX_VAL_RENDERS)
    if not photos_val or not renders_val:
        fail("need photos of at least 2 groups and at least 2 render files, to hold some out for validation")

    scales = (args.scale_min, args.scale_max)
    real = CropSampler(photos_train, args.crop, scales, GREY_CONVERT, args.noise_aug, args.seed + 1)
    fake = CropSampler(renders_train, args.crop, scales, 0.0, args.noise_aug, args.seed + 2)
    # Renders are colour: make as many render crops grey as photo crops come out grey.
    fake.grey_rate = real.grey_share()

    net = PatchClassifier([int(c) for c in args.channels.split(",")])
    params = sum(p.numel() for p in net.parameters())
    log(f"realism.py: {len(photos_train)}+{len(photos_val)} photos, {len(renders_train)}+{len(renders_val)} renders "
        f"(train+validation); {params:,} parameters; {torch.get_num_threads()} thread(s)")
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    half = args.batch // 2
    target = torch.cat([torch.ones(half), torch.zeros(args.batch - half)])
    budget = args.max_minutes * 60 if args.max_minutes and args.max_minutes > 0 else float("inf")
    started = time.monotonic()
    losses, step, warmup = [], 0, max(1, min(100, args.steps // 10))
    net.train()
    while step < args.steps and time.monotonic() - started < budget:
        # Warm-up, then cosine decay over --steps (by step, never by clock: the run stays deterministic).
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for group in opt.param_groups:
            group["lr"] = lr
        x = to_tensor(real.batch(half) + fake.batch(args.batch - half))
        loss = F.binary_cross_entropy_with_logits(net(x), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss))
        step += 1
        if step % 100 == 0:
            log(f"step {step:5d}  loss {np.mean(losses[-100:]):.4f}  {time.monotonic() - started:6.1f} s")
    seconds = time.monotonic() - started
    net.eval()

    v_photos = validation_block(net, photos_val, args.crop, 1)
    v_renders = validation_block(net, renders_val, args.crop, 0)
    v_noisy = validation_block(net, with_noise(renders_val, CONTROL_SIGMA, args.seed + 3), args.crop, 0)
    facts = {
        "validation": {
            "photos": v_photos, "renders": v_renders,
            "renders_plus_noise": {**v_noisy, "sigma": CONTROL_SIGMA,
                                   "note": "the held-out renders plus i.i.d. Gaussian noise: accuracy = share NOT called real"},
            "balanced_crop_accuracy": round((v_photos["crop_accuracy"] + v_renders["crop_accuracy"]) / 2, 4),
            "balanced_frame_accuracy": round((v_photos["frame_accuracy"] + v_renders["frame_accuracy"]) / 2, 4),
            "note": "held-out files (photos split by group), scored like --eval frames: grid crops, mean p(real) > 0.5",
        },
        "training": {
            "steps": step, "seconds": round(seconds, 1),
            "stopped_by": "steps" if step >= args.steps else "time",
            "final_loss": round(float(np.mean(losses[-100:])), 4) if losses else None,
            "batch": args.batch, "crop": args.crop, "lr": args.lr, "scale_range": [args.scale_min, args.scale_max],
            "grey_share": round(fake.grey_rate, 4), "jpeg_share": JPEG_SHARE, "jpeg_quality": list(JPEG_QUALITY),
            "noise_share": NOISE_SHARE if args.noise_aug > 0 else 0, "noise_sigma_max": args.noise_aug,
            "contrast": list(CONTRAST), "seed": args.seed, "threads": torch.get_num_threads(), "torch": torch.__version__,
        },
        "architecture": {"type": "PatchClassifier (scripts/refiner/realism.py)", **net.config},
        "parameters": params,
    }
    return net, facts, photos_train, photos_val, renders_train, renders_val


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def parse_eval(p, specs):
    sets = []
    for spec in specs or []:
        name, sep, folder = spec.partition("=")
        if not sep or not name or not folder:
            p.error(f"--eval {spec}: expected NAME=DIR, e.g. refined=out/train_pbr/000000/rgb_refined")
        if not Path(folder).is_dir():
            fail(f"--eval {spec}: {folder} is not a folder")
        if name in [n for n, _ in sets]:
            p.error(f"--eval {spec}: the name {name} is used twice")
        sets.append((name, folder))
    return sets


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See the top of scripts/refiner/realism.py for what the score means.")
    p.add_argument("--renders", nargs="+", metavar="DIR", help="raw rendered frames to train on (required unless --load)")
    p.add_argument("--photos", metavar="DIR", help="real photos to train on instead of the built-in opencv-doc set")
    p.add_argument("--eval", action="append", metavar="NAME=DIR", help="a folder of frames to score (repeatable)")
    p.add_argument("--out", metavar="FILE", help="also write the JSON here")
    p.add_argument("--save", metavar="DIR", help="keep the trained classifier here (classifier.pt, realism.json)")
    p.add_argument("--load", metavar="DIR", help="score with a classifier saved by --save instead of training one")
    p.add_argument("--steps", type=int, default=1500, help="training steps (default 1500)")
    p.add_argument("--max-minutes", type=float, default=3.0, help="stop training after this many minutes (default 3; 0 = no limit)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--crop", type=int, default=64, help="crop size in px, for training and the scoring grid (default 64)")
    p.add_argument("--batch", type=int, default=32, help="crops per step, half photos, half renders (default 32)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--channels", default="16,32,32,64,64", help="CNN channels per layer (default 16,32,32,64,64)")
    p.add_argument("--scale-min", type=float, default=0.75, help="scale jitter: min source px per crop px")
    p.add_argument("--scale-max", type=float, default=1.5, help="scale jitter: max source px per crop px")
    p.add_argument("--noise-aug", type=float, default=8.0,
                   help="max sigma (0-255 scale) of the i.i.d. Gaussian noise added to half the crops of BOTH classes, "
                        "so that adding noise alone does not make a render 'real' (default 8; 0 = off)")
    p.add_argument("--val-fraction", type=float, default=0.25, help="share of photo groups and render files held out")
    p.add_argument("--max-renders", type=int, default=400, help="use at most this many renders (a seeded choice)")
    args = p.parse_args(argv)

    if args.load:
        if args.renders or args.photos or args.save:
            p.error("--load scores with a saved classifier: --renders, --photos and --save do not apply")
        if not (Path(args.load) / "classifier.pt").is_file():
            fail(f"--load {args.load}: no classifier.pt there (write one with --save)")
    elif not args.renders:
        p.error("--renders DIR is required (raw rendered frames to train on), unless --load DIR")
    for folder in args.renders or []:
        if not Path(folder).is_dir():
            fail(f"--renders {folder}: not a folder")
    if args.photos and not Path(args.photos).is_dir():
        fail(f"--photos {args.photos}: not a folder")
    if args.steps < 1 or args.batch < 2 or args.crop < 8:
        p.error("--steps must be >= 1, --batch >= 2, --crop >= 8")
    if not 0 < args.scale_min <= args.scale_max:
        p.error("need 0 < --scale-min <= --scale-max")
    args.eval_sets = parse_eval(p, args.eval)
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    eval_sets = [(name, folder, load_frames(folder, f"--eval {name}=")) for name, folder in args.eval_sets]

    if args.load:
        meta = json.loads((Path(args.load) / "realism.json").read_text())
        net = torch.jit.load(str(Path(args.load) / "classifier.pt"))
        net.eval()
        crop = meta["crop"]
        classifier = {**meta["classifier"], "loaded_from": str(args.load)}
        training_paths = set(meta.get("training_render_paths", []))
    else:
        rng = np.random.default_rng(args.seed + 99)
        photos = load_photo_dir(args.photos) if args.photos else load_builtin_photos()
        renders = []
        for folder in args.renders:
            for r in load_frames(folder, "--renders"):
                r["name"] = str(Path(folder) / r["name"]) if len(args.renders) > 1 else r["name"]
                renders.append(r)
        renders_used = renders
        if len(renders) > args.max_renders:
            renders_used = [renders[i] for i in sorted(rng.choice(len(renders), size=args.max_renders, replace=False))]
        net, facts, photos_train, photos_val, renders_train, renders_val = train(args, photos, renders_used)
        crop = args.crop
        classifier = {
            "photos": {
                "source": f"--photos {args.photos}" if args.photos else f"built-in held-out photos, {OPENCV_DATA} (opencv-doc)",
                "train": [p["name"] for p in photos_train],
                "validation": [p["name"] for p in photos_val],
            },
            "renders": {"folders": [str(f) for f in args.renders], "found": len(renders),
                        "train": len(renders_train), "validation": len(renders_val)},
            **facts,
        }
        training_paths = {r["path"] for r in renders_train}
        if args.save:
            out = Path(args.save)
            out.mkdir(parents=True, exist_ok=True)
            traced = torch.jit.trace(net, torch.zeros(2, 3, crop, crop))
            traced.save(str(out / "classifier.pt"))
            (out / "realism.json").write_text(json.dumps({
                "format": "TorchScript classifier.pt: float32 [B,3,crop,crop] RGB in [0,1] -> logit [B] of 'real photo'; "
                          "frames area-normalised to 640x480, scored as the mean sigmoid over a centred grid of crop px tiles",
                "crop": crop, "frame_area": FRAME_AREA, "classifier": classifier,
                "training_render_paths": sorted(training_paths),
            }, indent=2) + "\n")
            classifier["saved_to"] = str(out)

    result = {"classifier": classifier, "eval": {}}
    for name, folder, frames in eval_sets:
        scores, _ = score_images(net, frames, crop)
        called = int((scores > 0.5).sum())
        result["eval"][name] = {
            "folder": str(folder), "frames": len(frames), "called_real": called,
            "share_real": round(called / len(frames), 4), "mean_p_real": round(float(scores.mean()), 4),
            "in_training": sum(1 for f in frames if f["path"] in training_paths),
            "p_real": {f["name"]: round(float(s), 4) for f, s in zip(frames, scores)},
        }
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    print(text)
    return result


if __name__ == "__main__":
    main()
