"""Tests of scripts/refiner/realism.py (not part of `npm test`; needs Debian's python3-torch and python3-pil).

    /usr/bin/python3 -m unittest discover -s test/refiner-py -v

They train the classifier for a few seconds on synthetic images written to a temporary folder:
"renders" are flat-coloured polygons on flat backgrounds; "photos" are smooth shading with
texture, blur and sensor noise. The built-in opencv-doc list is checked when opencv-doc is there.
"""

import importlib.util
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "refiner" / "realism.py"
spec = importlib.util.spec_from_file_location("refiner_realism", SCRIPT)
realism = importlib.util.module_from_spec(spec)
spec.loader.exec_module(realism)

W, H = 128, 96
FAST = ["--crop", "32", "--batch", "16", "--steps", "80", "--max-minutes", "0", "--threads", "1"]


def flat_render(rng):
    img = Image.new("RGB", (W, H), tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(2, 5))):
        cx, cy, r = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(10, 40)
        angles = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(3, 7))))
        draw.polygon([(cx + r * np.cos(a), cy + r * np.sin(a)) for a in angles],
                     fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return img


def photo_like(rng):
    low = rng.uniform(40, 220, (4, 3, 3)).astype(np.uint8)                      # smooth shading
    base = np.asarray(Image.fromarray(low).resize((W, H), Image.BICUBIC), dtype=np.float32)
    texture = np.asarray(Image.fromarray(rng.normal(128, 40, (H // 2, W // 2)).clip(0, 255).astype(np.uint8))
                         .resize((W, H), Image.BILINEAR), dtype=np.float32) - 128
    img = base + 0.4 * texture[:, :, None] + rng.normal(0, 7, (H, W, 3))           # texture + sensor noise
    return Image.fromarray(img.clip(0, 255).astype(np.uint8))


def write_set(folder, make, n, seed):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        make(rng).save(folder / f"{i:06d}.png")
    return folder


def run(*args, ok=True):
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=REPO)
    if ok and proc.returncode != 0:
        raise AssertionError(proc.stderr[-3000:])
    return proc


class Trained(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        root = Path(cls.tmp.name)
        cls.photos = write_set(root / "photos", photo_like, 10, 1)
        # A dataset root: only the rgb/ folders count (the depth/ images must be ignored).
        cls.renders = root / "dataset"
        write_set(cls.renders / "train_pbr" / "000000" / "rgb", flat_render, 10, 2)
        write_set(cls.renders / "train_pbr" / "000000" / "depth", photo_like, 3, 9)
        cls.eval_flat = write_set(root / "eval_flat", flat_render, 6, 3)
        cls.eval_photo = write_set(root / "eval_photo", photo_like, 6, 4)
        cls.saved = root / "saved"
        cls.args = ["--photos", str(cls.photos), "--renders", str(cls.renders), "--seed", "5", *FAST,
                    "--eval", f"flat={cls.eval_flat}", "--eval", f"photo={cls.eval_photo}"]
        cls.result = json.loads(run(*cls.args, "--save", str(cls.saved), "--out", str(root / "out.json")).stdout)
        cls.root = root

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_json_shape(self):
        r = self.result
        self.assertEqual(json.loads((self.root / "out.json").read_text()), r)
        c = r["classifier"]
        self.assertEqual(len(c["photos"]["train"]) + len(c["photos"]["validation"]), 10)
        self.assertFalse(set(c["photos"]["train"]) & set(c["photos"]["validation"]))
        self.assertEqual(c["renders"]["found"], 10)  # rgb/ only, not depth/
        self.assertEqual(c["renders"]["train"] + c["renders"]["validation"], 10)
        self.assertGreaterEqual(c["renders"]["validation"], 1)
        for side in ("photos", "renders"):
            v = c["validation"][side]
            self.assertEqual(v["crops"], v["files"] * 12)  # 4 x 3 grid of 32 px crops on 128 x 96
            self.assertTrue(0 <= v["crop_accuracy"] <= 1 and 0 <= v["frame_accuracy"] <= 1)
        self.assertEqual(c["training"]["steps"], 80)
        self.assertEqual(c["training"]["stopped_by"], "steps")
        self.assertEqual(set(r["eval"]), {"flat", "photo"})
        for name, e in r["eval"].items():
            self.assertEqual(e["frames"], 6)
            self.assertEqual(len(e["p_real"]), 6)
            self.assertEqual(e["called_real"], sum(p > 0.5 for p in e["p_real"].values()))
            self.assertAlmostEqual(e["share_real"], e["called_real"] / 6, places=3)
            self.assertAlmostEqual(e["mean_p_real"], float(np.mean(list(e["p_real"].values()))), places=3)
            self.assertEqual(e["in_training"], 0)

    def test_photo_like_scores_higher(self):
        e = self.result["eval"]
        self.assertGreater(e["photo"]["mean_p_real"], e["flat"]["mean_p_real"] + 0.2)
        v = self.result["classifier"]["validation"]
        self.assertGreater(v["balanced_frame_accuracy"], 0.7)

    def test_deterministic(self):
        again = json.loads(run(*self.args).stdout)
        strip = lambda r: {**r, "classifier": {**r["classifier"], "training": {  # noqa: E731
            k: v for k, v in r["classifier"]["training"].items() if k != "seconds"}}}
        a, b = strip(self.result), strip(again)
        a["classifier"].pop("saved_to")
        self.assertEqual(a, b)

    def test_load_saved(self):
        self.assertTrue((self.saved / "classifier.pt").is_file())
        loaded = json.loads(run("--load", str(self.saved), "--threads", "1",
                                "--eval", f"flat={self.eval_flat}", "--eval", f"photo={self.eval_photo}").stdout)
        for name in ("flat", "photo"):
            for k, p in self.result["eval"][name]["p_real"].items():
                self.assertAlmostEqual(loaded["eval"][name]["p_real"][k], p, places=3)
        self.assertEqual(loaded["classifier"]["validation"], self.result["classifier"]["validation"])
        self.assertEqual(loaded["classifier"]["loaded_from"], str(self.saved))

    def test_training_frames_are_counted(self):
        rgb = self.renders / "train_pbr" / "000000" / "rgb"
        loaded = json.loads(run("--load", str(self.saved), "--eval", f"train={rgb}").stdout)
        c = self.result["classifier"]["renders"]
        self.assertEqual(loaded["eval"]["train"]["in_training"], c["train"])


class Errors(unittest.TestCase):
    def test_missing_folder(self):
        proc = run("--renders", "/nonexistent/renders", ok=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("--renders /nonexistent/renders: not a folder", proc.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            proc = run("--renders", tmp, "--eval", "raw=/nonexistent/rgb", ok=False)
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("/nonexistent/rgb is not a folder", proc.stderr)
            proc = run("--renders", tmp, "--photos", tmp, "--steps", "1", ok=False)
            self.assertIn("need at least 2 readable photos", proc.stderr)
            proc = run("--renders", tmp, "--eval", "nonsense", ok=False)
            self.assertIn("expected NAME=DIR", proc.stderr)

    def test_no_renders(self):
        proc = run("--eval", "x=/tmp", ok=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("--renders DIR is required", proc.stderr)

    def test_missing_opencv_doc(self):
        saved = realism.OPENCV_DATA
        realism.OPENCV_DATA = Path("/nonexistent/opencv-doc/examples/data")
        try:
            with self.assertRaises(SystemExit) as ctx:
                realism.load_builtin_photos()
        finally:
            realism.OPENCV_DATA = saved
        self.assertIn("apt-get install -y opencv-doc", str(ctx.exception))


class BuiltinPhotos(unittest.TestCase):
    def test_list(self):
        names = [n for n, _, _ in realism.OPENCV_PHOTOS]
        self.assertEqual(len(names), len(set(names)))
        self.assertTrue(all(d for _, _, d in realism.OPENCV_PHOTOS))
        # Nothing the refiner trains on (scikit-image's samples).
        refiner_photos = {"astronaut", "chelsea", "coffee", "rocket", "camera", "brick", "grass", "gravel"}
        self.assertFalse({Path(n).stem for n in names} & refiner_photos)

    @unittest.skipUnless(realism.OPENCV_DATA.is_dir(), "opencv-doc is not installed")
    def test_files_present(self):
        for name, _, _ in realism.OPENCV_PHOTOS:
            self.assertTrue((realism.OPENCV_DATA / name).is_file(), name)
        photos = realism.load_builtin_photos()
        self.assertEqual(len(photos), len(realism.OPENCV_PHOTOS))
        for p in photos:
            h, w = p["pixels"].shape[:2]
            self.assertLessEqual(h * w, realism.FRAME_AREA * 1.01)


if __name__ == "__main__":
    unittest.main()
